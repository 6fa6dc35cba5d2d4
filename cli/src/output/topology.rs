use std::collections::BTreeMap;

use brickyard::api::{
    BrickInfo, EntryState, HostAddresses, StorageSize, Tags, VolumeDurabilityInfo, VolumeSnapshot,
    null_as_default,
};
use serde::Deserialize;

use super::{gib, state_string, tags_inline};

/// The topology as `topology info` prints it, read from the JSON of the API's topology
/// without what the text does not show. The API types flatten their `info` (serde then
/// buffers every value of the record before reading it) and carry every volume's mount
/// host list: at 100,000 volumes reading them took the CLI 3 of its 4 seconds.
#[derive(Debug, Default, Deserialize)]
pub struct TopologyText {
    #[serde(default, deserialize_with = "null_as_default")]
    clusters: Vec<ClusterText>,
}

#[derive(Debug, Default, Deserialize)]
struct ClusterText {
    #[serde(default)]
    id: String,
    #[serde(default)]
    file: bool,
    #[serde(default)]
    block: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    volumes: Vec<VolumeText>,
    #[serde(default, deserialize_with = "null_as_default")]
    nodes: Vec<NodeText>,
}

#[derive(Debug, Default, Deserialize)]
struct VolumeText {
    #[serde(default)]
    name: String,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    id: String,
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    durability: VolumeDurabilityInfo,
    #[serde(default)]
    snapshot: VolumeSnapshot,
    #[serde(default)]
    mount: MountText,
    #[serde(default, deserialize_with = "null_as_default")]
    bricks: Vec<BrickInfo>,
}

#[derive(Debug, Default, Deserialize)]
struct MountText {
    #[serde(default)]
    glusterfs: GlusterMountText,
}

#[derive(Debug, Default, Deserialize)]
struct GlusterMountText {
    #[serde(default)]
    device: String,
    #[serde(default, deserialize_with = "null_as_default")]
    options: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct NodeText {
    #[serde(default)]
    id: String,
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    zone: i64,
    #[serde(default)]
    hostnames: HostAddresses,
    #[serde(default, deserialize_with = "null_as_default")]
    tags: Tags,
    #[serde(default)]
    state: EntryState,
    #[serde(default, deserialize_with = "null_as_default")]
    devices: Vec<DeviceText>,
}

#[derive(Debug, Default, Deserialize)]
struct DeviceText {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    paths: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    tags: Tags,
    #[serde(default)]
    storage: StorageSize,
    #[serde(default)]
    state: EntryState,
    #[serde(default, deserialize_with = "null_as_default")]
    bricks: Vec<BrickInfo>,
}

/// `topology info` text, reproducing heketi-cli's template whitespace exactly, written
/// to `out` a few hundred kilobytes at a time: at 100,000 volumes the text is 250 MB,
/// which the CLI no longer holds whole beside the topology it prints.
pub fn write_topology_info(t: &TopologyText, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = String::new();
    for c in &t.clusters {
        cluster(&mut s, c, out)?;
    }
    s.push('\n');
    out.write_all(s.as_bytes())
}

/// Writes `s` to `out` once it holds a few hundred kilobytes.
fn spill(s: &mut String, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if s.len() >= 256 * 1024 {
        out.write_all(s.as_bytes())?;
        s.clear();
    }
    Ok(())
}

fn cluster(s: &mut String, c: &ClusterText, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    s.push_str(&format!(
        "\nCluster Id: {}\n\n    File:  {}\n    Block: {}\n\n    Volumes:\n",
        c.id, c.file, c.block
    ));
    for v in &c.volumes {
        volume(s, v);
        spill(s, out)?;
    }
    s.push_str("\n\n    Nodes:\n");
    for n in &c.nodes {
        spill(s, out)?;
        let i = n;
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
            let di = d;
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
    Ok(())
}

fn volume(s: &mut String, v: &VolumeText) {
    let (i, r) = (v, v);
    let backup = i
        .mount
        .glusterfs
        .options
        .get("backup-volfile-servers")
        .map(String::as_str)
        .unwrap_or("");
    s.push_str(&format!(
        "\n\tName: {}\n\tSize: {}\n\tId: {}\n\tCluster Id: {}\n\tMount: {}\n\tMount Options: backup-volfile-servers={}\n\tDurability Type: {}\n",
        r.name, r.size, i.id, i.cluster, i.mount.glusterfs.device, backup, r.durability.kind
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
