//! The kinds of drift between the records and the nodes that reconcile reports
//! (`engine/reconcile.rs`), and one finding.

use serde::Serialize;

use crate::executor::{BrickRequest, Host};

/// What differs between the records and a node. The snake_case names are stable: the
/// REST answer and `--json` carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// The node could not be inventoried (ssh failed, or gluster did not answer).
    NodeUnreachable,
    /// A node of the cluster is not in the gluster pool.
    PeerMissing,
    /// A device's volume group is not on its node.
    DeviceGone,
    /// A recorded brick's LV is not on its device.
    BrickLvMissing,
    /// A brick's LV (or a device's VG) is not the size the records say.
    SizeDiffers,
    /// A brick's LV is not mounted at its mount point.
    BrickNotMounted,
    /// A brick's fstab line is missing.
    FstabLineMissing,
    /// An LV named as Brickyard names brick LVs (`brick_<id>`, `tp_<id>`) on a known
    /// device, that no brick record owns.
    StrayLv,
    /// A recorded volume that gluster does not have.
    VolumeMissing,
    /// A gluster volume the records do not have.
    VolumeUnknown,
    /// A volume whose bricks in gluster are not the recorded ones.
    BrickListDiffers,
    /// A recorded volume that gluster has but has not started.
    VolumeNotStarted,
}

impl DriftKind {
    /// Every kind, in report order.
    pub const ALL: [DriftKind; 12] = [
        DriftKind::NodeUnreachable,
        DriftKind::PeerMissing,
        DriftKind::DeviceGone,
        DriftKind::BrickLvMissing,
        DriftKind::SizeDiffers,
        DriftKind::BrickNotMounted,
        DriftKind::FstabLineMissing,
        DriftKind::StrayLv,
        DriftKind::VolumeMissing,
        DriftKind::VolumeUnknown,
        DriftKind::BrickListDiffers,
        DriftKind::VolumeNotStarted,
    ];

    /// The stable snake_case name (`brick_lv_missing`).
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::NodeUnreachable => "node_unreachable",
            DriftKind::PeerMissing => "peer_missing",
            DriftKind::DeviceGone => "device_gone",
            DriftKind::BrickLvMissing => "brick_lv_missing",
            DriftKind::SizeDiffers => "size_differs",
            DriftKind::BrickNotMounted => "brick_not_mounted",
            DriftKind::FstabLineMissing => "fstab_line_missing",
            DriftKind::StrayLv => "stray_lv",
            DriftKind::VolumeMissing => "volume_missing",
            DriftKind::VolumeUnknown => "volume_unknown",
            DriftKind::BrickListDiffers => "brick_list_differs",
            DriftKind::VolumeNotStarted => "volume_not_started",
        }
    }

    /// A short human text (`brick LV missing`).
    pub fn text(self) -> &'static str {
        match self {
            DriftKind::NodeUnreachable => "node unreachable",
            DriftKind::PeerMissing => "peer missing",
            DriftKind::DeviceGone => "device gone",
            DriftKind::BrickLvMissing => "brick LV missing",
            DriftKind::SizeDiffers => "size differs",
            DriftKind::BrickNotMounted => "brick not mounted",
            DriftKind::FstabLineMissing => "fstab line missing",
            DriftKind::StrayLv => "stray LV of ours",
            DriftKind::VolumeMissing => "volume missing in gluster",
            DriftKind::VolumeUnknown => "gluster volume unknown to the database",
            DriftKind::BrickListDiffers => "brick list differs",
            DriftKind::VolumeNotStarted => "volume not started",
        }
    }

    /// The kind named `name` (its [`DriftKind::as_str`]).
    pub fn parse(name: &str) -> Option<DriftKind> {
        DriftKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for DriftKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How `--fix` repairs a drift (only the safe kinds have one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Repair {
    /// `mkdir -p` + `mount` of the brick's LV.
    Mount(Host, BrickRequest),
    /// Append the brick's fstab line.
    Fstab(Host, BrickRequest),
    /// Destroy a stray brick LV (and its pool when empty), as a brick delete does.
    RemoveStray(Host, BrickRequest),
}

/// One difference between the records and the nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// What differs.
    pub kind: DriftKind,
    /// The cluster it was found in.
    pub cluster: String,
    /// The node it was found on (none for a volume-level finding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// That node's manage host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What it is about: a brick, device or node id, `vg/lv`, or a volume name.
    pub subject: String,
    /// What was found, and what to do about it.
    pub detail: String,
    /// `--fix` repairs it (re-mount, fstab line, stray LV removal).
    pub fixable: bool,
    /// Why the repair attempted by this call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_error: Option<String>,
    #[serde(skip)]
    pub(crate) repair: Option<Repair>,
}

impl Drift {
    /// Identifies the finding across two runs (kind, cluster, node and subject).
    pub fn key(&self) -> (DriftKind, &str, Option<&str>, &str) {
        (
            self.kind,
            self.cluster.as_str(),
            self.node.as_deref(),
            self.subject.as_str(),
        )
    }
}

/// What reconcile found and, with `fix`, repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// What differs now (after the repairs, with `fix`), in report order.
    pub drifts: Vec<Drift>,
    /// What this call repaired (with `fix`): found before, gone after.
    pub fixed: Vec<Drift>,
    /// Records left out because a pending operation owns them (the cleaner's job).
    pub skipped: Vec<String>,
    /// Clusters compared.
    pub clusters: usize,
    /// Nodes asked.
    pub nodes: usize,
}

impl ReconcileReport {
    /// Nothing differs.
    pub fn is_clean(&self) -> bool {
        self.drifts.is_empty()
    }

    /// The drifts `--fix` would repair.
    pub fn fixable(&self) -> impl Iterator<Item = &Drift> {
        self.drifts.iter().filter(|d| d.fixable)
    }

    /// The drifts that need a person.
    pub fn needs_a_person(&self) -> impl Iterator<Item = &Drift> {
        self.drifts
            .iter()
            .filter(|d| !d.fixable || d.fix_error.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_round_trip() {
        for k in DriftKind::ALL {
            assert_eq!(DriftKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert!(!k.text().is_empty());
        }
        assert_eq!(DriftKind::BrickLvMissing.as_str(), "brick_lv_missing");
        assert_eq!(DriftKind::StrayLv.text(), "stray LV of ours");
        assert_eq!(DriftKind::parse("nonsense"), None);
    }
}
