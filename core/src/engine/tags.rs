//! Tag changes on nodes and devices (`set` replaces, `update` merges, `delete` removes keys).

use crate::api::{Tags, TagsChangeRequest, TagsChangeType};
use crate::error::{Error, Result};

use super::Engine;
use super::validate::validate_tags;

fn change(current: &Tags, req: &TagsChangeRequest) -> Result<Tags> {
    let next = match req.change_type {
        TagsChangeType::Set => req.tags.clone(),
        TagsChangeType::Update => {
            let mut t = current.clone();
            t.extend(req.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
            t
        }
        TagsChangeType::Delete => {
            let mut t = current.clone();
            for k in req.tags.keys() {
                t.remove(k);
            }
            t
        }
    };
    validate_tags(&next)?;
    Ok(next)
}

impl Engine {
    /// Changes a node's tags; returns the resulting tag map.
    pub fn set_node_tags(&self, id: &str, req: &TagsChangeRequest) -> Result<Tags> {
        validate_tags(&req.tags)?;
        self.write(|txn| {
            let n = txn.nodes.get_mut(id).ok_or_else(Error::id_not_found)?;
            n.info.tags = change(&n.info.tags, req)?;
            Ok(n.info.tags.clone())
        })
    }

    /// Changes a device's tags; returns the resulting tag map.
    pub fn set_device_tags(&self, id: &str, req: &TagsChangeRequest) -> Result<Tags> {
        validate_tags(&req.tags)?;
        self.write(|txn| {
            let d = txn.devices.get_mut(id).ok_or_else(Error::id_not_found)?;
            d.info.tags = change(&d.info.tags, req)?;
            Ok(d.info.tags.clone())
        })
    }
}
