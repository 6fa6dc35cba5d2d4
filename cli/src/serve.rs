//! `brickyard serve`: runs the REST server of `brickyard-server` in a tokio runtime.

use std::path::PathBuf;

use std::sync::Arc;
use std::time::Duration;

use brickyard::hooks::Hooks;
use brickyard_lua::{LuaHookOptions, LuaHooks};
use brickyard_server::config::HooksConfig;
use brickyard_server::{ServeOptions, serve};
use clap::Args;

use crate::CliError;

/// Arguments of `brickyard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (heketi.json); without it: defaults and the mock executor
    #[arg(long)]
    pub config: Option<String>,
    /// Disable JWT authentication
    #[arg(long = "disable-auth")]
    pub disable_auth: bool,
    /// Address to listen on, e.g. 127.0.0.1:8080 or 127.0.0.1:0 (default 0.0.0.0:<port>)
    #[arg(long)]
    pub listen: Option<String>,
    /// Database file (default: glusterfs.db of the configuration, else brickyard.db)
    #[arg(long)]
    pub db: Option<String>,
}

impl ServeArgs {
    /// The server options these arguments ask for.
    pub fn options(&self) -> ServeOptions {
        ServeOptions {
            config: self.config.as_ref().map(PathBuf::from),
            disable_auth: self.disable_auth,
            listen: self.listen.clone(),
            db: self.db.as_ref().map(PathBuf::from),
            hooks_loader: Some(Arc::new(load_lua_hooks)),
            ..ServeOptions::default()
        }
    }
}

/// Runs the server until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(serve(args.options()))
        .map_err(|e| CliError::Usage(e.to_string()))
}

/// `glusterfs.hooks` → sandboxed Lua hooks.
fn load_lua_hooks(config: &HooksConfig) -> Result<Arc<dyn Hooks>, String> {
    let mut options = LuaHookOptions {
        fail_open: config.fail_open,
        ..LuaHookOptions::default()
    };
    if let Some(mb) = config.memory_limit_mb {
        options.memory_limit =
            usize::try_from(mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
    }
    if let Some(n) = config.instruction_budget {
        options.instruction_budget = n;
    }
    if let Some(ms) = config.deadline_ms {
        options.deadline = Duration::from_millis(ms);
    }
    let hooks = LuaHooks::load(&config.scripts, options).map_err(|e| e.to_string())?;
    Ok(Arc::new(hooks))
}
