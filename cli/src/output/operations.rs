use brickyard::api::{OperationsInfo, PendingOperationDetails, PendingOperationListResponse};

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
