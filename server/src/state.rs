//! [`AppState`]: everything the handlers share.

use std::sync::Arc;

use axum::extract::FromRef;
use brickyard::Engine;

use crate::admin::AdminState;
use crate::auth::AuthSettings;
use crate::config::ServerConfig;
use crate::logging::LogControl;
use crate::queue::Queue;

/// The state behind every route (cheap to clone: `Arc`s inside).
#[derive(Clone)]
pub struct AppState {
    /// The engine every resource route drives.
    pub engine: Engine,
    /// The configuration the server started with.
    pub config: Arc<ServerConfig>,
    /// JWT settings (or disabled).
    pub auth: AuthSettings,
    /// The admin mode.
    pub admin: AdminState,
    /// The asynchronous operation queue.
    pub queue: Queue,
    /// The runtime log level.
    pub log: LogControl,
}

impl AppState {
    /// State for `config`, `auth` and `engine`: admin mode from `default_state`, queue limit
    /// from `max_inflight_operations`, log level from `glusterfs.loglevel`. Logs the
    /// configuration warnings and, when the API is open, a warning saying so.
    pub fn new(config: ServerConfig, auth: AuthSettings, engine: Engine) -> AppState {
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        if let Some(warning) = auth.open_api_warning() {
            tracing::warn!("{warning}");
        }
        let limit = usize::try_from(config.glusterfs.max_inflight_operations).unwrap_or(usize::MAX);
        AppState {
            engine,
            admin: AdminState::new(config.default_state),
            queue: Queue::new(limit),
            log: LogControl::new(config.glusterfs.loglevel),
            config: Arc::new(config),
            auth,
        }
    }
}

impl FromRef<AppState> for AdminState {
    fn from_ref(state: &AppState) -> AdminState {
        state.admin.clone()
    }
}

impl FromRef<AppState> for LogControl {
    fn from_ref(state: &AppState) -> LogControl {
        state.log.clone()
    }
}

impl FromRef<AppState> for Queue {
    fn from_ref(state: &AppState) -> Queue {
        state.queue.clone()
    }
}

impl FromRef<AppState> for AuthSettings {
    fn from_ref(state: &AppState) -> AuthSettings {
        state.auth.clone()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config.origin)
            .field("auth", &self.auth)
            .field("admin", &self.admin)
            .field("queue", &self.queue)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}
