use brickyard::api::BlockVolumeInfo;

use super::go_slice;

/// Block volume text (`BlockVolumeInfoResponse.String()`).
pub fn block_volume_info(b: &BlockVolumeInfo) -> String {
    let t = &b.blockvolume;
    format!(
        "Name: {}\nSize: {}\nUsableSize: {}\nVolume Id: {}\nCluster Id: {}\nHosts: {}\nIQN: {}\nLUN: {}\nHacount: {}\nUsername: {}\nPassword: {}\nBlock Hosting Volume: {}\n",
        b.request.name,
        b.request.size,
        b.usablesize,
        b.id,
        b.cluster,
        go_slice(&t.hosts),
        t.iqn,
        t.lun,
        b.request.hacount,
        t.username,
        t.password,
        b.blockhostingvolume
    )
}

/// One `blockvolume list` line.
pub fn block_volume_list_line(id: &str, b: &BlockVolumeInfo) -> String {
    format!(
        "Id:{:<35} Cluster:{:<35} Name:{}\n",
        id, b.cluster, b.request.name
    )
}
