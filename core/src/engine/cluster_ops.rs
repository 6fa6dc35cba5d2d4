//! Cluster operations (synchronous, as in Heketi).

use crate::api::{ClusterFlags, ClusterInfoResponse};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::ClusterEntry;

use super::Engine;

impl Engine {
    /// Creates an empty cluster with the given file/block flags.
    pub fn create_cluster(&self, flags: ClusterFlags) -> Result<ClusterInfoResponse> {
        let id = new_id();
        let info = ClusterInfoResponse {
            id: id.clone(),
            block: flags.block,
            file: flags.file,
            ..Default::default()
        };
        self.write(|txn| {
            txn.clusters.put(&id, ClusterEntry { info: info.clone() });
            Ok(())
        })?;
        Ok(info)
    }

    /// Deletes an empty cluster.
    pub fn delete_cluster(&self, id: &str) -> Result<()> {
        self.write(|txn| {
            let c = txn.clusters.get(id).ok_or_else(Error::id_not_found)?;
            if !c.info.nodes.is_empty()
                || !c.info.blockvolumes.is_empty()
                || txn.volumes.iter().any(|(_, v)| v.info.cluster == id)
            {
                return Err(Error::conflict(format!(
                    "Unable to delete cluster [{id}] because it contains volumes and/or nodes"
                )));
            }
            txn.clusters.remove(id);
            Ok(())
        })
    }

    /// Overwrites both flags of a cluster.
    pub fn set_cluster_flags(&self, id: &str, flags: ClusterFlags) -> Result<()> {
        self.write(|txn| {
            let c = txn.clusters.get_mut(id).ok_or_else(Error::id_not_found)?;
            c.info.block = flags.block;
            c.info.file = flags.file;
            Ok(())
        })
    }
}
