//! Volume expand: new brick sets for the added size, appended to the volume.

use std::future::Future;

use futures_util::future::join_all;

use crate::api::VolumeInfoResponse;
use crate::error::{CONFLICT, Error, Result};
use crate::id::new_id;
use crate::model::{ChangeKind, OperationKind, PendingAction, PendingOperationEntry};
use crate::placement;

use super::hosts::{brick_jobs, gluster_hosts, volume_request};
use super::placement_hooks;
use super::rollback::{
    clear_pending, destroy_bricks, forget_bricks, mark_failed, on_first_reachable,
};
use super::validate::Fields;
use super::volume_create::reserve_bricks;
use super::volume_plan::resolve;
use super::volume_spec::{durability_of, placement_request, placement_settings};
use super::{Engine, now_unix};

struct ExpandJob {
    op_id: String,
    volume_id: String,
    brick_ids: Vec<String>,
    delta: i64,
}

impl Engine {
    /// Adds `expand_size` GiB to a volume and waits for it.
    pub async fn expand_volume(&self, id: &str, expand_size: i64) -> Result<VolumeInfoResponse> {
        self.begin_volume_expand(id, expand_size)?.await
    }

    /// Places and reserves the new bricks; the future creates them and adds them to the
    /// gluster volume.
    pub fn begin_volume_expand(
        &self,
        id: &str,
        expand_size: i64,
    ) -> Result<impl Future<Output = Result<VolumeInfoResponse>> + Send + 'static> {
        let mut f = Fields::default();
        if expand_size == 0 {
            f.add("expand_size", "cannot be blank");
        } else if expand_size < 0 {
            f.add("expand_size", "must be no less than 1");
        }
        f.finish()?;
        let opts = &self.shared.options;
        let (job, ticket) = {
            let inner = self.lock();
            let vol = inner
                .state
                .volumes
                .get(id)
                .ok_or_else(Error::id_not_found)?
                .clone();
            if vol.pending.is_pending() {
                return Err(Error::id_not_found());
            }
            if vol.bricks.iter().any(|b| {
                inner
                    .state
                    .bricks
                    .get(b)
                    .is_some_and(|b| b.pending.is_pending())
            }) {
                return Err(Error::conflict(CONFLICT));
            }
            if let Some(h) = self.hooks()
                && let Some(info) = super::read::volume_info(&inner.state, id)
            {
                h.pre_expand(&info, expand_size)?;
            }
            let settings = placement_settings(&vol.gluster_volume_options, opts)?;
            let mut preq = placement_request(
                durability_of(&vol.info.request.durability),
                vol.info.request.snapshot,
                &settings,
                expand_size as u64,
                vol.bricks.len(),
                opts,
            );
            let view = inner
                .views
                .get(&vol.info.cluster)
                .ok_or_else(Error::id_not_found)?;
            if opts.hooks.is_some() {
                let ctx = serde_json::json!({
                    "operation": "expand",
                    "cluster": vol.info.cluster,
                    "size": expand_size,
                    "name": vol.info.request.name,
                    "volume": super::read::volume_info(&inner.state, id),
                });
                placement_hooks::apply(opts.hooks.as_deref(), &inner.state, view, &ctx, &mut preq)?;
            }
            let plan = placement::place(view, &preq)?;
            let sets = resolve(view, &plan, &inner.state);
            let op_id = new_id();
            let volume_id = id.to_string();
            let (brick_ids, ticket) = self.stage(inner, |txn| {
                let mut actions = Vec::new();
                let ids = reserve_bricks(txn, &sets, &volume_id, &op_id, &mut actions)?;
                actions.push(PendingAction {
                    change: ChangeKind::ExpandVolume as i32,
                    id: volume_id.clone(),
                    delta: expand_size,
                });
                if let Some(v) = txn.volumes.get_mut(&volume_id) {
                    v.bricks.extend(ids.iter().cloned());
                }
                txn.pending.put(
                    &op_id,
                    PendingOperationEntry {
                        id: op_id.clone(),
                        timestamp: now_unix(),
                        kind: OperationKind::ExpandVolume as i32,
                        actions,
                        status: String::new(),
                        leftovers: Vec::new(),
                    },
                );
                Ok(ids)
            })?;
            (
                ExpandJob {
                    op_id,
                    volume_id,
                    brick_ids,
                    delta: expand_size,
                },
                ticket,
            )
        };
        let guard = self.track(&job.op_id);
        let engine = self.clone();
        let durable = self.durable(ticket);
        Ok(async move {
            let _guard = guard;
            // Nothing runs on a node before the reservation is durable.
            let r = async {
                durable.await?;
                engine.exec_expand(job).await
            }
            .await;
            engine.announce("volume.expand", "volume.post_expand", super::to_json, r)
        })
    }

    async fn exec_expand(&self, job: ExpandJob) -> Result<VolumeInfoResponse> {
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
                volume_request(st, vol, &job.brick_ids, &self.shared.options),
                gluster_hosts(st, &vol.info.cluster, first_node.as_deref()),
            )
        };
        let results = join_all(bricks.iter().map(|(h, b)| ex.brick_create(h, b))).await;
        let mut failure: Option<Error> = results.into_iter().find_map(|r| r.err()).map(Error::from);
        if failure.is_none() {
            failure = on_first_reachable(&hosts, |h| {
                let ex = ex.clone();
                let vreq = vreq.clone();
                async move { ex.volume_expand(&h, &vreq, rebalance).await }
            })
            .await
            .err();
        }
        if let Some(err) = failure {
            let leftovers = destroy_bricks(&ex, &bricks).await;
            return Err(self.rollback_expand(&job, err, leftovers));
        }
        self.write_async(|txn| {
            if let Some(v) = txn.volumes.get_mut(&job.volume_id) {
                v.info.request.size += job.delta;
            }
            clear_pending(txn, &job.op_id, &job.brick_ids, None);
            Ok(())
        })
        .await?;
        self.volume_info(&job.volume_id)
    }

    fn rollback_expand(&self, job: &ExpandJob, err: Error, leftovers: Vec<String>) -> Error {
        if leftovers.is_empty() {
            match self.write(|txn| {
                forget_bricks(txn, &job.brick_ids);
                txn.pending.remove(&job.op_id);
                Ok(())
            }) {
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
                "volume expand failed and could not be fully undone ({note}); operation {} is kept for the cleaner",
                job.op_id
            ))
        }
    }
}
