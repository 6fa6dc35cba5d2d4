//! The parsers of LVM and udev outputs (`executor/parse.rs`, and the thin pool usage of
//! `executor/clone.rs`). The first byte picks the parser, the rest is the output.
#![no_main]

use brickyard::executor::{fuzzing, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let out = brickyard_fuzz::output(rest);
    match which % 5 {
        0 => {
            if let Ok(vg) = parse::vgdisplay(&out) {
                // The sizes the executor derives from the extents.
                let _ = (vg.total(), vg.free(), vg.used());
            }
        }
        1 => {
            let _ = parse::pvs_uuid(&out);
        }
        2 => {
            let paths = parse::udev_paths(&out, "/dev/sdb");
            assert!(paths.iter().any(|p| p == "/dev/sdb"));
        }
        3 => {
            let _ = parse::thin_count(&out);
        }
        _ => {
            if let Some(usage) = fuzzing::pool_usage(&out) {
                let _ = usage.full();
            }
        }
    }
});
