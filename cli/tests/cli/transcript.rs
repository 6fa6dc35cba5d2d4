//! The server state behind heketi-cli-transcript.txt, as canned answers.

use crate::support::{Fake, fixture};

pub const CLUSTER: &str = "3f6d561b00c9caf5c16e3c906435931f";
pub const VOLUME: &str = "ba1b865c1a01b2fc576ba40f919388f1";
pub const NODES: [&str; 3] = [
    "de00d63fe19335063e76fa3af94b3d8b",
    "dfb8fbcabc23d189b2bcfa3e122a1bf1",
    "e03d885d40a7ffe7e256ff6caf67bb5f",
];

const GIB: u64 = 1024 * 1024;

/// (node id, host, zone, device id, brick id) of the three nodes.
const LAYOUT: [(&str, &str, u32, &str, &str); 3] = [
    (
        "de00d63fe19335063e76fa3af94b3d8b",
        "127.0.0.12",
        2,
        "8761bef11940f1bd418d552b99e8e29e",
        "b788dfa5b3222d9bce173488ecbfd5c3",
    ),
    (
        "dfb8fbcabc23d189b2bcfa3e122a1bf1",
        "127.0.0.11",
        1,
        "54da591a53e92ca66f33542335b394a8",
        "cce9d6a9b5b829c155e3b078efdc95fd",
    ),
    (
        "e03d885d40a7ffe7e256ff6caf67bb5f",
        "127.0.0.13",
        3,
        "e5b1185a6a8066d75a5f409a45fe89fa",
        "e85785e94f1d8f0b10eed1f74ccb0709",
    ),
];

pub fn node_json(i: usize) -> String {
    let (id, host, zone, dev, brick) = LAYOUT[i];
    let total = 500 * GIB;
    // A 1 GiB brick plus its thin-pool metadata: ~1.0078 GiB used.
    let used = GIB + 8192;
    format!(
        r#"{{"zone":{zone},"hostnames":{{"manage":["{host}"],"storage":["{host}"]}},"cluster":"{CLUSTER}","id":"{id}","state":"online","devices":[{{"name":"/dev/sdb","storage":{{"total":{total},"free":{free},"used":{used}}},"id":"{dev}","paths":["/dev/sdb"],"pv_uuid":"pv-{dev}","state":"online","bricks":[{{"id":"{brick}","path":"/var/lib/heketi/mounts/vg_{dev}/brick_{brick}/brick","device":"{dev}","node":"{id}","volume":"{VOLUME}","size":1048576}}]}}]}}"#,
        free = total - used
    )
}

pub fn cluster_json() -> String {
    format!(
        r#"{{"id":"{CLUSTER}","nodes":["{}","{}","{}"],"volumes":["{VOLUME}"],"block":true,"file":true,"blockvolumes":[]}}"#,
        NODES[0], NODES[1], NODES[2]
    )
}

/// A fake server holding the transcript's state.
pub fn server() -> Fake {
    let fake = Fake::start();
    fake.get_json("/clusters", &format!(r#"{{"clusters":["{CLUSTER}"]}}"#));
    fake.get_json(&format!("/clusters/{CLUSTER}"), &cluster_json());
    fake.get_json("/volumes", &format!(r#"{{"volumes":["{VOLUME}"]}}"#));
    fake.get_json(&format!("/volumes/{VOLUME}"), &fixture("volume_info.json"));
    for (i, id) in NODES.iter().enumerate() {
        fake.get_json(&format!("/nodes/{id}"), &node_json(i));
    }
    fake
}
