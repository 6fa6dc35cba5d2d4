//! Reconcile: the records compared with what the nodes hold, through the executor
//! (`lvs`/`vgs`/`pvs`, `/proc/mounts`, the fstab, `gluster volume info --xml`, `gluster
//! peer status --xml`), every difference reported as a [`Drift`]; with `fix`, the safe
//! ones repaired (re-mount a brick, re-add its fstab line, remove a stray LV of ours that
//! no volume uses) and the nodes compared again.
//!
//! **Not while operations run**: an operation's bricks and volumes exist on the nodes
//! before its records are final (or the other way round), so a comparison taken while one
//! runs would report them. A round therefore runs only when the engine is quiet (nothing
//! in flight, no node or device being added or deleted) and is kept only if nothing was
//! written to the records while the nodes were read ([`Engine::activity`]); it is retried
//! a few times, then refused with a `conflict`. Records a pending operation owns (one left
//! for the cleaner) are skipped and listed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::future::join_all;

use crate::api::EntryState;
use crate::error::{Error, Result};
use crate::executor::{
    BrickFormat, BrickRequest, ExecError, GlusterVolume, Host, NodeInventory, PeerInfo,
};
use crate::model::BrickEntry;
use crate::state::State;

use super::Engine;
use super::drift::{Drift, DriftKind, ReconcileReport, Repair};
use super::hosts::{brick_request, host_of};

/// How many times a round is tried before reconcile gives up on a busy engine.
const ROUND_ATTEMPTS: u32 = 10;
/// The pause between two attempts.
const ROUND_PAUSE: Duration = Duration::from_millis(300);

/// What one node answered.
struct NodeScan {
    inventory: std::result::Result<NodeInventory, ExecError>,
    peers: std::result::Result<Vec<PeerInfo>, ExecError>,
}

/// Is `s` a Brickyard (Heketi) id: 32 lowercase hex digits?
fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// The device of a brick's mount in `/proc/mounts` or the fstab: the `/dev/mapper` node
/// or `/dev/<vg>/<lv>`.
fn is_brick_device(source: &str, b: &BrickRequest) -> bool {
    source == b.dev_node() || source == format!("/dev/{}/{}", b.vg_name(), b.lv_name())
}

/// A BrickRequest for an LV found on a node (a stray one): the destroy path only uses
/// its names, the sizes are what the node shows.
fn stray_request(vg_id: &str, brick_id: &str, size_kib: u64) -> BrickRequest {
    BrickRequest {
        vg_id: vg_id.to_string(),
        brick_id: brick_id.to_string(),
        size: size_kib.max(1),
        tp_size: size_kib.max(1),
        pool_metadata_size: 1,
        gid: 0,
        format: BrickFormat::Normal,
        snapshot: None,
    }
}

impl Engine {
    /// Compares the records with the nodes and reports every drift; with `fix`, repairs
    /// the safe ones and reports what is left. An unreachable node is a drift, not a
    /// failure of the call. Refused (`conflict`) while operations keep running.
    pub async fn reconcile(&self, fix: bool) -> Result<ReconcileReport> {
        let (before, generation) = self.reconcile_round().await?;
        if !fix || before.fixable().next().is_none() {
            return Ok(before);
        }
        // A repair changes a node: only while the comparison still holds.
        let (now, quiet) = self.activity();
        if now != generation || !quiet {
            return Err(busy_error());
        }
        let ex = self.executor().clone();
        // The repairs at once (each is a few commands on one node; fstab edits of one
        // node take turns in the executor).
        let results = join_all(before.fixable().filter_map(|d| {
            let repair = d.repair.clone()?;
            let ex = ex.clone();
            Some(async move {
                let done = match &repair {
                    Repair::Mount(h, b) => ex.brick_mount(h, b).await,
                    Repair::Fstab(h, b) => ex.brick_fstab_add(h, b).await,
                    Repair::RemoveStray(h, b) => ex.brick_destroy(h, b).await.map(drop),
                };
                (d, done)
            })
        }))
        .await;
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        for (d, done) in results {
            match done {
                Ok(()) => tracing::info!(kind = %d.kind, subject = %d.subject, "drift repaired"),
                Err(e) => {
                    tracing::warn!(kind = %d.kind, subject = %d.subject, error = %e, "drift not repaired");
                    errors.insert(format!("{:?}", d.key()), e.to_string());
                }
            }
        }
        let (mut after, _) = self.reconcile_round().await?;
        let still: BTreeSet<String> = after
            .drifts
            .iter()
            .map(|d| format!("{:?}", d.key()))
            .collect();
        after.fixed = before
            .drifts
            .iter()
            .filter(|d| d.fixable && !still.contains(&format!("{:?}", d.key())))
            .cloned()
            .collect();
        for d in &mut after.drifts {
            d.fix_error = errors.get(&format!("{:?}", d.key())).cloned();
        }
        Ok(after)
    }

    /// One comparison taken while the engine is quiet, and the write generation it holds
    /// for.
    async fn reconcile_round(&self) -> Result<(ReconcileReport, u64)> {
        for attempt in 0..ROUND_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(ROUND_PAUSE).await;
            }
            let (g1, quiet) = self.activity();
            if !quiet {
                continue;
            }
            let st = self.state();
            let (scans, volumes) = self.scan(&st).await;
            let (g2, quiet) = self.activity();
            if g1 == g2 && quiet {
                return Ok((compare(&st, &scans, &volumes), g2));
            }
        }
        Err(busy_error())
    }

    /// Asks every node of every cluster, all at once, for its inventory, its peers and
    /// its gluster volumes; per cluster, the volumes are those of the node that sees
    /// most of the pool (a node that left the pool has volumes of its own).
    async fn scan(
        &self,
        st: &State,
    ) -> (
        BTreeMap<String, NodeScan>,
        BTreeMap<String, std::result::Result<Vec<GlusterVolume>, String>>,
    ) {
        let ex = self.executor().clone();
        let nodes: Vec<(String, Host)> = st
            .clusters
            .values()
            .flat_map(|c| c.info.nodes.iter())
            .filter_map(|id| st.nodes.get(id).map(|n| (id.clone(), host_of(n))))
            .collect();
        let answers = join_all(nodes.iter().map(|(id, h)| {
            let ex = ex.clone();
            async move {
                let (inventory, peers, volumes) =
                    futures_util::join!(ex.node_inventory(h), ex.peer_status(h), ex.volumes(h));
                (id.clone(), NodeScan { inventory, peers }, volumes)
            }
        }))
        .await;
        let mut scans = BTreeMap::new();
        let mut node_volumes = BTreeMap::new();
        for (id, scan, vols) in answers {
            scans.insert(id.clone(), scan);
            node_volumes.insert(id, vols);
        }
        let mut volumes = BTreeMap::new();
        for (cid, cluster) in &st.clusters {
            let coverage = |id: &String| {
                scans
                    .get(id)
                    .and_then(|s| s.peers.as_ref().ok())
                    .map_or(0, Vec::len)
            };
            let mut ids: Vec<&String> = cluster.info.nodes.iter().collect();
            // Most peers first; online before offline; cluster order otherwise.
            ids.sort_by_key(|id| {
                let online = st
                    .nodes
                    .get(*id)
                    .is_some_and(|n| n.state == EntryState::Online);
                (std::cmp::Reverse(coverage(id)), !online)
            });
            let mut errors = Vec::new();
            let mut found = None;
            for id in ids {
                match node_volumes.get(id) {
                    Some(Ok(v)) => {
                        found = Some(v.clone());
                        break;
                    }
                    Some(Err(e)) => errors.push(e.to_string()),
                    None => {}
                }
            }
            let answer = match found {
                Some(v) => Ok(v),
                None if errors.is_empty() => Err("the cluster has no node".to_string()),
                None => Err(errors.join("; ")),
            };
            volumes.insert(cid.clone(), answer);
        }
        (scans, volumes)
    }
}

fn busy_error() -> Error {
    Error::conflict(
        "operations are running: reconcile compares the nodes with the records only while none runs; try again when they have finished",
    )
}

/// The findings, from one snapshot of the records and what the nodes answered.
fn compare(
    st: &State,
    scans: &BTreeMap<String, NodeScan>,
    volumes: &BTreeMap<String, std::result::Result<Vec<GlusterVolume>, String>>,
) -> ReconcileReport {
    let mut report = ReconcileReport {
        clusters: st.clusters.len(),
        nodes: scans.len(),
        ..Default::default()
    };
    // Records a pending operation owns are the cleaner's: left out.
    let pending_volumes: BTreeSet<String> = st
        .volumes
        .packed()
        .filter(|(_, v)| v.is_pending())
        .map(|(id, _)| String::from(id))
        .collect();
    let skip_brick = |b: &BrickEntry| {
        b.pending.is_pending()
            || pending_volumes.contains(b.info.volume.as_str())
            || b.info.path.is_empty()
    };
    for v in st.volumes.values().filter(|v| v.pending.is_pending()) {
        report.skipped.push(format!(
            "volume {} ({}): pending operation {}",
            v.info.id, v.info.request.name, v.pending.id
        ));
    }
    for b in st.bricks.values().filter(|b| b.pending.is_pending()) {
        report.skipped.push(format!(
            "brick {}: pending operation {}",
            b.info.id, b.pending.id
        ));
    }
    let mut drifts = Vec::new();
    for (cid, cluster) in &st.clusters {
        let gluster = volumes.get(cid);
        let gluster_ok = gluster.and_then(|g| g.as_ref().ok());
        // Brick paths gluster uses (`host:path`), to tell a stray LV in use.
        let used_paths: BTreeMap<&str, &str> = gluster_ok
            .map(|vs| {
                vs.iter()
                    .flat_map(|v| v.bricks.iter().map(move |b| (b.as_str(), v.name.as_str())))
                    .collect()
            })
            .unwrap_or_default();
        let mut peer_views: Vec<(&str, BTreeSet<String>)> = Vec::new();
        for nid in &cluster.info.nodes {
            let Some(node) = st.nodes.get(nid) else {
                continue;
            };
            let host = host_of(node);
            let at = |kind, subject: String, detail: String| Drift {
                kind,
                cluster: cid.clone(),
                node: Some(nid.clone()),
                host: Some(host.manage.clone()),
                subject,
                detail,
                fixable: false,
                fix_error: None,
                repair: None,
            };
            let Some(scan) = scans.get(nid) else { continue };
            match &scan.peers {
                Ok(peers) => {
                    let mut names: BTreeSet<String> = peers
                        .iter()
                        .filter(|p| p.state.is_empty() || p.state == "Peer in Cluster")
                        .flat_map(|p| p.hostnames.iter().cloned())
                        .collect();
                    names.insert(host.storage.clone());
                    names.insert(host.manage.clone());
                    peer_views.push((nid.as_str(), names));
                }
                Err(e) if scan.inventory.is_ok() => drifts.push(at(
                    DriftKind::NodeUnreachable,
                    nid.clone(),
                    format!(
                        "gluster on {} did not answer: {e}; start glusterd there",
                        host.manage
                    ),
                )),
                Err(_) => {}
            }
            let inv = match &scan.inventory {
                Ok(inv) => inv,
                Err(e) => {
                    drifts.push(at(
                        DriftKind::NodeUnreachable,
                        nid.clone(),
                        format!("could not inventory {}: {e}", host.manage),
                    ));
                    continue;
                }
            };
            for did in &node.devices {
                let Some(dev) = st.devices.get(did) else {
                    continue;
                };
                let vg_name = format!("vg_{did}");
                let Some(vg) = inv.vg(&vg_name) else {
                    // A failed device is on its way out (device delete tears it down).
                    if dev.state != EntryState::Failed {
                        let pv = inv.pvs.iter().find(|p| p.device == dev.info.name);
                        drifts.push(at(
                            DriftKind::DeviceGone,
                            did.clone(),
                            format!(
                                "volume group {vg_name} of device {} is not on {} ({}); its {} brick(s) are lost: replace the device (device remove) or restore it",
                                dev.info.name,
                                host.manage,
                                match pv {
                                    Some(p) if p.vg.is_empty() => "the PV is there without a volume group".to_string(),
                                    Some(p) => format!("the PV belongs to {}", p.vg),
                                    None => "no PV either".to_string(),
                                },
                                dev.bricks.len()
                            ),
                        ));
                    }
                    continue;
                };
                if vg.size_kib != dev.info.storage.total {
                    drifts.push(at(
                        DriftKind::SizeDiffers,
                        did.clone(),
                        format!(
                            "volume group {vg_name} has {} KiB, the records say {} KiB: run `brickyard device resync {did}` if the disk was resized",
                            vg.size_kib, dev.info.storage.total
                        ),
                    ));
                }
                let extent = vg.extent_kib.max(1);
                let mut pools_in_use = BTreeSet::new();
                let mut recorded_lvs = BTreeSet::new();
                for bid in &dev.bricks {
                    let Some(brick) = st.bricks.get(&bid) else {
                        continue;
                    };
                    pools_in_use.insert(brick.thin_pool_name());
                    let req = brick_request(&brick, 0);
                    recorded_lvs.insert(req.lv_name());
                    if skip_brick(&brick) {
                        continue;
                    }
                    let Some(lv) = inv.lv(&vg_name, &req.lv_name()) else {
                        drifts.push(at(
                            DriftKind::BrickLvMissing,
                            bid.clone(),
                            format!(
                                "LV {vg_name}/{} of brick {bid} (volume {}) is not on {}: its data is gone; evict the brick (brick evict) to rebuild it from its replicas",
                                req.lv_name(),
                                brick.info.volume,
                                host.manage
                            ),
                        ));
                        continue;
                    };
                    let size = brick.info.size;
                    // LVM rounds a virtual size up to whole extents.
                    if lv.size_kib < size || lv.size_kib >= size + extent {
                        drifts.push(at(
                            DriftKind::SizeDiffers,
                            bid.clone(),
                            format!(
                                "LV {vg_name}/{} is {} KiB, the records say {size} KiB: resized behind Brickyard's back; resize it back or fix the records",
                                req.lv_name(),
                                lv.size_kib
                            ),
                        ));
                    }
                    let mount_dir = req.mount_dir();
                    match inv.mount_at(&mount_dir) {
                        None => {
                            let safe = req.snapshot.is_none();
                            let mut d = at(
                                DriftKind::BrickNotMounted,
                                bid.clone(),
                                format!(
                                    "LV {vg_name}/{} is not mounted at {mount_dir}{}",
                                    req.lv_name(),
                                    if safe {
                                        ": --fix mounts it"
                                    } else {
                                        " (a clone's brick: glusterd mounts it when the volume starts)"
                                    }
                                ),
                            );
                            if safe {
                                d.fixable = true;
                                d.repair = Some(Repair::Mount(host.clone(), req.clone()));
                            }
                            drifts.push(d);
                        }
                        Some(m) if !is_brick_device(&m.source, &req) => drifts.push(at(
                            DriftKind::BrickNotMounted,
                            bid.clone(),
                            format!(
                                "{mount_dir} holds {} instead of LV {vg_name}/{}: unmount it and mount the brick",
                                m.source,
                                req.lv_name()
                            ),
                        )),
                        Some(_) => {}
                    }
                    if req.snapshot.is_none()
                        && !inv
                            .fstab
                            .iter()
                            .any(|e| e.target == mount_dir && is_brick_device(&e.source, &req))
                    {
                        let mut d = at(
                            DriftKind::FstabLineMissing,
                            bid.clone(),
                            format!(
                                "no fstab line mounts {} at {mount_dir}: a reboot would leave the brick unmounted; --fix adds it",
                                req.dev_node()
                            ),
                        );
                        d.fixable = true;
                        d.repair = Some(Repair::Fstab(host.clone(), req.clone()));
                        drifts.push(d);
                    }
                }
                // LVs named as Brickyard names them that no brick record owns.
                let mut stray_pools_covered = BTreeSet::new();
                for lv in inv.lvs.iter().filter(|l| l.vg == vg_name) {
                    let Some(id) = lv.name.strip_prefix("brick_").filter(|i| is_id(i)) else {
                        continue;
                    };
                    if recorded_lvs.contains(&lv.name) || st.bricks.contains_key(id) {
                        continue;
                    }
                    stray_pools_covered.insert(lv.pool.clone());
                    let mount_dir =
                        format!("{}/{vg_name}/brick_{id}", crate::executor::BRICK_MOUNT_ROOT);
                    let user = used_paths
                        .iter()
                        .find(|(path, _)| {
                            path.split_once(":/").is_some_and(|(_, p)| {
                                format!("/{p}").starts_with(&format!("{mount_dir}/"))
                            })
                        })
                        .map(|(_, v)| *v);
                    let mut d = at(
                        DriftKind::StrayLv,
                        format!("{vg_name}/{}", lv.name),
                        String::new(),
                    );
                    match user {
                        Some(vol) => {
                            d.detail = format!(
                                "LV {vg_name}/{} ({} KiB) has no brick record but gluster volume {vol} uses it: import or delete that volume",
                                lv.name, lv.size_kib
                            );
                        }
                        None if gluster_ok.is_none() => {
                            d.detail = format!(
                                "LV {vg_name}/{} ({} KiB) has no brick record; gluster could not be asked whether a volume uses it",
                                lv.name, lv.size_kib
                            );
                        }
                        None => {
                            d.detail = format!(
                                "LV {vg_name}/{} ({} KiB) has no brick record and no volume uses it: --fix removes it (and its thin pool when empty)",
                                lv.name, lv.size_kib
                            );
                            d.fixable = true;
                            d.repair = Some(Repair::RemoveStray(
                                host.clone(),
                                stray_request(did, id, lv.size_kib),
                            ));
                        }
                    }
                    drifts.push(d);
                }
                // Empty thin pools of ours that no brick uses.
                for lv in inv.lvs.iter().filter(|l| l.vg == vg_name) {
                    let Some(id) = lv.name.strip_prefix("tp_").filter(|i| is_id(i)) else {
                        continue;
                    };
                    if pools_in_use.contains(&lv.name)
                        || stray_pools_covered.contains(&lv.name)
                        || inv.lvs.iter().any(|t| t.vg == vg_name && t.pool == lv.name)
                    {
                        continue;
                    }
                    let mut d = at(
                        DriftKind::StrayLv,
                        format!("{vg_name}/{}", lv.name),
                        format!(
                            "thin pool {vg_name}/{} ({} KiB) is empty and no brick record uses it: --fix removes it",
                            lv.name, lv.size_kib
                        ),
                    );
                    d.fixable = true;
                    d.repair = Some(Repair::RemoveStray(
                        host.clone(),
                        stray_request(did, id, lv.size_kib),
                    ));
                    drifts.push(d);
                }
            }
        }
        // The pool as the node that sees most of the cluster sees it.
        let reference = peer_views
            .iter()
            .map(|(id, names)| {
                let seen = cluster
                    .info
                    .nodes
                    .iter()
                    .filter_map(|n| st.nodes.get(n))
                    .filter(|n| names.contains(n.storage_host()) || names.contains(n.manage_host()))
                    .count();
                (seen, *id, names)
            })
            .max_by_key(|(seen, _, _)| *seen);
        if let Some((_, ref_id, names)) = reference {
            let ref_host = st
                .nodes
                .get(ref_id)
                .map(|n| n.manage_host().to_string())
                .unwrap_or_default();
            for nid in &cluster.info.nodes {
                let Some(node) = st.nodes.get(nid) else {
                    continue;
                };
                if names.contains(node.storage_host()) || names.contains(node.manage_host()) {
                    continue;
                }
                drifts.push(Drift {
                    kind: DriftKind::PeerMissing,
                    cluster: cid.clone(),
                    node: Some(nid.clone()),
                    host: Some(node.manage_host().to_string()),
                    subject: nid.clone(),
                    detail: format!(
                        "node {} ({}) is not in the gluster pool of {ref_host}: probe it again (gluster peer probe {}) if it belongs to the cluster",
                        node.manage_host(),
                        node.storage_host(),
                        node.storage_host()
                    ),
                    fixable: false,
                    fix_error: None,
                    repair: None,
                });
            }
        }
        // Volumes: the records against one node's `volume info`.
        let Some(gvols) = gluster_ok else {
            continue;
        };
        let by_name: BTreeMap<&str, &GlusterVolume> =
            gvols.iter().map(|v| (v.name.as_str(), v)).collect();
        let recorded: Vec<_> = st
            .volumes
            .values()
            .filter(|v| v.info.cluster == *cid)
            .collect();
        let vol_drift = |kind, subject: &str, detail: String| Drift {
            kind,
            cluster: cid.clone(),
            node: None,
            host: None,
            subject: subject.to_string(),
            detail,
            fixable: false,
            fix_error: None,
            repair: None,
        };
        for v in &recorded {
            if v.pending.is_pending() {
                continue;
            }
            let name = v.info.request.name.as_str();
            let Some(g) = by_name.get(name) else {
                drifts.push(vol_drift(
                    DriftKind::VolumeMissing,
                    name,
                    format!(
                        "volume {} ({name}) is recorded but gluster does not have it: recreate it in gluster or delete the volume",
                        v.info.id
                    ),
                ));
                continue;
            };
            let bricks: Vec<BrickEntry> =
                v.bricks.iter().filter_map(|b| st.bricks.get(b)).collect();
            if bricks.iter().all(|b| !b.pending.is_pending()) {
                let want: BTreeSet<String> = bricks
                    .iter()
                    .filter_map(|b| {
                        let n = st.nodes.get(&b.info.node)?;
                        Some(format!("{}:{}", n.storage_host(), b.info.path))
                    })
                    .collect();
                let have: BTreeSet<String> = g.bricks.iter().cloned().collect();
                if want != have {
                    let only_g: Vec<&String> = have.difference(&want).collect();
                    let only_r: Vec<&String> = want.difference(&have).collect();
                    drifts.push(vol_drift(
                        DriftKind::BrickListDiffers,
                        name,
                        format!(
                            "volume {} ({name}): only in gluster: [{}]; only in the records: [{}]",
                            v.info.id,
                            only_g
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            only_r
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
            if g.status != "Started" {
                drifts.push(vol_drift(
                    DriftKind::VolumeNotStarted,
                    name,
                    format!(
                        "volume {} ({name}) is {} in gluster: start it (gluster volume start {name})",
                        v.info.id, g.status
                    ),
                ));
            }
        }
        let names: BTreeSet<&str> = recorded
            .iter()
            .map(|v| v.info.request.name.as_str())
            .collect();
        for g in gvols {
            if !names.contains(g.name.as_str()) {
                drifts.push(vol_drift(
                    DriftKind::VolumeUnknown,
                    &g.name,
                    format!(
                        "gluster volume {} ({}, {} brick(s)) is not in the database: import it or delete it in gluster",
                        g.name,
                        g.status,
                        g.bricks.len()
                    ),
                ));
            }
        }
    }
    drifts.sort_by(|a, b| {
        (
            a.cluster.as_str(),
            a.kind,
            a.host.as_deref(),
            a.subject.as_str(),
        )
            .cmp(&(
                b.cluster.as_str(),
                b.kind,
                b.host.as_deref(),
                b.subject.as_str(),
            ))
    });
    report.drifts = drifts;
    report
}
