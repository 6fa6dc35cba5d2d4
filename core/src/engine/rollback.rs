//! Undoing and finishing operations: shared by the operations themselves (after an
//! executor failure) and by the cleaner (after a crash).

use std::sync::Arc;

use futures_util::future::join_all;

use crate::error::{Error, Result};
use crate::executor::{BrickRequest, ExecErrorKind, Executor, GlusterVolume, Host};
use crate::model::BrickEntry;
use crate::state::Txn;

/// Does another brick of `brick`'s device live in the same thin pool (a clone's brick
/// and its source share one)?
fn pool_shared(txn: &Txn<'_>, brick: &BrickEntry) -> bool {
    let pool = brick.thin_pool_name();
    txn.devices.get(&brick.info.device).is_some_and(|d| {
        d.bricks.iter().any(|b| {
            *b != brick.info.id
                && txn
                    .bricks
                    .get(b)
                    .is_some_and(|o| o.thin_pool_name() == pool)
        })
    })
}

/// Removes bricks from the records and gives their space back to their devices. The
/// space of a thin pool goes back with the last brick in it: on the node, brick destroy
/// keeps a pool that still holds another LV (`thin_count`), so a source deleted before
/// its clone (or a clone before its source) leaves the pool, and its space, taken.
pub(crate) fn forget_bricks(txn: &mut Txn<'_>, brick_ids: &[String]) {
    for id in brick_ids {
        let Some(brick) = txn.bricks.get(id).map(std::borrow::Cow::into_owned) else {
            continue;
        };
        let shared = pool_shared(txn, &brick);
        if let Some(dev) = txn.devices.get_mut(&brick.info.device) {
            let total = if shared { 0 } else { brick.total_size() };
            let s = &mut dev.info.storage;
            let credit = total.min(s.used);
            s.used -= credit;
            s.free += credit;
            dev.bricks.remove(id);
        }
        if let Some(vol) = txn.volumes.get_mut(&brick.info.volume) {
            vol.bricks.retain(|b| b != id);
        }
        txn.bricks.remove(id);
    }
}

/// Removes a volume record (its bricks must be forgotten first); the cluster's volume
/// list is derived from the volume records, so it follows.
pub(crate) fn forget_volume(txn: &mut Txn<'_>, volume_id: &str) {
    if txn.volumes.contains(volume_id) {
        txn.volumes.remove(volume_id);
    }
}

/// Clears the pending marks an operation put on bricks and on a volume, and deletes the
/// operation record.
pub(crate) fn clear_pending(
    txn: &mut Txn<'_>,
    op_id: &str,
    brick_ids: &[String],
    volume_id: Option<&str>,
) {
    for id in brick_ids {
        if let Some(b) = txn.bricks.get_mut(id)
            && b.pending.id == op_id
        {
            b.pending.id.clear();
        }
    }
    if let Some(vid) = volume_id
        && let Some(v) = txn.volumes.get_mut(vid)
        && v.pending.id == op_id
    {
        v.pending.id.clear();
    }
    txn.pending.remove(op_id);
}

/// Records that an operation could not be finished or undone on the nodes; the cleaner
/// retries it later. The reserved space stays reserved meanwhile.
pub(crate) fn mark_failed(txn: &mut Txn<'_>, op_id: &str, leftovers: Vec<String>) {
    if let Some(op) = txn.pending.get_mut(op_id) {
        op.status = "failed".to_string();
        op.leftovers = leftovers;
    }
}

/// Destroys bricks on their nodes, in parallel; returns what could not be destroyed.
pub(crate) async fn destroy_bricks(
    ex: &Arc<dyn Executor>,
    bricks: &[(Host, BrickRequest)],
) -> Vec<String> {
    let results = join_all(bricks.iter().map(|(h, b)| ex.brick_destroy(h, b))).await;
    bricks
        .iter()
        .zip(results)
        .filter_map(|((h, b), r)| {
            r.err()
                .map(|e| format!("brick {} on {}: {e}", b.brick_id, h.manage))
        })
        .collect()
}

/// Stops and deletes a gluster volume from the first host that answers; a volume that
/// does not exist counts as deleted.
pub(crate) async fn destroy_volume(
    ex: &Arc<dyn Executor>,
    hosts: &[Host],
    name: &str,
) -> Result<()> {
    let mut last: Option<Error> = None;
    for h in hosts {
        match ex.volume_destroy(h, name).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind == ExecErrorKind::NotFound => return Ok(()),
            Err(e) if matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout) => {
                last = Some(e.into())
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::Conflict(format!(
            "no node of the cluster can run gluster to delete volume {name}"
        ))
    }))
}

/// `volume info` of `name` from the first host that answers (`None`: gluster has no
/// such volume); an unreachable or timed-out host passes the question on, any other
/// failure answers at once.
pub(crate) async fn volume_info_from_any(
    ex: &Arc<dyn Executor>,
    hosts: &[Host],
    name: &str,
) -> Result<Option<GlusterVolume>> {
    let mut last: Option<Error> = None;
    for h in hosts {
        match ex.volume_info(h, name).await {
            Ok(v) => return Ok(v),
            Err(e) if matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout) => {
                last = Some(e.into())
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .unwrap_or_else(|| Error::conflict("no node of the cluster is available to run gluster")))
}

/// Runs `f` on the first host that is reachable; other failures stop at once.
pub(crate) async fn on_first_reachable<F, Fut>(hosts: &[Host], mut f: F) -> Result<()>
where
    F: FnMut(Host) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), crate::executor::ExecError>>,
{
    let mut last: Option<Error> = None;
    for h in hosts {
        match f(h.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind == ExecErrorKind::Unreachable => last = Some(e.into()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::Conflict("no node of the cluster is available to run gluster".into())
    }))
}
