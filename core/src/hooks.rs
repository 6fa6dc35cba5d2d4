//! The hook interface: site policy run inside the engine without patching it.
//!
//! The engine knows nothing of Lua (or any language): it calls a [`Hooks`] object, handing
//! it plain JSON values (never live engine objects), and it re-checks every constraint
//! after a hook, so a hook can refuse or shape an operation but never make it invalid.
//! `brickyard-lua` implements this trait with sandboxed Lua.
//!
//! Events:
//! - `volume.pre_create` ([`Hooks::pre_create`]): may reject, or return a changed copy of
//!   the request (name, durability, options such as tags rules, clusters, size);
//! - `volume.pre_expand` ([`Hooks::pre_expand`]): may reject;
//! - `placement.filter` / `placement.score` ([`Hooks::place`]): drop or rank candidate devices;
//! - notifications ([`Hooks::notify`]): `volume.post_create`, `volume.post_expand`,
//!   `volume.post_clone`, `volume.post_delete`, `node.post_add`, `node.post_delete`, `node.post_state`,
//!   `device.post_add`, `device.post_delete`, `device.post_state`, `operation.failed`.

use serde::Serialize;
use serde_json::Value;

use crate::api::{VolumeCreateRequest, VolumeInfoResponse};

/// Why a hook stopped an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// The hook refused the operation on purpose; the reason reaches the API caller.
    #[error("{event} hook rejected the request: {reason}")]
    Rejected { event: String, reason: String },
    /// The hook failed (error, memory or instruction budget, deadline) and is configured
    /// fail-closed.
    #[error("{event} hook failed: {message}")]
    Failed { event: String, message: String },
}

/// A candidate device for `placement.filter` / `placement.score`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceCandidate {
    pub id: String,
    pub name: String,
    pub node: String,
    pub cluster: String,
    pub zone: i64,
    pub manage_host: String,
    pub storage_host: String,
    /// Node tags merged with device tags (device wins).
    pub tags: crate::api::Tags,
    /// KiB.
    pub total: u64,
    pub free: u64,
    pub used: u64,
    pub bricks: usize,
}

/// The verdict on one candidate: dropped, or kept with a score (higher is preferred;
/// `0.0` is neutral).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    Drop,
    Keep(f64),
}

/// An event announced to [`Hooks::notify`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub name: &'static str,
    pub payload: Value,
}

/// Counters for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HookStats {
    pub calls: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub rejections: u64,
}

/// Site policy hooks. Every method has a do-nothing default.
pub trait Hooks: Send + Sync {
    /// `volume.pre_create`: returns the (possibly changed) request, or refuses it.
    fn pre_create(&self, req: VolumeCreateRequest) -> Result<VolumeCreateRequest, HookError> {
        Ok(req)
    }

    /// `volume.pre_expand`: refuses an expansion of `volume` by `expand_size` GiB.
    fn pre_expand(&self, _volume: &VolumeInfoResponse, _expand_size: i64) -> Result<(), HookError> {
        Ok(())
    }

    /// True when `placement.filter` or `placement.score` hooks exist (the engine then
    /// builds candidates and calls [`Hooks::place`]).
    fn has_placement_hooks(&self) -> bool {
        false
    }

    /// `placement.filter` + `placement.score` for one request: one verdict per candidate.
    fn place(
        &self,
        _request: &Value,
        candidates: &[DeviceCandidate],
    ) -> Result<Vec<Verdict>, HookError> {
        Ok(vec![Verdict::Keep(0.0); candidates.len()])
    }

    /// Notifications; never fail the operation.
    fn notify(&self, _event: &Event) {}

    /// Call, error and timeout counters.
    fn stats(&self) -> HookStats {
        HookStats::default()
    }
}
