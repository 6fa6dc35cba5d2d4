//! The new bricks of a volume create or expand: reserved in the Build step, made on
//! their nodes in the Exec step together with the gluster change that uses them, and
//! undone (Rollback) when any of it fails.

use std::future::Future;

use futures_util::future::join_all;

use crate::api::{BrickInfo, VolumeInfoResponse};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{BrickEntry, BrickSubType, ChangeKind, PendingAction, PendingRef};
use crate::state::Txn;

use super::Engine;
use super::commit::Ticket;
use super::hosts::{brick_jobs, brick_path, gluster_hosts, volume_request};
use super::rollback::{
    clear_pending, destroy_bricks, destroy_volume, forget_bricks, forget_volume, mark_failed,
    on_first_reachable,
};
use super::volume_plan::PlannedBrickInfo;

/// Records the bricks of `sets` (pending under `op_id`), debiting their devices.
/// Returns the new brick ids in gluster order.
pub(crate) fn reserve_bricks(
    txn: &mut Txn<'_>,
    sets: &[Vec<PlannedBrickInfo>],
    volume_id: &str,
    op_id: &str,
    actions: &mut Vec<PendingAction>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for pb in sets.iter().flatten() {
        let brick_id = new_id();
        let total = pb.tp_size + pb.metadata_size;
        let dev = txn.devices.get_mut(&pb.device).ok_or_else(|| {
            Error::conflict(format!(
                "device {} disappeared during placement; retry",
                pb.device
            ))
        })?;
        let s = &mut dev.info.storage;
        if s.free <= total {
            return Err(Error::conflict(format!(
                "device {} no longer has {} KiB free; retry",
                pb.device, total
            )));
        }
        s.free -= total;
        s.used += total;
        dev.bricks.insert(&brick_id);
        txn.bricks.put(
            &brick_id,
            BrickEntry {
                info: BrickInfo {
                    id: brick_id.clone(),
                    path: brick_path(&pb.device, &brick_id),
                    device: pb.device.clone(),
                    node: pb.node.clone(),
                    volume: volume_id.to_string(),
                    size: pb.size,
                },
                tp_size: pb.tp_size,
                pool_metadata_size: pb.metadata_size,
                pending: PendingRef {
                    id: op_id.to_string(),
                },
                // The default `tp_<id>` (`BrickEntry::thin_pool_name`).
                lvm_thin_pool: String::new(),
                lvm_lv: String::new(),
                sub_type: if pb.arbiter {
                    BrickSubType::Arbiter
                } else {
                    BrickSubType::Normal
                },
            },
        );
        actions.push(PendingAction {
            change: ChangeKind::AddBrick as i32,
            id: brick_id.clone(),
            delta: 0,
        });
        ids.push(brick_id);
    }
    Ok(ids)
}

/// What the new bricks are for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Purpose {
    /// A new volume made of them (its record is pending too).
    Create,
    /// They grow an existing volume by `delta` GiB.
    Expand { delta: i64 },
}

impl Purpose {
    /// The operation's name in hook events and error messages.
    fn name(self) -> &'static str {
        match self {
            Purpose::Create => "create",
            Purpose::Expand { .. } => "expand",
        }
    }

    /// The hook operation and the event announced when it ends.
    fn events(self) -> (&'static str, &'static str) {
        match self {
            Purpose::Create => ("volume.create", "volume.post_create"),
            Purpose::Expand { .. } => ("volume.expand", "volume.post_expand"),
        }
    }
}

/// What the Build step of a create or an expand reserved.
pub(crate) struct NewBricks {
    pub purpose: Purpose,
    pub op_id: String,
    pub volume_id: String,
    pub brick_ids: Vec<String>,
}

impl Engine {
    /// The rest of a create or an expand once its Build step staged `job` as `ticket`:
    /// waits until the reservation is durable (nothing runs on a node before), runs the
    /// Exec step and announces the outcome.
    pub(crate) fn finish_new_bricks(
        &self,
        job: NewBricks,
        ticket: Option<Ticket>,
    ) -> impl Future<Output = Result<VolumeInfoResponse>> + Send + 'static {
        let guard = self.track(&job.op_id);
        let engine = self.clone();
        let durable = self.durable(ticket);
        let (operation, event) = job.purpose.events();
        async move {
            let _guard = guard;
            // Nothing runs on a node before the reservation is durable.
            let r = async {
                durable.await?;
                engine.exec_new_bricks(job).await
            }
            .await;
            engine.announce(operation, event, super::to_json, r)
        }
    }

    /// Exec and Finalize: creates the bricks on their nodes (concurrently), then creates
    /// or expands the gluster volume with them. When either fails, what the nodes did is
    /// destroyed and the reservation rolled back.
    async fn exec_new_bricks(&self, job: NewBricks) -> Result<VolumeInfoResponse> {
        let ex = self.shared.executor.clone();
        let rebalance = self.shared.options.rebalance_on_expansion;
        let (bricks, vreq, hosts) = {
            let inner = self.lock();
            let st = &inner.state;
            let vol = st
                .volumes
                .get(&job.volume_id)
                .ok_or_else(Error::id_not_found)?;
            let first_node = job
                .brick_ids
                .first()
                .and_then(|b| st.bricks.get(b))
                .map(|b| b.info.node.clone());
            (
                brick_jobs(st, &job.brick_ids, vol.info.request.gid),
                volume_request(st, &vol, &job.brick_ids, &self.shared.options),
                gluster_hosts(st, &vol.info.cluster, first_node.as_deref()),
            )
        };
        let results = join_all(bricks.iter().map(|(h, b)| ex.brick_create(h, b))).await;
        if let Some(err) = results.into_iter().find_map(|r| r.err()) {
            let leftovers = destroy_bricks(&ex, &bricks).await;
            return Err(self.roll_back_new_bricks(&job, err.into(), leftovers));
        }
        let purpose = job.purpose;
        let changed = on_first_reachable(&hosts, |h| {
            let ex = ex.clone();
            let vreq = vreq.clone();
            async move {
                match purpose {
                    Purpose::Create => ex.volume_create(&h, &vreq).await,
                    Purpose::Expand { .. } => ex.volume_expand(&h, &vreq, rebalance).await,
                }
            }
        })
        .await;
        if let Err(err) = changed {
            let mut leftovers = Vec::new();
            if let Purpose::Create = purpose
                && let Err(e) = destroy_volume(&ex, &hosts, &vreq.name).await
            {
                leftovers.push(format!("gluster volume {}: {e}", vreq.name));
            }
            leftovers.extend(destroy_bricks(&ex, &bricks).await);
            return Err(self.roll_back_new_bricks(&job, err, leftovers));
        }
        // The answer is the volume as this Finalize left it: a delete accepted right
        // after must not turn a committed create or expand into `Id not found`.
        self.finalize_with(
            |txn| {
                let new_volume = match purpose {
                    Purpose::Create => Some(job.volume_id.as_str()),
                    Purpose::Expand { delta } => {
                        if let Some(v) = txn.volumes.get_mut(&job.volume_id) {
                            v.info.request.size += delta;
                        }
                        None
                    }
                };
                clear_pending(txn, &job.op_id, &job.brick_ids, new_volume);
                Ok(())
            },
            |st| super::read::volume_info(st, &job.volume_id),
        )
        .await
    }

    /// After a failed Exec: forget the reservation when the nodes are clean again, or
    /// keep it (marked failed) for the cleaner when they are not.
    fn roll_back_new_bricks(&self, job: &NewBricks, err: Error, leftovers: Vec<String>) -> Error {
        if leftovers.is_empty() {
            let undone = self.write(|txn| {
                forget_bricks(txn, &job.brick_ids);
                if let Purpose::Create = job.purpose {
                    forget_volume(txn, &job.volume_id);
                }
                txn.pending.remove(&job.op_id);
                Ok(())
            });
            match undone {
                Ok(()) => err,
                Err(e) => err.context(format!(
                    "rollback could not be recorded ({e}); it runs again at the next start"
                )),
            }
        } else {
            let note = leftovers.join("; ");
            let _ = self.write(|txn| {
                mark_failed(txn, &job.op_id, leftovers);
                Ok(())
            });
            err.context(format!(
                "volume {} failed and could not be fully undone ({note}); operation {} is kept for the cleaner",
                job.purpose.name(),
                job.op_id
            ))
        }
    }
}
