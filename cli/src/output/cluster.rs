use brickyard::api::ClusterInfoResponse;

/// `cluster info` text.
pub fn cluster_info(c: &ClusterInfoResponse) -> String {
    format!(
        "Cluster id: {}\nNodes:\n{}\nVolumes:\n{}\nBlock: {}\n\nFile: {}\n",
        c.id,
        c.nodes.join("\n"),
        c.volumes.join("\n"),
        c.block,
        c.file
    )
}

/// One `cluster list` line: `Id:<id> [file][block]` (`[]` when neither).
pub fn cluster_list_line(c: &ClusterInfoResponse) -> String {
    let mut usage = String::new();
    if c.file {
        usage.push_str("[file]");
    }
    if c.block {
        usage.push_str("[block]");
    }
    if usage.is_empty() {
        usage.push_str("[]");
    }
    format!("Id:{} {}\n", c.id, usage)
}
