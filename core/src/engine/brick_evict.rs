//! Brick eviction (`POST /bricks/to-evict/{id}`, `heketi-cli brick evict`): one brick
//! replaced by a new one on another device (see `brick_replace.rs`).

use std::future::Future;

use crate::error::Result;

use super::Engine;
use super::brick_replace::HealCheck;

impl Engine {
    /// Replaces brick `id` by a new brick placed like it, and waits for it.
    pub async fn evict_brick(&self, id: &str, healcheck: HealCheck) -> Result<()> {
        self.begin_brick_evict(id, healcheck)?.await
    }

    /// Build (synchronous: unknown brick, pending volume, distribute-only volume and no
    /// room are refused here); the future checks heal state, creates the new brick,
    /// replaces the old one in gluster and destroys it.
    pub fn begin_brick_evict(
        &self,
        id: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let (r, ticket) = self.stage_replacement(id, None, healcheck, &[])?;
        let guard = self.track(&r.op_id);
        let durable = self.durable(ticket);
        let engine = self.clone();
        Ok(async move {
            let _guard = guard;
            let out = async {
                durable.await?;
                engine.exec_replacement(&r).await
            }
            .await;
            engine.announce(
                "brick.evict",
                "brick.post_evict",
                |_| serde_json::json!({"id": r.old, "replacement": r.new, "volume": r.volume}),
                out,
            )
        })
    }
}
