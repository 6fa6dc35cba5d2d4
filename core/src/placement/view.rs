//! The placement view of one cluster, with a free-space index kept up to date in
//! O(log n) per change.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::Tags;
use super::arbiter::ArbiterTag;

/// A node as placement sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSlot {
    /// Node id.
    pub id: String,
    /// Failure domain (Heketi zone).
    pub zone: i64,
    /// Whether the node is online (and healthy).
    pub online: bool,
    /// Node tags; device tags override them.
    pub tags: Tags,
}

/// A device as placement sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSlot {
    /// Device id.
    pub id: String,
    /// Index into [`ClusterView::nodes`].
    pub node: usize,
    /// Whether the device is online.
    pub online: bool,
    /// Free space, KiB.
    pub free: u64,
    /// LVM extent size, KiB (0 means the 4 MiB default).
    pub extent: u64,
    /// Device tags (override the node's).
    pub tags: Tags,
}

/// Index key: most free first, then device id order (`rank`).
pub(super) type Key = (Reverse<u64>, u32);

/// The placement view of one cluster. Built once by the engine and kept up to date
/// incrementally with [`debit`](Self::debit), [`credit`](Self::credit), … ; `place`
/// reads it without cloning.
///
/// Inside, every usable device (online, on an online node) sits in one of three
/// ordered sets, one per [`ArbiterTag`], keyed by (free descending, device id).
#[derive(Clone, Debug)]
pub struct ClusterView {
    cluster_id: String,
    nodes: Vec<NodeSlot>,
    devices: Vec<DeviceSlot>,
    /// Devices of each node.
    node_devices: Vec<Vec<usize>>,
    /// Nodes of each zone.
    zone_nodes: BTreeMap<i64, Vec<usize>>,
    /// Position of each device in device id order.
    rank: Vec<u32>,
    /// Device index of each rank.
    by_rank: Vec<usize>,
    /// Effective arbiter tag of each device.
    class: Vec<ArbiterTag>,
    /// Usable devices per arbiter class (see [`ArbiterTag::slot`]).
    index: [BTreeSet<Key>; 3],
}

impl ClusterView {
    /// Builds the view. Devices whose `node` is out of range are kept (so indexes stay
    /// stable) but never used.
    pub fn new(cluster_id: String, nodes: Vec<NodeSlot>, devices: Vec<DeviceSlot>) -> ClusterView {
        let mut by_rank: Vec<usize> = (0..devices.len()).collect();
        by_rank.sort_by(|&a, &b| devices[a].id.cmp(&devices[b].id).then(a.cmp(&b)));
        let mut rank = vec![0u32; devices.len()];
        for (r, &d) in by_rank.iter().enumerate() {
            // Device counts beyond u32 are far outside any real cluster.
            rank[d] = u32::try_from(r).unwrap_or(u32::MAX);
        }
        let mut node_devices = vec![Vec::new(); nodes.len()];
        for (d, dev) in devices.iter().enumerate() {
            if let Some(list) = node_devices.get_mut(dev.node) {
                list.push(d);
            }
        }
        let mut zone_nodes: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (n, node) in nodes.iter().enumerate() {
            zone_nodes.entry(node.zone).or_default().push(n);
        }
        let mut view = ClusterView {
            cluster_id,
            nodes,
            devices,
            node_devices,
            zone_nodes,
            rank,
            by_rank,
            class: Vec::new(),
            index: Default::default(),
        };
        view.class = (0..view.devices.len())
            .map(|d| view.compute_class(d))
            .collect();
        for d in 0..view.devices.len() {
            view.index_insert(d);
        }
        view
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// All nodes, in the order given to [`new`](Self::new).
    pub fn nodes(&self) -> &[NodeSlot] {
        &self.nodes
    }

    /// All devices, in the order given to [`new`](Self::new).
    pub fn devices(&self) -> &[DeviceSlot] {
        &self.devices
    }

    /// The index of a device by id (O(log n)).
    pub fn device_index(&self, device_id: &str) -> Option<usize> {
        self.by_rank
            .binary_search_by(|&d| self.devices[d].id.as_str().cmp(device_id))
            .ok()
            .map(|r| self.by_rank[r])
    }

    /// Takes `kib` from a device's free space (a committed brick).
    ///
    /// Debiting more than is free is a caller bug: it asserts in debug builds and
    /// clamps to zero in release builds.
    pub fn debit(&mut self, device: usize, kib: u64) {
        let Some(dev) = self.devices.get(device) else {
            debug_assert!(false, "debit of unknown device {device}");
            return;
        };
        debug_assert!(
            dev.free >= kib,
            "debit of {kib} KiB from {} KiB free",
            dev.free
        );
        let free = dev.free.saturating_sub(kib);
        self.set_free(device, free);
    }

    /// Gives `kib` back to a device (a deleted brick).
    pub fn credit(&mut self, device: usize, kib: u64) {
        if let Some(dev) = self.devices.get(device) {
            let free = dev.free.saturating_add(kib);
            self.set_free(device, free);
        }
    }

    /// Sets a device's free space (resync).
    pub fn set_free(&mut self, device: usize, free: u64) {
        if device >= self.devices.len() {
            return;
        }
        self.index_remove(device);
        self.devices[device].free = free;
        self.index_insert(device);
    }

    /// Marks a device online or offline.
    pub fn set_device_online(&mut self, device: usize, online: bool) {
        if device >= self.devices.len() {
            return;
        }
        self.index_remove(device);
        self.devices[device].online = online;
        self.index_insert(device);
    }

    /// Marks a node (and so all its devices) online or offline.
    pub fn set_node_online(&mut self, node: usize, online: bool) {
        if node >= self.nodes.len() {
            return;
        }
        for i in 0..self.node_devices[node].len() {
            let d = self.node_devices[node][i];
            self.index_remove(d);
        }
        self.nodes[node].online = online;
        for i in 0..self.node_devices[node].len() {
            let d = self.node_devices[node][i];
            self.index_insert(d);
        }
    }

    /// Replaces a device's tags (its arbiter class may change).
    pub fn set_device_tags(&mut self, device: usize, tags: Tags) {
        if device >= self.devices.len() {
            return;
        }
        self.index_remove(device);
        self.devices[device].tags = tags;
        self.class[device] = self.compute_class(device);
        self.index_insert(device);
    }

    /// Replaces a node's tags (the arbiter class of its devices may change).
    pub fn set_node_tags(&mut self, node: usize, tags: Tags) {
        if node >= self.nodes.len() {
            return;
        }
        for i in 0..self.node_devices[node].len() {
            let d = self.node_devices[node][i];
            self.index_remove(d);
        }
        self.nodes[node].tags = tags;
        for i in 0..self.node_devices[node].len() {
            let d = self.node_devices[node][i];
            self.class[d] = self.compute_class(d);
            self.index_insert(d);
        }
    }

    /// Whether the device and its node are online (and the node exists).
    pub fn usable(&self, device: usize) -> bool {
        self.devices
            .get(device)
            .and_then(|dev| {
                self.nodes
                    .get(dev.node)
                    .map(|node| dev.online && node.online)
            })
            .unwrap_or(false)
    }

    /// Whether any device could take a brick at all.
    pub(super) fn has_usable_device(&self) -> bool {
        self.index.iter().any(|set| !set.is_empty())
    }

    pub(super) fn class(&self, device: usize) -> ArbiterTag {
        self.class[device]
    }

    pub(super) fn rank(&self, device: usize) -> u32 {
        self.rank[device]
    }

    pub(super) fn device_at_rank(&self, rank: u32) -> usize {
        self.by_rank[rank as usize]
    }

    pub(super) fn node_devices(&self, node: usize) -> &[usize] {
        &self.node_devices[node]
    }

    pub(super) fn zone_nodes(&self, zone: i64) -> &[usize] {
        self.zone_nodes.get(&zone).map_or(&[], Vec::as_slice)
    }

    /// Usable devices of one class, most free first.
    pub(super) fn index(&self, class: ArbiterTag) -> &BTreeSet<Key> {
        &self.index[class.slot()]
    }

    fn key(&self, device: usize) -> Key {
        (Reverse(self.devices[device].free), self.rank[device])
    }

    fn compute_class(&self, device: usize) -> ArbiterTag {
        let dev = &self.devices[device];
        match self.nodes.get(dev.node) {
            Some(node) => ArbiterTag::from_tags(&node.tags, &dev.tags),
            None => ArbiterTag::Supported,
        }
    }

    fn index_insert(&mut self, device: usize) {
        if self.usable(device) {
            let key = self.key(device);
            self.index[self.class[device].slot()].insert(key);
        }
    }

    fn index_remove(&mut self, device: usize) {
        if self.usable(device) {
            let key = self.key(device);
            self.index[self.class[device].slot()].remove(&key);
        }
    }
}
