//! Invoked as `heketi-cli`: heketi-cli's behaviour, without brickyard extras.

use crate::support::{Fake, fixture, heketi_cli, run_heketi, run_prog};
use crate::transcript::{self, VOLUME};

#[test]
fn same_output_under_heketi_cli_name() {
    let fake = transcript::server();
    let r = run_heketi(&fake, &["volume", "info", VOLUME]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("volume_info.txt"));
}

#[test]
fn version_names_the_program() {
    let r = run_prog(&heketi_cli(), &["-v"], &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("heketi-cli v"), "{r:?}");
    let r = run_prog(&crate::support::bin(), &["--version"], &[]);
    assert!(r.stdout.starts_with("brickyard v"), "{r:?}");
}

#[test]
fn extras_are_hidden_and_rejected() {
    let help = run_prog(&heketi_cli(), &["--help"], &[]);
    assert!(help.stdout.contains("Usage: heketi-cli"), "{help:?}");
    assert!(!lists_serve(&help.stdout), "{help:?}");
    let help = run_prog(&heketi_cli(), &["volume", "create", "--help"], &[]);
    assert!(!help.stdout.contains("dry-run"), "{help:?}");

    let fake = Fake::start();
    let r = run_heketi(&fake, &["volume", "create", "--size=1", "--dry-run"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (255, "Error: unknown flag: --dry-run\n")
    );
    let r = run_heketi(&fake, &["db", "reconcile"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            255,
            "Error: unknown command \"reconcile\" for \"heketi-cli db\"\n"
        )
    );
    let help = run_prog(&heketi_cli(), &["db", "--help"], &[]);
    assert!(!help.stdout.contains("reconcile"), "{help:?}");
    let r = run_heketi(&fake, &["serve"]);
    assert_eq!(r.code, 255);
    assert!(fake.calls().is_empty());

    let bhelp = run_prog(&crate::support::bin(), &["--help"], &[]);
    assert!(lists_serve(&bhelp.stdout), "{bhelp:?}");
}

fn lists_serve(help: &str) -> bool {
    help.lines().any(|l| l.trim_start().starts_with("serve "))
}
