use brickyard::api::NodeInfoResponse;

use super::{gib, state_string, tags_block};

/// `printNodeInfo`: the node header shared by `node add` and `node info`.
pub fn node_info_header(n: &NodeInfoResponse) -> String {
    let i = &n.info;
    let first = |v: &Vec<String>| v.first().cloned().unwrap_or_default();
    let mut s = format!(
        "Node Id: {}\nState: {}\nCluster Id: {}\nZone: {}\nManagement Hostname: {}\nStorage Hostname: {}\n",
        i.id,
        state_string(n.state),
        i.cluster,
        i.zone,
        first(&i.hostnames.manage),
        first(&i.hostnames.storage)
    );
    s.push_str(&tags_block(&i.tags));
    s
}

/// `node info` text: the header plus one padded line per device.
pub fn node_info(n: &NodeInfoResponse) -> String {
    let mut s = node_info_header(n);
    s.push_str("Devices:\n");
    for d in &n.devices {
        s.push_str(&format!(
            "Id:{:<35}Name:{:<20}State:{:<10}Size (GiB):{:<8}Used (GiB):{:<8}Free (GiB):{:<8}Bricks:{:<8}\n",
            d.info.id,
            d.info.name,
            state_string(d.state),
            gib(d.info.storage.total),
            gib(d.info.storage.used),
            gib(d.info.storage.free),
            d.bricks.len()
        ));
    }
    s
}

/// One `node list` line.
pub fn node_list_line(node: &str, cluster: &str) -> String {
    format!("Id:{node}\tCluster:{cluster}\n")
}
