use brickyard::api::{TopologyCluster, TopologyInfoResponse, VolumeInfoResponse};

use super::{gib, state_string, tags_inline};

/// `topology info` text, reproducing heketi-cli's template whitespace exactly.
pub fn topology_info(t: &TopologyInfoResponse) -> String {
    let mut s = String::new();
    for c in &t.clusters {
        cluster(&mut s, c);
    }
    s.push('\n');
    s
}

fn cluster(s: &mut String, c: &TopologyCluster) {
    s.push_str(&format!(
        "\nCluster Id: {}\n\n    File:  {}\n    Block: {}\n\n    Volumes:\n",
        c.id, c.file, c.block
    ));
    for v in &c.volumes {
        volume(s, v);
    }
    s.push_str("\n\n    Nodes:\n");
    for n in &c.nodes {
        let i = &n.info;
        s.push_str(&format!(
            "\n\tNode Id: {}\n\tState: {}\n\tCluster Id: {}\n\tZone: {}\n\tManagement Hostnames: {}\n\tStorage Hostnames: {}\n",
            i.id,
            state_string(n.state),
            i.cluster,
            i.zone,
            i.hostnames.manage.join(", "),
            i.hostnames.storage.join(", ")
        ));
        if !i.tags.is_empty() {
            s.push_str(&format!("\tTags:{}\n", tags_inline(&i.tags)));
        }
        s.push_str("\tDevices:");
        for d in &n.devices {
            let di = &d.info;
            s.push_str(&format!(
                "\n\t\tId:{:<35}State:{:<10}Size (GiB):{:<8}Used (GiB):{:<8}Free (GiB):{:<8}",
                di.id,
                state_string(d.state),
                gib(di.storage.total),
                gib(di.storage.used),
                gib(di.storage.free)
            ));
            if !di.tags.is_empty() {
                s.push_str(&format!("\n\t\t\tTags:{}", tags_inline(&di.tags)));
            }
            let paths = if di.paths.is_empty() {
                di.name.clone()
            } else {
                di.paths.join(" ")
            };
            s.push_str(&format!("\n\t\t\tKnown Paths: {paths}\n\n\t\t\tBricks:"));
            for b in &d.bricks {
                s.push_str(&format!(
                    "\n\t\t\t\tId:{:<35}Size (GiB):{:<8}Path: {}",
                    b.id,
                    gib(b.size),
                    b.path
                ));
            }
            s.push('\n');
        }
    }
}

fn volume(s: &mut String, v: &VolumeInfoResponse) {
    let i = &v.info;
    let r = &i.request;
    let backup = i
        .mount
        .glusterfs
        .options
        .get("backup-volfile-servers")
        .map(String::as_str)
        .unwrap_or("");
    s.push_str(&format!(
        "\n\tName: {}\n\tSize: {}\n\tId: {}\n\tCluster Id: {}\n\tMount: {}\n\tMount Options: backup-volfile-servers={}\n\tDurability Type: {}\n",
        r.name, r.size, i.id, i.cluster, i.mount.glusterfs.mount_point, backup, r.durability.kind
    ));
    match r.durability.kind.as_str() {
        "replicate" => s.push_str(&format!("\tReplica: {}\n", r.durability.replicate.replica)),
        "disperse" => s.push_str(&format!(
            "\tDisperse Data: {}\n\tDisperse Redundancy: {}\n",
            r.durability.disperse.data, r.durability.disperse.redundancy
        )),
        _ => {}
    }
    if r.snapshot.enable {
        s.push_str(&format!(
            "\tSnapshot: Enabled\n\tSnapshot Factor: {:.2}\n",
            r.snapshot.factor
        ));
    } else {
        s.push_str("\tSnapshot: Disabled\n");
    }
    s.push_str("\n\t\tBricks:");
    for b in &v.bricks {
        s.push_str(&format!(
            "\n\t\t\tId: {}\n\t\t\tPath: {}\n\t\t\tSize (GiB): {}\n\t\t\tNode: {}\n\t\t\tDevice: {}\n",
            b.id,
            b.path,
            gib(b.size),
            b.node,
            b.device
        ));
    }
    s.push('\n');
}
