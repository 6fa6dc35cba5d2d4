//! Volume delete: Build (mark pending), Exec (gluster volume, then bricks), Finalize.
//! A delete that removed the gluster volume but not every brick is rolled forward by
//! the cleaner, never back.

use std::future::Future;

use crate::error::{CONFLICT, Error, Result};
use crate::id::new_id;
use crate::model::{
    ChangeKind, OperationKind, PendingAction, PendingOperationEntry, PendingRef, VolumeEntry,
};

use super::hosts::{brick_jobs, gluster_hosts};
use super::rollback::{
    clear_pending, destroy_bricks, destroy_volume, forget_bricks, forget_volume, mark_failed,
};
use super::{Engine, now_unix};

/// The name of Heketi's own database volume, which is never deleted through the API.
pub const HEKETI_DB_VOLUME: &str = "heketidbstorage";

/// What makes Heketi refuse a delete before anything else: the Heketi database volume,
/// a block-hosting volume that holds block volumes.
fn refuse_delete(vol: &VolumeEntry) -> Result<()> {
    if vol.info.request.name == HEKETI_DB_VOLUME {
        return Err(Error::conflict(
            "Cannot delete volume containing the Heketi database",
        ));
    }
    if !vol.info.blockinfo.blockvolumes.is_empty() {
        return Err(Error::conflict(
            "Cannot delete a block hosting volume containing block volumes",
        ));
    }
    Ok(())
}

impl Engine {
    /// The checks Heketi makes on a delete before it throttles it (`Id not found`, the
    /// `409`s), without changing anything: a server whose queue is full answers these
    /// rather than `429`.
    pub fn check_volume_delete(&self, id: &str) -> Result<()> {
        let inner = self.lock();
        let vol = inner
            .state
            .volumes
            .get(id)
            .ok_or_else(Error::id_not_found)?;
        refuse_delete(&vol)
    }

    /// Deletes a volume and waits for it.
    pub async fn delete_volume(&self, id: &str) -> Result<()> {
        self.begin_volume_delete(id)?.await
    }

    /// Checks and marks the volume for deletion; the future removes it from gluster and
    /// the nodes, then from the records.
    pub fn begin_volume_delete(
        &self,
        id: &str,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let op_id = new_id();
        let volume_id = id.to_string();
        let brick_ids = self.write(|txn| {
            let vol = txn
                .volumes
                .get(&volume_id)
                .ok_or_else(Error::id_not_found)?
                .into_owned();
            refuse_delete(&vol)?;
            if vol.pending.is_pending()
                || vol
                    .bricks
                    .iter()
                    .any(|b| txn.bricks.get(b).is_some_and(|b| b.pending.is_pending()))
                || super::volume_clone::is_clone_source(
                    txn.pending.iter().map(|(_, op)| op),
                    &volume_id,
                )
            {
                return Err(Error::conflict(CONFLICT));
            }
            let mut actions: Vec<PendingAction> = vol
                .bricks
                .iter()
                .map(|b| PendingAction {
                    change: ChangeKind::DeleteBrick as i32,
                    id: b.clone(),
                    delta: 0,
                })
                .collect();
            actions.push(PendingAction {
                change: ChangeKind::DeleteVolume as i32,
                id: volume_id.clone(),
                delta: 0,
            });
            for b in &vol.bricks {
                if let Some(b) = txn.bricks.get_mut(b) {
                    b.pending = PendingRef { id: op_id.clone() };
                }
            }
            if let Some(v) = txn.volumes.get_mut(&volume_id) {
                v.pending = PendingRef { id: op_id.clone() };
            }
            txn.pending.put(
                &op_id,
                PendingOperationEntry {
                    id: op_id.clone(),
                    timestamp: now_unix(),
                    kind: OperationKind::DeleteVolume as i32,
                    actions,
                    status: String::new(),
                    leftovers: Vec::new(),
                    target: None,
                },
            );
            Ok(vol.bricks.clone())
        })?;
        let guard = self.track(&op_id);
        let engine = self.clone();
        Ok(async move {
            let _guard = guard;
            let r = engine
                .exec_delete(&op_id, &volume_id, &brick_ids, true)
                .await;
            engine.announce(
                "volume.delete",
                "volume.post_delete",
                |_| serde_json::json!({"id": volume_id}),
                r,
            )
        })
    }

    /// Removes the volume from gluster and its bricks from the nodes, then from the
    /// records. With `may_roll_back`, a failure before gluster deleted the volume clears
    /// the pending marks (the volume stays); otherwise the operation is kept as failed.
    pub(crate) async fn exec_delete(
        &self,
        op_id: &str,
        volume_id: &str,
        brick_ids: &[String],
        may_roll_back: bool,
    ) -> Result<()> {
        let ex = self.shared.executor.clone();
        let (bricks, hosts, name) = {
            let inner = self.lock();
            let st = &inner.state;
            let vol = st.volumes.get(volume_id).ok_or_else(Error::id_not_found)?;
            (
                brick_jobs(st, brick_ids, vol.info.request.gid),
                gluster_hosts(st, &vol.info.cluster, None),
                vol.info.request.name.clone(),
            )
        };
        if let Err(e) = destroy_volume(&ex, &hosts, &name).await {
            let _ = self.write(|txn| {
                if may_roll_back {
                    clear_pending(txn, op_id, brick_ids, Some(volume_id));
                } else {
                    mark_failed(txn, op_id, vec![format!("gluster volume {name}: {e}")]);
                }
                Ok(())
            });
            return Err(e);
        }
        let leftovers = destroy_bricks(&ex, &bricks).await;
        if !leftovers.is_empty() {
            let note = leftovers.join("; ");
            self.write(|txn| {
                mark_failed(txn, op_id, leftovers);
                Ok(())
            })?;
            return Err(Error::conflict(format!(
                "volume {name} was deleted from gluster, but some bricks could not be removed ({note}); \
                 operation {op_id} is kept and the cleaner retries it"
            )));
        }
        self.write_async(|txn| {
            forget_bricks(txn, brick_ids);
            forget_volume(txn, volume_id);
            txn.pending.remove(op_id);
            Ok(())
        })
        .await
    }
}
