use brickyard::api::VolumeInfoResponse;

use super::go_slice;

/// `volume info` / `volume create` text (`printVolumeInfo`).
pub fn volume_info(v: &VolumeInfoResponse) -> String {
    let info = &v.info;
    let req = &info.request;
    let mount_options: String = info
        .mount
        .glusterfs
        .options
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let restriction = if info.blockinfo.restriction.is_empty() {
        "(none)"
    } else {
        info.blockinfo.restriction.as_str()
    };
    let mut s = format!(
        "Name: {}\nSize: {}\nVolume Id: {}\nCluster Id: {}\nMount: {}\nMount Options: {}\n\
         Block: {}\nFree Size: {}\nReserved Size: {}\nBlock Hosting Restriction: {}\n\
         Block Volumes: {}\nDurability Type: {}\n",
        req.name,
        req.size,
        info.id,
        info.cluster,
        info.mount.glusterfs.mount_point,
        mount_options,
        req.block,
        info.blockinfo.freesize,
        info.blockinfo.reservedsize,
        restriction,
        go_slice(&info.blockinfo.blockvolumes),
        req.durability.kind,
    );
    let bricks = v.bricks.len() as i64;
    let d = &req.durability;
    match d.kind.as_str() {
        "replicate" => {
            let r = d.replicate.replica;
            s.push_str(&format!(
                "Distribute Count: {}\nReplica Count: {}\n",
                checked_div(bricks, r),
                r
            ));
        }
        "disperse" => {
            let n = d.disperse.data + d.disperse.redundancy;
            s.push_str(&format!(
                "Distribute Count: {}\nDisperse Data Count: {}\nDisperse Redundancy Count: {}\n",
                checked_div(bricks, n),
                d.disperse.data,
                d.disperse.redundancy
            ));
        }
        "none" => s.push_str(&format!("Distribute Count: {bricks}\n")),
        _ => {}
    }
    if req.snapshot.enable {
        s.push_str(&format!("Snapshot Factor: {:.2}\n\n", req.snapshot.factor));
    }
    s
}

/// Go's CLI would crash dividing by a zero replica; print 0 instead.
fn checked_div(a: i64, b: i64) -> i64 {
    if b == 0 { 0 } else { a / b }
}

/// One `volume list` line: `Id:%-35v Cluster:%-35v Name:<name>[ [block]]`.
pub fn volume_list_line(id: &str, v: &VolumeInfoResponse) -> String {
    let block = if v.info.request.block { " [block]" } else { "" };
    format!(
        "Id:{:<35} Cluster:{:<35} Name:{}{}\n",
        id, v.info.cluster, v.info.request.name, block
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use brickyard::api::{BrickInfo, VolumeInfoResponse};

    fn volume(json: &str) -> VolumeInfoResponse {
        serde_json::from_str(json).expect("volume json")
    }

    #[test]
    fn disperse_with_snapshot_and_block_info() {
        let mut v = volume(
            r#"{"size":8,"name":"v","durability":{"type":"disperse","disperse":{"data":4,"redundancy":2}},
                "snapshot":{"enable":true,"factor":1.5},"id":"i","cluster":"c","block":true,
                "mount":{"glusterfs":{"hosts":["a"],"device":"a:v","options":{"backup-volfile-servers":""}}},
                "blockinfo":{"freesize":5,"reservedsize":1,"blockvolume":["b1","b2"],"restriction":"locked"}}"#,
        );
        v.bricks = vec![BrickInfo::default(); 12];
        assert_eq!(
            volume_info(&v),
            "Name: v\nSize: 8\nVolume Id: i\nCluster Id: c\nMount: a:v\nMount Options: backup-volfile-servers=\n\
             Block: true\nFree Size: 5\nReserved Size: 1\nBlock Hosting Restriction: locked\nBlock Volumes: [b1 b2]\n\
             Durability Type: disperse\nDistribute Count: 2\nDisperse Data Count: 4\nDisperse Redundancy Count: 2\n\
             Snapshot Factor: 1.50\n\n"
        );
        assert_eq!(
            volume_list_line("i", &v),
            format!("Id:{:<35} Cluster:{:<35} Name:v [block]\n", "i", "c")
        );
    }

    #[test]
    fn none_durability_counts_bricks() {
        let mut v = volume(r#"{"size":2,"name":"n","durability":{"type":"none"},"id":"i"}"#);
        v.bricks = vec![BrickInfo::default(); 2];
        assert!(volume_info(&v).ends_with("Durability Type: none\nDistribute Count: 2\n"));
    }
}
