//! The mock glusterd's brick replacement: `volume replace-brick … commit force` and
//! `volume heal … info --xml`.
//!
//! A brick is connected when its node's glusterd runs and its directory exists (a brick
//! whose file system is gone is down). Heal entries are what a test set with
//! [`MockTransport::set_heal_entries`](super::MockTransport::set_heal_entries); a brick
//! that replaced another starts with none (the mock heals instantly).

use quick_xml::escape::escape;

use super::gluster::{GErr, Layout, XML_HEAD, gerr, split_brick};
use super::{Reply, World};

impl World {
    pub(super) fn replace_brick(
        &mut self,
        host: &str,
        name: &str,
        old: &str,
        new: &str,
    ) -> Result<String, GErr> {
        let op = "volume replace-brick";
        let pool = self.node_mut(host).pool;
        let Some(vol) = self.volumes.get(&pool).and_then(|v| v.get(name)).cloned() else {
            return Err(gerr(format!("{op}: failed: Volume {name} does not exist")));
        };
        if vol.layout == Layout::Distribute {
            return Err(gerr(format!(
                "{op}: failed: replace-brick is not permitted on distribute only volumes. Please use add-brick and remove-brick operations instead."
            )));
        }
        let Some(pos) = vol.bricks.iter().position(|b| b.is(old)) else {
            return Err(gerr(format!(
                "{op}: failed: brick: {old} does not exist in volume: {name}"
            )));
        };
        // `force` skips the same-server check, as gluster does for `commit force`.
        let located =
            self.check_bricks(pool, op, &[new], true, &Layout::Distribute, &vol.bricks)?;
        self.mark_bricks(&located, &vol.id);
        if let Some((h, path)) = split_brick(old)
            && let Some(manage) = self.peer_in_pool(pool, h)
            && let Some(n) = self.nodes.get_mut(&manage)
        {
            n.update_dir(path, |m| m.volume_id = None);
        }
        self.heal_entries.remove(new);
        let new = self.brick(new);
        if let Some(v) = self.volumes.get_mut(&pool).and_then(|v| v.get_mut(name)) {
            v.bricks[pos] = new;
        }
        Ok(format!(
            "{op}: success: replace-brick commit force operation successful\n"
        ))
    }

    /// Whether brick `b` (`host:path`) of pool `pool` answers.
    fn brick_connected(&self, pool: u64, b: &str) -> bool {
        let Some((h, path)) = split_brick(b) else {
            return false;
        };
        self.peer_in_pool(pool, h)
            .and_then(|m| self.nodes.get(&m))
            .is_some_and(|n| n.glusterd && n.dir_exists(path))
    }

    /// `volume heal <name> full`: gluster's texts; the mock heals instantly, so nothing
    /// else.
    pub(super) fn heal_launch(&mut self, host: &str, name: &str) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let Some(vol) = self.volumes.get(&pool).and_then(|v| v.get(name)) else {
            return Err(gerr(format!("Volume {name} does not exist")));
        };
        if vol.layout == Layout::Distribute {
            return Err(gerr(format!(
                "Volume {name} is not of type replicate/disperse\nVolume heal failed."
            )));
        }
        if vol.status != super::gluster::Status::Started {
            return Err(gerr(format!("Volume {name} is not started.")));
        }
        Ok(format!(
            "Launching heal operation to perform full self heal on volume {name} has been successful \nUse heal info commands to check status.\n"
        ))
    }

    pub(super) fn heal_info_xml(&mut self, host: &str, name: &str) -> Reply {
        let pool = self.node_mut(host).pool;
        let fail = |errstr: String| {
            Reply::ok(format!(
                "{XML_HEAD}  <opRet>-1</opRet>\n  <opErrno>-1</opErrno>\n  <opErrstr>{}</opErrstr>\n</cliOutput>\n",
                escape(errstr.as_str())
            ))
        };
        let Some(vol) = self.volumes.get(&pool).and_then(|v| v.get(name)).cloned() else {
            return fail(format!("Volume {name} does not exist"));
        };
        if vol.layout == Layout::Distribute {
            return fail(format!(
                "Volume {name} is not of type replicate/disperse\nVolume heal failed."
            ));
        }
        if vol.status != super::gluster::Status::Started {
            return fail(format!("Volume {name} is not started."));
        }
        let mut bricks = String::new();
        for b in &vol.bricks {
            let b = b.to_string();
            let (status, entries) = if self.brick_connected(pool, &b) {
                let n = self.heal_entries.get(&b).copied().unwrap_or(0);
                ("Connected".to_string(), n.to_string())
            } else {
                (
                    "Transport endpoint is not connected".to_string(),
                    "-".to_string(),
                )
            };
            bricks.push_str(&format!(
                "      <brick hostUuid=\"mock\">\n        <name>{}</name>\n        <status>{status}</status>\n        <numberOfEntries>{entries}</numberOfEntries>\n      </brick>\n",
                escape(b.as_str())
            ));
        }
        Reply::ok(format!(
            "{XML_HEAD}  <healInfo>\n    <bricks>\n{bricks}    </bricks>\n  </healInfo>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n"
        ))
    }
}
