//! Setting a node's or a device's state (`online`, `offline`, `failed` = remove): the
//! frame both operations share. Which transitions are allowed is each kind's own
//! (`node_transition`, `device_transition`).

use std::future::Future;

use crate::api::EntryState;
use crate::error::{Error, Result};
use crate::state::Txn;

use super::Engine;

/// The kind of record whose state changes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Record {
    Node,
    Device,
}

impl Record {
    /// The hook operation and the event announced when it ends.
    fn events(self) -> (&'static str, &'static str) {
        match self {
            Record::Node => ("node.state", "node.post_state"),
            Record::Device => ("device.state", "device.post_state"),
        }
    }
}

/// Checks and applies one transition of record `id` to the target state.
pub(crate) type Transition = fn(&mut Txn<'_>, &str, EntryState) -> Result<()>;

impl Engine {
    /// Checks `state` and that the record exists (the errors Heketi returns
    /// synchronously); the future applies `transition` and announces the outcome.
    pub(crate) fn begin_state_change(
        &self,
        record: Record,
        id: &str,
        state: &str,
        transition: Transition,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let target = EntryState::parse(state)
            .ok_or_else(|| Error::invalid(format!("{state} is not valid state")))?;
        let exists = {
            let inner = self.lock();
            match record {
                Record::Node => inner.state.nodes.contains_key(id),
                Record::Device => inner.state.devices.contains_key(id),
            }
        };
        if !exists {
            return Err(Error::id_not_found());
        }
        let engine = self.clone();
        let id = id.to_string();
        let (operation, event) = record.events();
        Ok(async move {
            let r = engine.write(|txn| transition(txn, &id, target));
            engine.announce(
                operation,
                event,
                |_| serde_json::json!({"id": id, "state": target}),
                r,
            )
        })
    }
}
