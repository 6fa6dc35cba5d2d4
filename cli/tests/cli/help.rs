//! Help texts: Brickyard introduces itself under its own name, heketi-cli's texts stay
//! when invoked as `heketi-cli`, and `serve` shows and takes no client flag.

use crate::support::{bin, heketi_cli, run_prog};

const COMMANDS: [&str; 10] = [
    "cluster",
    "node",
    "device",
    "volume",
    "blockvolume",
    "brick",
    "topology",
    "db",
    "loglevel",
    "server",
];

/// The description of `command` in the "Commands:" list of `help`.
fn listed<'a>(help: &'a str, command: &str) -> &'a str {
    help.lines()
        .find_map(|l| {
            let rest = l.strip_prefix("  ")?.strip_prefix(command)?;
            rest.starts_with(' ').then(|| rest.trim())
        })
        .unwrap_or_else(|| panic!("{command} not listed in:\n{help}"))
}

#[test]
fn brickyard_help_speaks_of_brickyard_not_heketi() {
    let help = run_prog(&bin(), &["--help"], &[]);
    assert_eq!(help.code, 0, "{help:?}");
    let about = help.stdout.lines().next().unwrap_or_default();
    assert!(about.starts_with("Brickyard"), "{about}");
    assert!(!help.stdout.contains("Command line program for Heketi"));
    for command in COMMANDS {
        let text = listed(&help.stdout, command);
        assert!(
            !text.contains("Heketi ") || text.contains("Heketi servers"),
            "{command}: {text}"
        );
        assert!(
            !text.to_lowercase().contains("management"),
            "{command}: {text}"
        );
        let sub = run_prog(&bin(), &[command, "--help"], &[]);
        assert_eq!(sub.stdout.lines().next(), Some(text), "{sub:?}");
    }
    assert!(listed(&help.stdout, "blockvolume").contains("Brickyard has no block volumes"));
    assert!(help.stdout.contains("$ brickyard volume list"), "{help:?}");
    assert!(!help.stdout.contains("heketi-cli volume list"), "{help:?}");
}

#[test]
fn heketi_cli_help_keeps_heketi_cli_texts() {
    let help = run_prog(&heketi_cli(), &["--help"], &[]);
    assert_eq!(help.code, 0, "{help:?}");
    assert!(
        help.stdout.starts_with("Command line program for Heketi\n"),
        "{help:?}"
    );
    let expected = [
        ("cluster", "Heketi cluster management"),
        ("node", "Heketi Node Management"),
        ("device", "Heketi device management"),
        ("volume", "Heketi Volume Management"),
        ("blockvolume", "Heketi Volume Management"),
        ("brick", "Heketi Brick Management"),
        ("topology", "Heketi Topology Management"),
        ("db", "Heketi Database Management"),
        ("loglevel", "Heketi server Log Level"),
        ("server", "Heketi Server Management"),
    ];
    for (command, text) in expected {
        assert_eq!(listed(&help.stdout, command), text);
    }
    assert!(help.stdout.contains(
        "Heketi server. Can also be set using the environment variable HEKETI_CLI_SERVER"
    ));
    assert!(help.stdout.ends_with(
        "Example:\n  $ export HEKETI_CLI_SERVER=http://localhost:8080\n  $ heketi-cli volume list\n"
    ), "{help:?}");
    let sub = run_prog(&heketi_cli(), &["volume", "--help"], &[]);
    assert!(
        sub.stdout.starts_with("Heketi Volume Management\n"),
        "{sub:?}"
    );
}

#[test]
fn serve_help_lists_no_client_flag_and_serve_refuses_them() {
    let help = run_prog(&bin(), &["serve", "--help"], &[]);
    assert_eq!(help.code, 0, "{help:?}");
    for flag in ["--server", "--user", "--secret", "--json", "HEKETI_CLI"] {
        assert!(!help.stdout.contains(flag), "{flag} in:\n{}", help.stdout);
    }
    for flag in ["--config", "--listen", "--db", "--disable-auth"] {
        assert!(
            help.stdout.contains(flag),
            "{flag} missing:\n{}",
            help.stdout
        );
    }
    let r = run_prog(&bin(), &["serve", "--json"], &[]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            255,
            "Error: unknown flag: --json (a client flag: brickyard serve does not take it)\n"
        )
    );
    let r = run_prog(&bin(), &["serve", "--server", "http://x:8080"], &[]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stderr.contains("unknown flag: --server"), "{r:?}");
    // The client commands keep their flags.
    let help = run_prog(&bin(), &["volume", "list", "--help"], &[]);
    assert!(help.stdout.contains("--server"), "{help:?}");
}
