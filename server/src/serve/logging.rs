//! The process-wide tracing subscriber, with its filter behind a reload handle that
//! `POST /internal/logging` drives.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt;

use crate::logging::{LogControl, LogLevel};

fn filter_for(level: LogLevel) -> EnvFilter {
    EnvFilter::new(level.tracing_directive())
}

/// Installs a stderr subscriber at `control`'s level (or `RUST_LOG` when set) and
/// registers the hook that applies later level changes. False when a global
/// subscriber was already installed (then levels only change the reported value).
pub fn install(control: &LogControl) -> bool {
    let initial = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| filter_for(control.get()));
    let (layer, handle) = reload::Layer::new(initial);
    let installed = tracing_subscriber::registry()
        .with(layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .try_init()
        .is_ok();
    if installed {
        control.on_change(move |level| {
            if let Err(e) = handle.modify(|f| *f = filter_for(level)) {
                eprintln!("cannot change the log level: {e}");
            }
        });
    }
    installed
}
