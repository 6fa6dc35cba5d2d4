use brickyard::api::DeviceInfoResponse;

use super::{gib, state_string, tags_block};

/// `device info` text.
pub fn device_info(d: &DeviceInfoResponse) -> String {
    let i = &d.info;
    let mut s = format!(
        "Device Id: {}\nState: {}\nSize (GiB): {}\nUsed (GiB): {}\nFree (GiB): {}\nCreate Path: {}\nPhysical Volume UUID: {}\nKnown Paths: {}\n",
        i.id,
        state_string(d.state),
        gib(i.storage.total),
        gib(i.storage.used),
        gib(i.storage.free),
        i.name,
        i.pv_uuid,
        i.paths.join(" ")
    );
    s.push_str(&tags_block(&i.tags));
    s.push_str("Bricks:\n");
    for b in &d.bricks {
        s.push_str(&format!(
            "Id:{:<35}Size (GiB):{:<8}Path: {}\n",
            b.id,
            gib(b.size),
            b.path
        ));
    }
    s
}
