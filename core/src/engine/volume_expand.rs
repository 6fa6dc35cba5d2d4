//! Volume expand: new brick sets for the added size, appended to the volume.

use std::future::Future;

use crate::api::VolumeInfoResponse;
use crate::error::{CONFLICT, Error, Result};
use crate::id::new_id;
use crate::model::{ChangeKind, OperationKind, PendingAction, PendingOperationEntry};
use crate::placement;

use super::new_bricks::{NewBricks, Purpose, reserve_bricks};
use super::placement_hooks;
use super::validate::Fields;
use super::volume_plan::resolve;
use super::volume_spec::{durability_of, placement_request, placement_settings};
use super::{Engine, now_unix};

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
            }) || super::volume_clone::is_clone_source(inner.state.pending.values(), id)
            {
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
                        target: None,
                    },
                );
                Ok(ids)
            })?;
            (
                NewBricks {
                    purpose: Purpose::Expand { delta: expand_size },
                    op_id,
                    volume_id,
                    brick_ids,
                },
                ticket,
            )
        };
        Ok(self.finish_new_bricks(job, ticket))
    }
}
