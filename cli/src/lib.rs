//! The `brickyard` command line: a heketi-cli compatible client for Heketi's
//! REST API (and, as `brickyard serve`, the server).
//!
//! - [`client::Client`]: blocking HTTP client behaving like Heketi's Go client.
//! - [`output`]: heketi-cli's exact text output.
//! - [`commands::Cli`]: the clap command tree; [`run`] is the whole program.
//!
//! Invoked as `heketi-cli` (argv[0]), the binary behaves exactly as heketi-cli;
//! invoked as `brickyard`, it adds extras (`volume create --dry-run`, a
//! `topology load` summary and failure status, `serve`).

pub mod client;
pub mod commands;
pub mod csi;
mod error;
pub mod output;
pub mod serve;

use std::io::Write;

use clap::{CommandFactory, FromArgMatches};

pub use error::CliError;

use client::{Client, ClientConfig, TlsOptions};
use commands::{Cli, Command, Context, Mode};

/// Exit status of heketi-cli on any error (`os.Exit(-1)`).
pub const EXIT_ERROR: i32 = 255;

/// Which program `argv[0]` names.
pub fn mode_from_argv0(argv0: &str) -> Mode {
    let base = argv0.rsplit(['/', '\\']).next().unwrap_or(argv0);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    if base == "heketi-cli" {
        Mode::HeketiCli
    } else {
        Mode::Brickyard
    }
}

/// The global flags that only a client uses (argument id, long name): `serve` takes
/// none of them.
const CLIENT_FLAGS: [(&str, &str); 6] = [
    ("server", "server"),
    ("user", "user"),
    ("secret", "secret"),
    ("json", "json"),
    ("insecure_tls", "insecure-tls"),
    ("tls_cert", "tls-cert"),
];

/// Brickyard's own words for the top-level commands (heketi-cli's say "Heketi …
/// Management"; they stay when invoked as `heketi-cli`).
const BRICKYARD_ABOUT: [(&str, &str); 11] = [
    ("cluster", "Manage clusters"),
    ("node", "Manage storage nodes"),
    ("device", "Manage devices (disks) of the nodes"),
    ("volume", "Manage volumes"),
    (
        "blockvolume",
        "Manage block volumes (Heketi servers only: Brickyard has no block volumes)",
    ),
    ("brick", "Manage bricks"),
    ("topology", "Load a topology file, show the topology"),
    ("db", "Export, import and dump the server's database"),
    ("loglevel", "Show or set the server's log level"),
    ("server", "Server state: admin mode, state examination"),
    ("serve", "Run the Brickyard REST server"),
];

fn command_for(mode: Mode) -> clap::Command {
    // `serve` shadows the global client flags with hidden ones (clap then does not
    // propagate them into it), so they neither show in its help nor reach it silently.
    let cmd = Cli::command().mut_subcommand("serve", |serve| {
        CLIENT_FLAGS.iter().fold(serve, |s, &(id, flag)| {
            s.arg(
                clap::Arg::new(id)
                    .long(flag)
                    .hide(true)
                    .num_args(0..=1)
                    .action(clap::ArgAction::Append),
            )
        })
    });
    match mode {
        Mode::Brickyard => BRICKYARD_ABOUT
            .iter()
            .fold(cmd, |c, &(name, about)| {
                c.mut_subcommand(name, |s| s.about(about))
            })
            .about(
                "Brickyard: GlusterFS volume provisioning with Heketi's REST API.\n\
                 A heketi-cli compatible client (talks to Brickyard or Heketi), and the server (serve).",
            )
            .mut_arg("server", |a| {
                a.help("Server URL (Brickyard or Heketi). Can also be set using the environment variable HEKETI_CLI_SERVER")
            })
            .mut_arg("user", |a| {
                a.help("User (admin or user). Can also be set using the environment variable HEKETI_CLI_USER")
            })
            .after_help(
                "Example:\n  $ brickyard serve --config heketi.json &\n  $ export HEKETI_CLI_SERVER=http://localhost:8080\n  $ brickyard volume list",
            ),
        Mode::HeketiCli => cmd
            .name("heketi-cli")
            .bin_name("heketi-cli")
            .mut_subcommand("serve", |s| s.hide(true))
            .mut_subcommand("csi", |s| s.hide(true))
            .mut_subcommand("volume", |v| {
                v.mut_subcommand("create", |c| c.mut_arg("dry_run", |a| a.hide(true)))
            })
            // Brickyard extras heketi-cli does not have.
            .mut_subcommand("device", |d| d.mut_subcommand("replace", |c| c.hide(true)))
            .mut_subcommand("node", |n| n.mut_subcommand("replace", |c| c.hide(true)))
            .mut_subcommand("db", |d| d.mut_subcommand("reconcile", |c| c.hide(true))),
    }
}

/// A client flag given to `serve`, as heketi-cli words an unknown flag.
fn client_flag_given_to_serve(matches: &clap::ArgMatches) -> Option<String> {
    let ("serve", serve) = matches.subcommand()? else {
        return None;
    };
    CLIENT_FLAGS
        .iter()
        // Values of the root's globals are copied into `serve` too (from their default
        // or the environment): only the command line counts.
        .find(|(id, _)| serve.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(|(_, flag)| {
            format!("unknown flag: --{flag} (a client flag: brickyard serve does not take it)")
        })
}

/// Runs the program with `args` (argv, program name first); returns the exit status.
pub fn run(args: Vec<String>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mode = args
        .first()
        .map(|a| mode_from_argv0(a))
        .unwrap_or(Mode::Brickyard);
    let args = commands::rewrite_topology_load_args(args);
    let matches = match command_for(mode).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return clap_error(e, out, err),
    };
    if let Some(message) = client_flag_given_to_serve(&matches) {
        let _ = writeln!(err, "Error: {message}");
        return EXIT_ERROR;
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return clap_error(e, out, err),
    };
    match run_cli(cli, mode, out, err) {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            let _ = writeln!(err, "Error: {e}");
            EXIT_ERROR
        }
    }
}

fn clap_error(e: clap::Error, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let text = e.render().to_string();
    if e.use_stderr() {
        let _ = err.write_all(text.as_bytes());
        EXIT_ERROR
    } else {
        let _ = out.write_all(text.as_bytes());
        0
    }
}

fn run_cli(
    cli: Cli,
    mode: Mode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, CliError> {
    let Some(command) = cli.command else {
        if cli.version {
            let name = match mode {
                Mode::HeketiCli => "heketi-cli",
                Mode::Brickyard => "brickyard",
            };
            writeln!(out, "{name} v{}", env!("CARGO_PKG_VERSION"))?;
        } else {
            let help = command_for(mode).render_help().to_string();
            out.write_all(help.as_bytes())?;
        }
        return Ok(0);
    };
    if mode == Mode::HeketiCli {
        match &command {
            Command::Serve(_) => {
                return Err(CliError::Usage(
                    "unknown command \"serve\" for \"heketi-cli\"".into(),
                ));
            }
            Command::Csi(_) => {
                return Err(CliError::Usage(
                    "unknown command \"csi\" for \"heketi-cli\"".into(),
                ));
            }
            Command::Volume(v) if v.uses_dry_run() => {
                return Err(CliError::Usage("unknown flag: --dry-run".into()));
            }
            Command::Device(d) if d.is_replace() => {
                return Err(CliError::Usage(
                    "unknown command \"replace\" for \"heketi-cli device\"".into(),
                ));
            }
            Command::Db(d) if d.is_reconcile() => {
                return Err(CliError::Usage(
                    "unknown command \"reconcile\" for \"heketi-cli db\"".into(),
                ));
            }
            Command::Node(n) if n.is_replace() => {
                return Err(CliError::Usage(
                    "unknown command \"replace\" for \"heketi-cli node\"".into(),
                ));
            }
            _ => {}
        }
    }
    let g = cli.global;
    let tls = TlsOptions::load(g.insecure_tls, &g.tls_cert)?;
    let client = Client::new(ClientConfig::new(g.server, g.user, g.secret).with_tls(tls));
    let mut ctx = Context {
        client,
        json: g.json,
        mode,
        out,
        err,
    };
    let code = command.run(&mut ctx)?;
    ctx.out.flush()?;
    Ok(code)
}
