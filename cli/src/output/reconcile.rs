//! `brickyard db reconcile` (a Brickyard extra): the report of `POST /db/reconcile` as
//! a table, one row per drift, its detail indented under it.

use serde_json::Value;

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn rows(out: &mut String, drifts: &[Value], with_fix: bool) {
    let width = |key: &str, min: usize| {
        drifts
            .iter()
            .map(|d| text(d, key).len())
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let (wk, wh, ws) = (width("kind", 4), width("host", 4), width("subject", 7));
    if with_fix {
        out.push_str(&format!(
            "{:<wk$}  {:<wh$}  {:<ws$}  FIX\n",
            "KIND", "HOST", "SUBJECT"
        ));
    } else {
        out.push_str(&format!("{:<wk$}  {:<wh$}  SUBJECT\n", "KIND", "HOST"));
    }
    for d in drifts {
        let host = match text(d, "host") {
            "" => "-",
            h => h,
        };
        if with_fix {
            let fix = match (
                d.get("fixable").and_then(Value::as_bool),
                d.get("fix_error"),
            ) {
                (Some(true), Some(Value::String(_))) => "failed",
                (Some(true), _) => "--fix",
                _ => "a person",
            };
            out.push_str(&format!(
                "{:<wk$}  {host:<wh$}  {:<ws$}  {fix}\n",
                text(d, "kind"),
                text(d, "subject")
            ));
        } else {
            out.push_str(&format!(
                "{:<wk$}  {host:<wh$}  {}\n",
                text(d, "kind"),
                text(d, "subject")
            ));
        }
        out.push_str(&format!("    {}\n", text(d, "detail")));
        if let Some(e) = d.get("fix_error").and_then(Value::as_str) {
            out.push_str(&format!("    fix failed: {e}\n"));
        }
    }
}

/// The human report.
pub fn reconcile_report(report: &Value) -> String {
    let empty = Vec::new();
    let drifts = report
        .get("drifts")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let fixed = report
        .get("fixed")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let skipped = report
        .get("skipped")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let clusters = report.get("clusters").and_then(Value::as_u64).unwrap_or(0);
    let nodes = report.get("nodes").and_then(Value::as_u64).unwrap_or(0);
    let mut out = String::new();
    if !fixed.is_empty() {
        out.push_str(&format!("Fixed ({}):\n", fixed.len()));
        rows(&mut out, fixed, false);
        out.push('\n');
    }
    if drifts.is_empty() {
        out.push_str(&format!(
            "No drift: the nodes match the database ({clusters} cluster(s), {nodes} node(s) compared)\n"
        ));
    } else {
        let fixable = drifts
            .iter()
            .filter(|d| {
                d.get("fixable").and_then(Value::as_bool) == Some(true)
                    && d.get("fix_error").is_none()
            })
            .count();
        out.push_str(&format!(
            "Drift ({}; {} fixable with --fix, {} need a person; {clusters} cluster(s), {nodes} node(s) compared):\n",
            drifts.len(),
            fixable,
            drifts.len() - fixable
        ));
        rows(&mut out, drifts, true);
    }
    if !skipped.is_empty() {
        out.push_str(
            "\nSkipped (owned by pending operations: `brickyard server operations list`, then `cleanup`):\n",
        );
        for s in skipped {
            out.push_str(&format!("    {}\n", s.as_str().unwrap_or("")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_a_report() {
        let report = serde_json::json!({
            "drifts": [
                {"kind": "brick_not_mounted", "cluster": "c", "node": "n", "host": "10.0.0.1",
                 "subject": "b1", "detail": "LV vg_d/brick_b1 is not mounted", "fixable": true},
                {"kind": "volume_missing", "cluster": "c", "subject": "vol_1",
                 "detail": "volume 1 is recorded but gluster does not have it", "fixable": false}
            ],
            "fixed": [],
            "skipped": [],
            "clusters": 1,
            "nodes": 3
        });
        assert_eq!(
            reconcile_report(&report),
            "Drift (2; 1 fixable with --fix, 1 need a person; 1 cluster(s), 3 node(s) compared):\n\
             KIND               HOST      SUBJECT  FIX\n\
             brick_not_mounted  10.0.0.1  b1       --fix\n    LV vg_d/brick_b1 is not mounted\n\
             volume_missing     -         vol_1    a person\n    volume 1 is recorded but gluster does not have it\n"
        );
        let clean = serde_json::json!({"drifts": [], "fixed": [], "skipped": [], "clusters": 1, "nodes": 3});
        assert_eq!(
            reconcile_report(&clean),
            "No drift: the nodes match the database (1 cluster(s), 3 node(s) compared)\n"
        );
    }
}
