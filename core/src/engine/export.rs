//! Export and import in Heketi's `db export` JSON format.

use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{DbAttributeEntry, DbExport};
use crate::state::State;

use super::Engine;
use super::check::{check_export_volume_lists, check_state};

/// Feature flags Heketi writes; a Heketi reading our export finds its migrations done.
const ATTRIBUTES: [&str; 4] = [
    "DB_BRICK_HAS_SUBTYPE_FIELD",
    "DB_CLUSTER_HAS_FILE_BLOCK_FLAG",
    "DB_DEVICE_HAS_ID_META",
    "DB_HAS_PENDING_OPS_BUCKET",
];

/// Validates an imported database and fills what Heketi's upgrades would.
pub(crate) fn prepare_import(export: DbExport) -> Result<State> {
    let lists = check_export_volume_lists(&export);
    let mut state = State::from_export(export);
    let mut report = check_state(&state);
    report.inconsistencies.splice(0..0, lists);
    if !report.is_ok() {
        let shown: Vec<&String> = report.inconsistencies.iter().take(10).collect();
        return Err(Error::invalid(format!(
            "the database to import is inconsistent ({} problems): {}",
            report.inconsistencies.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    for key in ATTRIBUTES {
        state
            .attributes
            .entry(key.to_string())
            .or_insert_with(|| DbAttributeEntry {
                key: key.to_string(),
                value: "yes".into(),
            });
    }
    state.attributes.insert(
        "DB_GENERATION_ID".to_string(),
        DbAttributeEntry {
            key: "DB_GENERATION_ID".into(),
            value: new_id(),
        },
    );
    Ok(state)
}

impl Engine {
    /// The whole database in Heketi's `db export` format.
    pub fn export(&self) -> DbExport {
        let mut e = self.lock().state.to_export();
        for key in ATTRIBUTES {
            e.dbattributeentries
                .entry(key.to_string())
                .or_insert_with(|| DbAttributeEntry {
                    key: key.to_string(),
                    value: "yes".into(),
                });
        }
        e
    }

    /// The export as Heketi writes it: JSON indented with 4 spaces.
    pub fn export_json(&self) -> String {
        to_heketi_json(&self.export())
    }
}

/// JSON indented with 4 spaces, as Heketi's `db export` and `/db/dump` write it.
pub fn to_heketi_json<T: serde::Serialize>(v: &T) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Serialising plain records to a Vec cannot fail.
    v.serialize(&mut ser).expect("records serialise to JSON");
    String::from_utf8(buf).unwrap_or_default()
}
