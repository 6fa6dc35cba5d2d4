//! `/db/dump`, `/db/check` and `/backup/db` (`heketi/heketi:apps/glusterfs/app_db.go`,
//! `dbcommon.go`), and Brickyard's `POST /db/reconcile`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use brickyard::engine::{CheckReport, ReconcileReport};
use brickyard::model::DbExport;
use brickyard::state::State as Records;
use serde::{Deserialize, Serialize};

use crate::body::{IndentedJson, JsonOrDefault};
use crate::error::AppError;
use crate::state::AppState;

/// The database routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/db/dump", get(dump))
        .route("/db/check", get(check))
        .route("/backup/db", get(backup))
        .route("/db/reconcile", post(reconcile))
}

/// `GET /db/dump` → the whole database in Heketi's export format, indented.
async fn dump(State(state): State<AppState>) -> IndentedJson<DbExport> {
    IndentedJson(state.engine.export())
}

/// One bucket of Heketi's `db check` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BucketCheck {
    /// Records in the bucket.
    pub total: usize,
    /// Records that belong to a pending operation.
    pub pending: usize,
    /// Records without inconsistencies.
    pub ok: usize,
    /// Records with at least one inconsistency.
    pub notok: usize,
    /// What is wrong, one line each.
    pub inconsistencies: Vec<String>,
}

/// Heketi's `db check` answer (`GET /db/check`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DbCheck {
    /// Cluster records.
    pub clusters: BucketCheck,
    /// Volume records.
    pub volumes: BucketCheck,
    /// Brick records.
    pub bricks: BucketCheck,
    /// Node records.
    pub nodes: BucketCheck,
    /// Device records.
    pub devices: BucketCheck,
    /// Block volume records.
    pub blockvolumes: BucketCheck,
    /// Database attributes.
    pub dbattributes: BucketCheck,
    /// Pending operations.
    pub pendingoperations: BucketCheck,
    /// All inconsistencies.
    pub totalinconsistencies: usize,
}

impl DbCheck {
    /// Sorts the engine's findings into Heketi's buckets: each finding names its
    /// subject first (`volume <id> …`, `device <id>: …`).
    pub fn from_report(records: &Records, report: &CheckReport) -> DbCheck {
        let mut by_bucket: BTreeMap<&str, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
        for line in &report.inconsistencies {
            let mut words = line.split_whitespace();
            let kind = words.next().unwrap_or("");
            let subject = words.next().unwrap_or("").trim_end_matches(':').to_string();
            let bucket = match kind {
                "cluster" => "clusters",
                "node" => "nodes",
                "device" => "devices",
                "brick" => "bricks",
                "volume" => "volumes",
                "blockvolume" => "blockvolumes",
                _ => "pendingoperations",
            };
            let entry = by_bucket.entry(bucket).or_default();
            entry.0.push(line.clone());
            entry.1.insert(subject);
        }
        let mut bucket = |name: &str, total: usize, pending: usize| {
            let (inconsistencies, subjects) = by_bucket.remove(name).unwrap_or_default();
            let notok = subjects.len().min(total);
            BucketCheck {
                total,
                pending,
                ok: total - notok,
                notok,
                inconsistencies,
            }
        };
        let pending_volumes = records
            .volumes
            .values()
            .filter(|v| v.pending.is_pending())
            .count();
        let pending_bricks = records
            .bricks
            .values()
            .filter(|b| b.pending.is_pending())
            .count();
        let pending_blocks = records
            .blockvolumes
            .values()
            .filter(|b| b.pending.is_pending())
            .count();
        let mut check = DbCheck {
            clusters: bucket("clusters", records.clusters.len(), 0),
            volumes: bucket("volumes", records.volumes.len(), pending_volumes),
            bricks: bucket("bricks", records.bricks.len(), pending_bricks),
            nodes: bucket("nodes", records.nodes.len(), 0),
            devices: bucket("devices", records.devices.len(), 0),
            blockvolumes: bucket("blockvolumes", records.blockvolumes.len(), pending_blocks),
            dbattributes: bucket("dbattributes", records.attributes.len(), 0),
            pendingoperations: bucket("pendingoperations", records.pending.len(), 0),
            totalinconsistencies: report.inconsistencies.len(),
        };
        // A finding about something no bucket counts still counts in the total.
        check.totalinconsistencies = check.totalinconsistencies.max(
            [
                &check.clusters,
                &check.volumes,
                &check.bricks,
                &check.nodes,
                &check.devices,
                &check.blockvolumes,
                &check.dbattributes,
                &check.pendingoperations,
            ]
            .iter()
            .map(|b| b.inconsistencies.len())
            .sum(),
        );
        check
    }
}

/// `GET /db/check` → per-bucket totals and inconsistencies, indented.
async fn check(State(state): State<AppState>) -> IndentedJson<DbCheck> {
    let records = state.engine.state();
    let report = state.engine.check();
    IndentedJson(DbCheck::from_report(&records, &report))
}

/// Body of `POST /db/reconcile` (an empty body is `{"fix": false}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileBody {
    /// Repair the safe drifts (re-mount, fstab line, stray LV of ours).
    #[serde(default)]
    pub fix: bool,
}

/// `POST /db/reconcile` `{"fix": bool}` (Brickyard extra) → `200` with the report,
/// indented: the records compared with the nodes, and with `fix` the safe drifts
/// repaired. Synchronous, like `GET /db/check`: it runs read commands (and a few
/// repairs) and answers with what it found. `409` while operations keep running.
/// Admin only when JWT is on (a `user` token may only use `/volumes`).
async fn reconcile(
    State(state): State<AppState>,
    JsonOrDefault(body): JsonOrDefault<ReconcileBody>,
) -> Result<IndentedJson<ReconcileReport>, AppError> {
    Ok(IndentedJson(state.engine.reconcile(body.fix).await?))
}

/// `GET /backup/db`: Heketi streams its BoltDB file; Brickyard's store is a redb
/// file that no Heketi tool reads, so it answers `501` and points to `/db/dump`.
async fn backup() -> AppError {
    AppError::new(
        StatusCode::NOT_IMPLEMENTED,
        "GET /backup/db is not supported by Brickyard: its database is not a BoltDB file; use GET /db/dump (heketi-cli db dump) for a backup that `brickyard db import` and `heketi db import` both read",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_land_in_their_buckets() {
        let records = Records::default();
        let report = CheckReport {
            inconsistencies: vec![
                "device d1: total 3 != free 1 + used 1".into(),
                "device d1 lists missing brick b9".into(),
                "volume v1 is not listed by its cluster c1".into(),
            ],
        };
        let check = DbCheck::from_report(&records, &report);
        assert_eq!(check.totalinconsistencies, 3);
        assert_eq!(check.devices.inconsistencies.len(), 2);
        assert_eq!(check.volumes.inconsistencies.len(), 1);
        assert_eq!(check.clusters.inconsistencies.len(), 0);
        assert_eq!(check.devices.notok, 0, "bounded by the bucket's total");
    }
}
