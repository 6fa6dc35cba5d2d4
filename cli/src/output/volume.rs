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
