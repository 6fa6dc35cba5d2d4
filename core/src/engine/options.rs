use std::path::PathBuf;
use std::sync::Arc;

use crate::hooks::Hooks;

use crate::placement::{Limits, ZoneChecking};

/// Where the engine keeps its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbLocation {
    /// One redb file (created when missing).
    File(PathBuf),
    /// Memory only: gone when the engine is dropped.
    Memory,
}

/// Engine settings: Heketi's `glusterfs.*` configuration keys that the engine itself uses.
#[derive(Clone)]
pub struct EngineOptions {
    pub db: DbLocation,
    /// Brick size and count limits (`brick_min_size_gb`, `brick_max_size_gb`, `max_bricks_per_volume`).
    pub limits: Limits,
    /// `zone_checking`: server default, overridden per volume by `user.heketi.zone-checking`.
    pub zone_checking: ZoneChecking,
    /// `average_file_size_kb` for arbiter brick sizing.
    pub average_file_size_kib: u64,
    /// `pre_request_volume_options`, comma separated.
    pub pre_request_volume_options: String,
    /// `post_request_volume_options`, comma separated.
    pub post_request_volume_options: String,
    /// `max_volumes_per_cluster`: 0 means Heketi's default 1000, negative means unlimited.
    pub max_volumes_per_cluster: i64,
    /// Start a gluster rebalance after expanding a volume.
    pub rebalance_on_expansion: bool,
    /// Clean up pending operations left by a crash when the engine opens.
    pub cleanup_on_open: bool,
    /// Site policy hooks (e.g. `brickyard-lua`); `None` runs none.
    pub hooks: Option<Arc<dyn Hooks>>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            db: DbLocation::Memory,
            limits: Limits::default(),
            zone_checking: ZoneChecking::None,
            average_file_size_kib: 64,
            pre_request_volume_options: String::new(),
            post_request_volume_options: String::new(),
            max_volumes_per_cluster: 0,
            rebalance_on_expansion: true,
            cleanup_on_open: true,
            hooks: None,
        }
    }
}

impl EngineOptions {
    /// Options for an engine on a redb file.
    pub fn with_file(path: impl Into<PathBuf>) -> Self {
        EngineOptions {
            db: DbLocation::File(path.into()),
            ..Default::default()
        }
    }

    /// Options for an in-memory engine.
    pub fn in_memory() -> Self {
        EngineOptions::default()
    }

    pub(crate) fn max_volumes(&self) -> Option<usize> {
        match self.max_volumes_per_cluster {
            0 => Some(1000),
            n if n < 0 => None,
            n => Some(n as usize),
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("db", &self.db)
            .field("limits", &self.limits)
            .field("zone_checking", &self.zone_checking)
            .field("average_file_size_kib", &self.average_file_size_kib)
            .field("max_volumes_per_cluster", &self.max_volumes_per_cluster)
            .field("rebalance_on_expansion", &self.rebalance_on_expansion)
            .field("cleanup_on_open", &self.cleanup_on_open)
            .field("hooks", &self.hooks.is_some())
            .finish()
    }
}
