use brickyard::api::{
    OperationProgress, OperationsInfo, PendingOperationDetails, PendingOperationListResponse,
};

/// `server operations info` (summary template).
pub fn operations_info(o: &OperationsInfo) -> String {
    format!(
        "Operation Counts:\n  Total: {}\n  In-Flight: {}\n  New: {}\n  Failed: {}\n  Stale: {}\n",
        o.total, o.in_flight, o.new, o.failed, o.stale
    )
}

fn status(s: &str) -> &str {
    if s.is_empty() { "New" } else { s }
}

/// `server operations list` (one line per pending operation).
pub fn operations_list(l: &PendingOperationListResponse) -> String {
    l.pendingoperations
        .iter()
        .map(|p| {
            format!(
                "Id:{}  Type:{}  Status:{} {}\n",
                p.id,
                p.type_name,
                status(&p.status),
                p.sub_status
            )
        })
        .collect()
}

/// `server operations info <id>` (details template).
pub fn operation_details(d: &PendingOperationDetails) -> String {
    let mut s = format!(
        "\nId: {}\nType: {}\nStatus: {} {}\nChanges:",
        d.info.id,
        d.info.type_name,
        status(&d.info.status),
        d.info.sub_status
    );
    for c in &d.changes {
        s.push_str(&format!("\n    {}: {}", c.description, c.id));
    }
    s.push('\n');
    s
}

/// The progress line `brickyard server operations info <id>` adds for a device removal.
pub fn operation_progress(p: &OperationProgress) -> String {
    format!(
        "Progress: {} of {} bricks moved\n",
        p.bricks_done, p.bricks_total
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use brickyard::api::{PendingChangeInfo, PendingOperationInfo};

    fn op(status: &str, sub: &str) -> PendingOperationInfo {
        PendingOperationInfo {
            id: "o1".into(),
            type_name: "create-volume".into(),
            status: status.into(),
            sub_status: sub.into(),
        }
    }

    #[test]
    fn templates_render_like_go() {
        let l = PendingOperationListResponse {
            pendingoperations: vec![op("", "in-flight"), op("stale", "")],
        };
        assert_eq!(
            operations_list(&l),
            "Id:o1  Type:create-volume  Status:New in-flight\nId:o1  Type:create-volume  Status:stale \n"
        );
        let d = PendingOperationDetails {
            info: op("failed", ""),
            changes: vec![PendingChangeInfo {
                id: "b1".into(),
                description: "Add brick".into(),
            }],
            progress: None,
        };
        assert_eq!(
            operation_details(&d),
            "\nId: o1\nType: create-volume\nStatus: failed \nChanges:\n    Add brick: b1\n"
        );
        assert_eq!(
            operation_progress(&OperationProgress {
                bricks_done: 1,
                bricks_total: 3
            }),
            "Progress: 1 of 3 bricks moved\n"
        );
        let o = OperationsInfo {
            total: 3,
            in_flight: 1,
            stale: 1,
            failed: 0,
            new: 1,
        };
        assert_eq!(
            operations_info(&o),
            "Operation Counts:\n  Total: 3\n  In-Flight: 1\n  New: 1\n  Failed: 0\n  Stale: 1\n"
        );
    }
}
