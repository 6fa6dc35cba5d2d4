use serde::{Deserialize, Serialize};

use crate::api::null_as_default;

/// `Pending: {"Id": …}` on a record that a pending operation owns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRef {
    #[serde(rename = "Id", default)]
    pub id: String,
}

impl PendingRef {
    pub fn is_pending(&self) -> bool {
        !self.id.is_empty()
    }
}

/// Heketi's pending operation types (the integers of `db export`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    CreateVolume = 1,
    DeleteVolume = 2,
    ExpandVolume = 3,
    CreateBlockVolume = 4,
    DeleteBlockVolume = 5,
    RemoveDevice = 6,
    CloneVolume = 7,
    EvictBrick = 8,
    ExpandBlockVolume = 9,
    /// Brickyard: a node add (peer probe) in flight; Heketi records none.
    AddNode = 101,
    /// Brickyard: a device add (pvcreate, vgcreate) in flight; Heketi records none.
    AddDevice = 102,
    /// Brickyard: a node delete (peer detach) in flight; Heketi records none.
    DeleteNode = 103,
    /// Brickyard: a device delete (vgremove, pvremove) in flight; Heketi records none.
    DeleteDevice = 104,
}

impl OperationKind {
    pub fn from_code(code: i32) -> Option<OperationKind> {
        use OperationKind::*;
        Some(match code {
            1 => CreateVolume,
            2 => DeleteVolume,
            3 => ExpandVolume,
            4 => CreateBlockVolume,
            5 => DeleteBlockVolume,
            6 => RemoveDevice,
            7 => CloneVolume,
            8 => EvictBrick,
            9 => ExpandBlockVolume,
            101 => AddNode,
            102 => AddDevice,
            103 => DeleteNode,
            104 => DeleteDevice,
            _ => return None,
        })
    }

    /// The `type_name` of `GET /operations/pending`.
    pub fn type_name(self) -> &'static str {
        use OperationKind::*;
        match self {
            CreateVolume => "create-volume",
            DeleteVolume => "delete-volume",
            ExpandVolume => "expand-volume",
            CreateBlockVolume => "create-block-volume",
            DeleteBlockVolume => "delete-block-volume",
            RemoveDevice => "remove-device",
            CloneVolume => "clone-volume",
            EvictBrick => "evict-brick",
            ExpandBlockVolume => "expand-block-volume",
            AddNode => "add-node",
            AddDevice => "add-device",
            DeleteNode => "delete-node",
            DeleteDevice => "delete-device",
        }
    }
}

/// Heketi's change kinds of a pending action (the integers of `db export`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    AddBrick = 1,
    AddVolume = 2,
    DeleteBrick = 3,
    DeleteVolume = 4,
    ExpandVolume = 5,
    AddBlockVolume = 6,
    DeleteBlockVolume = 7,
    RemoveDevice = 8,
    CloneVolume = 9,
    SnapshotVolume = 10,
    AddVolumeClone = 11,
    ChildOperation = 12,
    ParentOperation = 13,
    ExpandBlockVolume = 14,
    /// Brickyard: the node being added.
    AddNode = 101,
    /// Brickyard: the device being added.
    AddDevice = 102,
    /// Brickyard: the node being deleted.
    DeleteNode = 103,
    /// Brickyard: the device being deleted.
    DeleteDevice = 104,
}

impl ChangeKind {
    pub fn from_code(code: i32) -> Option<ChangeKind> {
        use ChangeKind::*;
        Some(match code {
            1 => AddBrick,
            2 => AddVolume,
            3 => DeleteBrick,
            4 => DeleteVolume,
            5 => ExpandVolume,
            6 => AddBlockVolume,
            7 => DeleteBlockVolume,
            8 => RemoveDevice,
            9 => CloneVolume,
            10 => SnapshotVolume,
            11 => AddVolumeClone,
            12 => ChildOperation,
            13 => ParentOperation,
            14 => ExpandBlockVolume,
            101 => AddNode,
            102 => AddDevice,
            103 => DeleteNode,
            104 => DeleteDevice,
            _ => return None,
        })
    }

    /// The `description` of `GET /operations/pending/{id}`.
    pub fn description(self) -> &'static str {
        use ChangeKind::*;
        match self {
            AddBrick => "Add brick",
            AddVolume => "Add volume",
            DeleteBrick => "Delete brick",
            DeleteVolume => "Delete volume",
            ExpandVolume => "Expand volume",
            AddBlockVolume => "Add block volume",
            DeleteBlockVolume => "Delete block volume",
            RemoveDevice => "Remove device",
            CloneVolume => "Clone volume from",
            SnapshotVolume => "Snapshot volume",
            AddVolumeClone => "Expand volume to",
            ChildOperation => "Performing child operation",
            ParentOperation => "Belongs to parent operation",
            ExpandBlockVolume => "Expand block volume",
            AddNode => "Add node",
            AddDevice => "Add device",
            DeleteNode => "Delete node",
            DeleteDevice => "Delete device",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingAction {
    pub change: i32,
    pub id: String,
    #[serde(default)]
    pub delta: i64,
}

/// A pending operation: written in the same transaction that reserves space, before
/// any command runs on a node; removed in the transaction that finalises or rolls back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingOperationEntry {
    pub id: String,
    #[serde(default)]
    pub timestamp: i64,
    #[serde(rename = "Type")]
    pub kind: i32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<PendingAction>,
    /// "" (new), "stale" or "failed".
    #[serde(default)]
    pub status: String,
    /// Brickyard extra: what the last attempt could not undo on the nodes, so that the
    /// cleaner knows what remains. Ignored by Heketi.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub leftovers: Vec<String>,
    /// Brickyard extra: for a node or device add or delete, the node or device, so
    /// that the cleanup of a crashed add can undo it on the node without a record of
    /// it (and a crashed delete be finished). Ignored by Heketi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<PendingTarget>,
}

/// The node or device of Brickyard's `add-node`, `add-device`, `delete-node` and
/// `delete-device` pending operations: enough to undo an add on the node without a
/// record of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingTarget {
    /// The node's id (the node added or deleted, or the device's node).
    pub node: String,
    /// The node's cluster.
    pub cluster: String,
    /// The node's manage host.
    pub manage: String,
    /// The node's storage host.
    pub storage: String,
    /// The device's name (device operations only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device: String,
}

impl PendingOperationEntry {
    pub fn kind(&self) -> Option<OperationKind> {
        OperationKind::from_code(self.kind)
    }

    /// The kind's `type_name`, `unknown` for a code this version does not know.
    pub fn type_name(&self) -> &'static str {
        self.kind().map_or("unknown", OperationKind::type_name)
    }

    pub fn ids_with(&self, change: ChangeKind) -> impl Iterator<Item = &str> {
        self.actions
            .iter()
            .filter(move |a| a.change == change as i32)
            .map(|a| a.id.as_str())
    }
}
