//! The `gluster … --xml` parsers (`executor/gluster_xml.rs`, `executor/heal.rs`): every
//! input goes through the envelope and volume info parser and the heal info parser.
#![no_main]

use brickyard::executor::{fuzzing, gluster_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let xml = brickyard_fuzz::output(data);
    if let Ok(out) = gluster_xml::cli_output(&xml) {
        let _ = (out.ok(), out.volume_missing());
    }
    if let Ok((out, heal)) = fuzzing::heal_info(&xml) {
        let _ = out.ok();
        for brick in &heal.bricks {
            let _ = (brick.connected(), brick.has_entries());
        }
    }
});
