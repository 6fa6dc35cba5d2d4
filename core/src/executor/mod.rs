//! The commands that run on storage nodes.
//!
//! The engine talks to nodes only through the [`Executor`] trait. It is implemented once,
//! by [`CommandExecutor`], over a [`Transport`] that runs one shell command on one host
//! (ssh in production: `ssh::SshTransport`, feature `ssh`; [`MockTransport`] in tests). [`FaultTransport`] wraps any transport
//! to inject failures. The exact command lines are built by [`commands`] and their outputs
//! read by [`parse`] and [`gluster_xml`].

mod clone;
mod cmd;
pub mod commands;
mod config;
mod error;
mod fault;
#[doc(hidden)]
pub mod fuzzing;
pub mod gluster_xml;
pub mod heal;
pub mod inventory;
#[cfg(feature = "mock")]
mod mock;
pub mod parse;
#[cfg(feature = "ssh")]
pub mod ssh;
#[cfg(all(test, feature = "mock"))]
mod tests;
mod transport;
pub(crate) mod validate;

use async_trait::async_trait;

pub use cmd::CommandExecutor;
pub use config::CommandConfig;
pub use error::{ExecError, ExecErrorKind};
pub use fault::{Fault, FaultHandle, FaultTransport};
pub use heal::{BrickHeal, HealInfo};
pub use inventory::{LvInfo, MountEntry, NodeInventory, PeerInfo, PvInfo, VgInfo};
#[cfg(feature = "mock")]
pub use mock::{
    CloneBrickState, DEFAULT_COMMAND_LOG_LIMIT, FaultyMockExecutor, Inventory, InventoryItem,
    MockConfig, MockExecutor, MockMount, MockNodeState, MockPv, MockStateError, MockThinLv,
    MockThinPool, MockTransport, MockVg, MockVolume, RestoredVolume, accounting_errors,
    compare_inventories, compare_records_with_nodes,
};
#[cfg(feature = "ssh")]
pub use ssh::{SshConfig, SshExecutor, SshSetupError, SshTransport};
pub use transport::{CommandOutput, Transport};

/// Where Heketi mounts bricks: `<BRICK_MOUNT_ROOT>/vg_<device id>/brick_<brick id>`.
pub const BRICK_MOUNT_ROOT: &str = "/var/lib/heketi/mounts";

/// A node as the executor addresses it: commands run on `manage`, gluster refers to it by
/// `storage`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Host {
    /// Host name or address commands are sent to.
    pub manage: String,
    /// Host name or address gluster knows the node by (peer probe, brick names).
    pub storage: String,
}

impl Host {
    /// A host from its manage and storage names.
    pub fn new(manage: impl Into<String>, storage: impl Into<String>) -> Host {
        Host {
            manage: manage.into(),
            storage: storage.into(),
        }
    }
}

/// What LVM says about a device's volume group. Sizes in KiB.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// Total extents × extent size.
    pub total: u64,
    /// Free extents × extent size.
    pub free: u64,
    /// Allocated extents × extent size.
    pub used: u64,
    /// Physical extent size.
    pub extent_size: u64,
    /// The PV's UUID (`/dev/disk/by-id/lvm-pv-uuid-<uuid>` addresses it persistently).
    pub pv_uuid: String,
    /// udev aliases of the device (falls back to the device name when udev is absent).
    pub paths: Vec<String>,
}

/// How a brick's XFS file system is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BrickFormat {
    /// Data brick: `mkfs.xfs -i size=512`.
    #[default]
    Normal,
    /// Arbiter brick (metadata only): `mkfs.xfs -i maxpct=100`, chunk size forced to 256K.
    Arbiter,
}

/// One brick to create or destroy. Sizes in KiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrickRequest {
    /// Device id; the volume group is `vg_<vg_id>`.
    pub vg_id: String,
    /// Brick id; names the thin pool `tp_<id>` and the LV `brick_<id>`.
    pub brick_id: String,
    /// Virtual size of the thin LV.
    pub size: u64,
    /// Thin pool data size (size × snapshot factor, extent aligned).
    pub tp_size: u64,
    /// Thin pool metadata size.
    pub pool_metadata_size: u64,
    /// Group owning the brick directory; 0 leaves it to root.
    pub gid: i64,
    /// File system layout.
    pub format: BrickFormat,
    /// Set for a brick gluster made from a snapshot (a clone's brick): its LV, pool and
    /// mount point are gluster's names, not the ones derived from `brick_id`.
    pub snapshot: Option<SnapshotLv>,
}

/// The names of a brick that gluster made (`snapshot clone`): a thin snapshot LV in the
/// source brick's thin pool, mounted under `/run/gluster/snaps/…`, not in the fstab
/// (glusterd mounts it itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotLv {
    /// LV name: `<clone volume id without dashes>_<n>`.
    pub lv_name: String,
    /// The thin pool it lives in (the source brick's pool, `tp_<source brick id>`).
    pub tp_name: String,
    /// Mount point: the brick path without its last `/brick`.
    pub mount_dir: String,
}

impl BrickRequest {
    /// `vg_<device id>`.
    pub fn vg_name(&self) -> String {
        format!("vg_{}", self.vg_id)
    }

    /// `/var/lib/heketi/mounts/vg_<dev>/brick_<brick>`: where the LV is mounted (gluster's
    /// mount point for a clone's brick).
    pub fn mount_dir(&self) -> String {
        if let Some(s) = &self.snapshot {
            return s.mount_dir.clone();
        }
        format!(
            "{BRICK_MOUNT_ROOT}/vg_{}/brick_{}",
            self.vg_id, self.brick_id
        )
    }

    /// `<mount_dir>/brick`: the directory gluster uses.
    pub fn brick_path(&self) -> String {
        format!("{}/brick", self.mount_dir())
    }

    /// `tp_<brick>` (the source brick's pool for a clone's brick).
    pub fn tp_name(&self) -> String {
        match &self.snapshot {
            Some(s) => s.tp_name.clone(),
            None => format!("tp_{}", self.brick_id),
        }
    }

    /// `brick_<brick>` (gluster's LV name for a clone's brick).
    pub fn lv_name(&self) -> String {
        match &self.snapshot {
            Some(s) => s.lv_name.clone(),
            None => format!("brick_{}", self.brick_id),
        }
    }

    /// `/dev/mapper/vg_<dev>-brick_<brick>`.
    pub fn dev_node(&self) -> String {
        format!("/dev/mapper/vg_{}-{}", self.vg_id, self.lv_name())
    }
}

/// Durability of a gluster volume, as given to `volume create`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeDurability {
    /// Plain distribute: one brick per set.
    Distribute,
    /// `replica N [arbiter 1]`.
    Replicate {
        /// Bricks per set.
        replica: u32,
        /// The last brick of each set is an arbiter.
        arbiter: bool,
    },
    /// `disperse-data D redundancy R`.
    Disperse {
        /// Data bricks per set.
        data: u32,
        /// Redundancy bricks per set.
        redundancy: u32,
    },
}

impl VolumeDurability {
    /// Bricks per set.
    pub fn set_size(&self) -> usize {
        match *self {
            VolumeDurability::Distribute => 1,
            VolumeDurability::Replicate { replica, .. } => replica as usize,
            VolumeDurability::Disperse { data, redundancy } => (data + redundancy) as usize,
        }
    }

    /// How many sets one `add-brick` command carries (Heketi: 5 replica sets, 1 disperse
    /// set, 15 distribute bricks).
    pub fn sets_per_add_brick(&self) -> usize {
        match self {
            VolumeDurability::Distribute => 15,
            VolumeDurability::Replicate { .. } => 5,
            VolumeDurability::Disperse { .. } => 1,
        }
    }
}

/// A brick as gluster names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrickLocation {
    /// Storage host name of the brick's node.
    pub storage_host: String,
    /// Brick directory (`BrickRequest::brick_path`).
    pub path: String,
}

impl BrickLocation {
    /// `host:path`, the form gluster uses on its command line and in `volume info`.
    pub fn gluster_name(&self) -> String {
        format!("{}:{}", self.storage_host, self.path)
    }
}

/// A gluster volume to create or expand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeRequest {
    /// Volume name.
    pub name: String,
    /// Bricks in gluster order (sets are consecutive).
    pub bricks: Vec<BrickLocation>,
    /// Replication scheme.
    pub durability: VolumeDurability,
    /// `"key value"` strings for `volume set`, already including `user.heketi.id`.
    pub options: Vec<String>,
}

/// A volume as `gluster volume info --xml` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GlusterVolume {
    /// Volume name.
    pub name: String,
    /// Gluster's volume UUID.
    pub id: String,
    /// `Created`, `Started` or `Stopped`.
    pub status: String,
    /// Bricks as `host:path`, in gluster order.
    pub bricks: Vec<String>,
    /// `Distribute`, `Replicate`, `Distributed-Replicate`, `Disperse`, …
    pub type_name: String,
    /// Reconfigured options.
    pub options: Vec<(String, String)>,
}

/// The operations the engine runs on storage nodes.
///
/// Every method names the node it runs on; errors say which node and which command failed.
#[async_trait]
pub trait Executor: Send + Sync {
    /// The command configuration, for an executor that runs Heketi's command lines
    /// (restoring mock nodes builds what those lines would leave).
    fn command_config(&self) -> Option<&CommandConfig> {
        None
    }
    /// Is glusterd running on `host`?
    async fn glusterd_check(&self, host: &Host) -> Result<(), ExecError>;
    /// From `exec_host`, add `new_node` to the trusted pool.
    async fn peer_probe(&self, exec_host: &Host, new_node: &Host) -> Result<(), ExecError>;
    /// From `exec_host`, remove `node` from the trusted pool.
    async fn peer_detach(&self, exec_host: &Host, node: &Host) -> Result<(), ExecError>;
    /// Make `device` a PV with the volume group `vg_<vg_id>`; optionally wipe it first.
    async fn device_setup(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
        destroy_data: bool,
    ) -> Result<DeviceInfo, ExecError>;
    /// Read the device's current sizes from LVM (resync).
    async fn device_info(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<DeviceInfo, ExecError>;
    /// Remove the volume group and the PV, and the VG's mount directory.
    async fn device_teardown(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<(), ExecError>;
    /// Undo a device setup that may have stopped anywhere (a crashed or failed device
    /// add): the VG `vg_<vg_id>` if it exists, then the PV if it is in no VG, then the
    /// VG's mount directory. What is already gone is not an error.
    async fn device_setup_undo(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<(), ExecError>;
    /// From `exec_host`, remove `node` from the trusted pool unless it is not in it (the
    /// undo of a peer probe that may not have happened).
    async fn peer_detach_if_present(&self, exec_host: &Host, node: &Host) -> Result<(), ExecError>;
    /// Thin pool + LV + XFS + fstab + mount + brick dir. All or nothing: on failure the
    /// steps already done are undone.
    async fn brick_create(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError>;
    /// Undo `brick_create`. Idempotent: destroying a missing brick succeeds. Returns whether
    /// the thin pool's space went back to the volume group.
    async fn brick_destroy(&self, host: &Host, brick: &BrickRequest) -> Result<bool, ExecError>;
    /// `volume create` with the first set, `add-brick` for the rest, options, `start`.
    async fn volume_create(&self, host: &Host, vol: &VolumeRequest) -> Result<(), ExecError>;
    /// `add-brick` the request's (new) bricks, then optionally start a rebalance (whose
    /// failure is only logged).
    async fn volume_expand(
        &self,
        host: &Host,
        vol: &VolumeRequest,
        rebalance: bool,
    ) -> Result<(), ExecError>;
    /// `volume stop force` (error ignored) then `volume delete`; a missing volume is
    /// [`ExecErrorKind::NotFound`].
    async fn volume_destroy(&self, host: &Host, name: &str) -> Result<(), ExecError>;
    /// The volume as gluster sees it; `None` when gluster says it does not exist.
    async fn volume_info(
        &self,
        host: &Host,
        name: &str,
    ) -> Result<Option<GlusterVolume>, ExecError>;
    /// All volumes of the pool `host` belongs to.
    async fn volumes(&self, host: &Host) -> Result<Vec<GlusterVolume>, ExecError>;

    // ---- brick replacement (brick evict, device and node removal) ----

    /// `volume replace-brick <volume> <old> <new> commit force`: gluster swaps the brick
    /// in place (same set, same position) and heals the new one from its peers.
    async fn volume_replace_brick(
        &self,
        host: &Host,
        volume: &str,
        old: &BrickLocation,
        new: &BrickLocation,
    ) -> Result<(), ExecError>;
    /// `volume heal <volume> full`: launches a full self-heal crawl at once (what a new,
    /// empty brick needs). Fails while a self-heal daemon of the volume is (re)starting,
    /// as it is right after a replace-brick.
    async fn volume_heal_full(&self, host: &Host, volume: &str) -> Result<(), ExecError>;
    /// `volume heal <volume> info --xml`: per brick, whether it is connected and how many
    /// entries it has to heal.
    async fn volume_heal_info(&self, host: &Host, volume: &str) -> Result<HealInfo, ExecError>;

    // ---- volume clone (gluster snapshots) ----

    /// Heketi's clone: `snapshot create` of the source, `activate`, `snapshot clone`,
    /// `deactivate`, `volume start` of the clone, its `volume info`, and `snapshot delete`.
    /// The temporary snapshot is deleted whatever happens (best effort); a clone that
    /// was made but did not start is left for the caller, which reads its bricks before
    /// deleting it. A failure to delete the snapshot after a good clone is reported in
    /// [`ClonedVolume`].
    async fn volume_clone(
        &self,
        host: &Host,
        req: &CloneRequest,
    ) -> Result<ClonedVolume, ExecError>;
    /// `snapshot delete`; a snapshot that does not exist is
    /// [`ExecErrorKind::NotFound`].
    async fn snapshot_destroy(&self, host: &Host, snapshot: &str) -> Result<(), ExecError>;
    /// How full the thin pool `pool` of VG `vg_<vg_id>` is (LVM's `data_percent` and
    /// `metadata_percent`): a clone's bricks write into their source's pools.
    async fn thin_pool_usage(
        &self,
        host: &Host,
        vg_id: &str,
        pool: &str,
    ) -> Result<ThinPoolUsage, ExecError>;

    // ---- reconcile (the records compared with the nodes) ----

    /// Every LV, VG and PV (`lvs`/`vgs`/`pvs`), the mounts (`/proc/mounts`) and the fstab
    /// lines of `host`.
    async fn node_inventory(&self, host: &Host) -> Result<NodeInventory, ExecError>;
    /// The other members of `host`'s gluster pool (`peer status --xml`).
    async fn peer_status(&self, host: &Host) -> Result<Vec<PeerInfo>, ExecError>;
    /// Mounts a brick's LV again at its mount point (`mkdir -p`, `mount`).
    async fn brick_mount(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError>;
    /// Appends a brick's fstab line again (the line `brick_create` writes).
    async fn brick_fstab_add(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError>;
}

/// How full a thin pool is, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThinPoolUsage {
    /// Data space used.
    pub data_percent: f64,
    /// Metadata space used.
    pub metadata_percent: f64,
}

impl ThinPoolUsage {
    /// LVM refuses new thin volumes and snapshots in a full pool.
    pub fn full(&self) -> bool {
        self.data_percent >= 100.0 || self.metadata_percent >= 100.0
    }
}

/// What [`Executor::volume_clone`] clones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloneRequest {
    /// The source volume's name.
    pub source: String,
    /// The clone's name.
    pub clone: String,
    /// The temporary snapshot's name (Heketi: `tmpsnap_<uuid>`).
    pub snapshot: String,
}

/// A clone gluster made and started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClonedVolume {
    /// The clone as `volume info` reports it (bricks in the source's order).
    pub volume: GlusterVolume,
    /// Why the temporary snapshot could not be deleted, if it could not.
    pub snapshot_left: Option<String>,
}

/// Gluster's name for the LV of a clone's brick: the clone volume's UUID without dashes,
/// `_`, and the brick's index among the clone's bricks on the same node (glusterd counts
/// only local bricks; Heketi assumes `_0`, one brick per node).
pub fn clone_lv_name(clone_volume_id: &str, local_index: usize) -> String {
    format!("{}_{local_index}", clone_volume_id.replace('-', ""))
}
