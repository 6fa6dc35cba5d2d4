//! The runtime log level of `GET`/`POST /internal/logging`
//! (`heketi/heketi:apps/glusterfs/app_logging.go`).
//!
//! The level is shared state; whoever installs the tracing subscriber (the `serve`
//! command) registers a hook with [`LogControl::on_change`] that applies a new level,
//! e.g. through a `tracing_subscriber::reload` handle.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use brickyard::api::{LogLevel as WireLogLevel, LogLevelInfo};
use serde::Deserialize;

use crate::body::{Json, parse_json, read_body};
use crate::error::AppError;

/// Heketi's log levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing is logged.
    None,
    /// Only critical messages.
    Critical,
    /// Errors.
    Error,
    /// Warnings and errors.
    Warning,
    /// Informational messages (the default).
    #[default]
    Info,
    /// Everything.
    Debug,
}

impl LogLevel {
    /// All levels, quietest first.
    pub const ALL: [LogLevel; 6] = [
        LogLevel::None,
        LogLevel::Critical,
        LogLevel::Error,
        LogLevel::Warning,
        LogLevel::Info,
        LogLevel::Debug,
    ];

    /// Heketi's name (`none`, `critical`, `error`, `warning`, `info`, `debug`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::None => "none",
            LogLevel::Critical => "critical",
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    /// Parses Heketi's name.
    pub fn parse(name: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The equivalent `tracing` filter directive (`off`, `error`, `warn`, `info`, `debug`);
    /// tracing has no critical level, so critical maps to `error`.
    pub fn tracing_directive(self) -> &'static str {
        match self {
            LogLevel::None => "off",
            LogLevel::Critical | LogLevel::Error => "error",
            LogLevel::Warning => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    fn index(self) -> u8 {
        match self {
            LogLevel::None => 0,
            LogLevel::Critical => 1,
            LogLevel::Error => 2,
            LogLevel::Warning => 3,
            LogLevel::Info => 4,
            LogLevel::Debug => 5,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Hook = Arc<dyn Fn(LogLevel) + Send + Sync>;

/// The shared log level plus the hook that applies changes (cheap to clone).
#[derive(Clone, Default)]
pub struct LogControl {
    level: Arc<AtomicU8>,
    hook: Arc<RwLock<Option<Hook>>>,
}

impl fmt::Debug for LogControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogControl")
            .field("level", &self.get())
            .finish()
    }
}

impl LogControl {
    /// Starts at `level` with no hook.
    pub fn new(level: LogLevel) -> LogControl {
        let control = LogControl::default();
        control.level.store(level.index(), Ordering::SeqCst);
        control
    }

    /// The current level.
    pub fn get(&self) -> LogLevel {
        let index = self.level.load(Ordering::SeqCst);
        LogLevel::ALL
            .into_iter()
            .find(|l| l.index() == index)
            .unwrap_or_default()
    }

    /// Sets the level and calls the hook, if any.
    pub fn set(&self, level: LogLevel) {
        self.level.store(level.index(), Ordering::SeqCst);
        let hook = self.hook.read().ok().and_then(|h| h.clone());
        if let Some(hook) = hook {
            hook(level);
        }
    }

    /// Registers the function that applies a new level (replacing any earlier one).
    pub fn on_change(&self, hook: impl Fn(LogLevel) + Send + Sync + 'static) {
        if let Ok(mut slot) = self.hook.write() {
            *slot = Some(Arc::new(hook));
        }
    }

    fn info(&self) -> LogLevelInfo {
        LogLevelInfo {
            loglevel: WireLogLevel {
                glusterfs: self.get().as_str().to_string(),
            },
        }
    }
}

/// `GET /internal/logging` → `{"loglevel":{"glusterfs":"info"}}`.
pub async fn get_logging(State(control): State<LogControl>) -> Json<LogLevelInfo> {
    Json::ok(control.info())
}

#[derive(Deserialize)]
struct SetLevel {
    #[serde(default)]
    loglevel: Option<HashMap<String, String>>,
}

/// `POST /internal/logging` `{"loglevel":{"glusterfs":"debug"}}` → `200` with the new
/// level; `400 request unable to be parsed: …`, `422 Only "glusterfs" logger may be
/// modified`, `422 invalid log level: X`.
pub async fn set_logging(
    State(control): State<LogControl>,
    req: Request,
) -> Result<Json<LogLevelInfo>, AppError> {
    let bytes = read_body(req, &()).await?;
    let msg: SetLevel = parse_json(&bytes).map_err(AppError::unparsable_detail)?;
    let wanted = msg
        .loglevel
        .and_then(|mut m| m.remove("glusterfs"))
        .ok_or_else(|| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only \"glusterfs\" logger may be modified",
            )
        })?;
    let level = LogLevel::parse(&wanted).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid log level: {wanted}"),
        )
    })?;
    control.set(level);
    tracing::info!(level = %level, "set new log level");
    Ok(Json::ok(control.info()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn names_round_trip() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(LogLevel::parse("warn"), None);
        assert_eq!(LogLevel::Warning.tracing_directive(), "warn");
    }

    #[test]
    fn set_calls_the_hook() {
        let control = LogControl::new(LogLevel::Warning);
        assert_eq!(control.get(), LogLevel::Warning);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        control.on_change(move |l| sink.lock().expect("lock").push(l));
        control.clone().set(LogLevel::Debug);
        assert_eq!(control.get(), LogLevel::Debug);
        assert_eq!(*seen.lock().expect("lock"), vec![LogLevel::Debug]);
    }
}
