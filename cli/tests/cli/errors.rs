//! Error reporting: `Error: <message>` on stderr and exit status 255.

use crate::support::{Canned, Fake, bin, run, run_prog};

#[test]
fn wrong_secret_reports_the_servers_text() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/clusters",
        vec![Canned::json(200, r#"{"clusters":[]}"#)],
    );
    let r = run_prog(
        &bin(),
        &[
            "-s", &fake.url, "--user", "admin", "--secret", "wrong", "cluster", "list",
        ],
        &[],
    );
    assert_eq!(r.code, 255);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "Error: Invalid JWT token: signature is invalid (client and server secrets may not match)\n"
    );
}

#[test]
fn missing_user_reports_missing_iss() {
    let fake = Fake::start();
    let r = run_prog(&bin(), &["-s", &fake.url, "cluster", "list"], &[]);
    assert_eq!(r.code, 255);
    assert_eq!(
        r.stderr,
        "Error: Invalid JWT token: Token missing iss claim\n"
    );
}

#[test]
fn environment_supplies_and_flags_override() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/clusters",
        vec![Canned::json(200, r#"{"clusters":[]}"#)],
    );
    let env = [
        ("HEKETI_CLI_SERVER", fake.url.as_str()),
        ("HEKETI_CLI_USER", "admin"),
        ("HEKETI_CLI_KEY", "My Secret"),
    ];
    let r = run_prog(&bin(), &["cluster", "list"], &env);
    assert_eq!((r.code, r.stdout.as_str()), (0, "Clusters:\n"), "{r:?}");
    // --secret on the command line wins over HEKETI_CLI_KEY.
    let r = run_prog(&bin(), &["--secret", "wrong", "cluster", "list"], &env);
    assert_eq!(r.code, 255);
    assert!(r.stderr.contains("signature is invalid"), "{r:?}");
}

#[test]
fn unreachable_server_names_url_and_fix() {
    let r = run_prog(&bin(), &["-s", "http://127.0.0.1:9", "volume", "list"], &[]);
    assert_eq!(r.code, 255);
    assert!(
        r.stderr
            .starts_with("Error: cannot reach the server at http://127.0.0.1:9"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("set --server or HEKETI_CLI_SERVER"),
        "{r:?}"
    );
}

#[test]
fn missing_arguments_use_heketi_cli_messages() {
    let fake = Fake::start();
    for (args, msg) in [
        (vec!["volume", "info"], "Volume id missing"),
        (vec!["volume", "create"], "Missing volume size"),
        (vec!["cluster", "delete"], "Cluster id missing"),
        (vec!["node", "add", "--cluster=c"], "Missing zone"),
        (vec!["device", "add", "--node=n"], "Missing device name"),
        (
            vec!["cluster", "setflags", "c1"],
            "At least one of --file or --block must be specified.",
        ),
        (
            vec!["node", "settags", "n1"],
            "at least one tag:value pair expected",
        ),
    ] {
        let r = run(&fake, &args);
        assert_eq!(r.code, 255, "{args:?}");
        assert_eq!(r.stderr, format!("Error: {msg}\n"), "{args:?}");
    }
    assert!(fake.calls().is_empty());
}

#[test]
fn not_found_is_reported_verbatim() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/volumes/x",
        vec![Canned::new(404, "Id not found\n")],
    );
    let r = run(&fake, &["volume", "info", "x"]);
    assert_eq!((r.code, r.stderr.as_str()), (255, "Error: Id not found\n"));
}
