//! `brickyard csi ARGS` replaces itself with `brickyard-csi csi ARGS` (the driver
//! lives in package brickyard-csi); heketi-cli has no `csi`.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn brickyard_csi_hands_every_argument_to_the_driver_program() {
    let dir = std::env::temp_dir().join(format!("brickyard-csi-dispatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("brickyard-csi");
    std::fs::write(&fake, "#!/bin/sh\nprintf '%s|' \"$@\"\nexit 7\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brickyard"))
        .args([
            "csi",
            "--endpoint",
            "unix:///csi/csi.sock",
            "--mode=node",
            "--help",
            "-v",
        ])
        .env("BRICKYARD_CSI_BIN", &fake)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "csi|--endpoint|unix:///csi/csi.sock|--mode=node|--help|-v|"
    );
    assert_eq!(out.status.code(), Some(7), "the driver's exit status");

    // No driver program: a clear error, not a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_brickyard"))
        .args(["csi", "--mode=node"])
        .env("BRICKYARD_CSI_BIN", dir.join("missing"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cargo build -p brickyard-csi"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn heketi_cli_has_no_csi_command() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = brickyard_cli::run(
        vec!["heketi-cli".into(), "csi".into(), "--mode=node".into()],
        &mut out,
        &mut err,
    );
    assert_eq!(code, brickyard_cli::EXIT_ERROR);
    assert_eq!(
        String::from_utf8_lossy(&err),
        "Error: unknown command \"csi\" for \"heketi-cli\"\n"
    );
}
