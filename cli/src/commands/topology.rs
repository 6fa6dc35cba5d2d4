use clap::{Args, Subcommand};

use super::Context;
use super::topology_load;
use crate::{CliError, output};

/// `topology …`
#[derive(Debug, Args)]
pub struct TopologyCmd {
    #[command(subcommand)]
    cmd: TopologySub,
}

#[derive(Debug, Subcommand)]
enum TopologySub {
    /// Add devices to Heketi from a configuration file
    Load {
        /// Configuration containing devices, nodes, and clusters, in JSON format
        /// (given as `--json=FILE` or `-j FILE`)
        #[arg(long = "json-file", value_name = "FILE")]
        json_file: Option<String>,
    },
    /// Retrieves information about the current Topology
    Info,
}

impl TopologyCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<i32, CliError> {
        match self.cmd {
            TopologySub::Load { json_file } => topology_load::run(ctx, json_file.as_deref()),
            TopologySub::Info => {
                if ctx.json {
                    ctx.print_json(&ctx.client.topology_info()?)?;
                } else {
                    let t = ctx.client.topology_text()?;
                    output::write_topology_info(&t, ctx.out)?;
                }
                Ok(0)
            }
        }
    }
}

/// Rewrites `topology load --json FILE` / `-j FILE` / `--json=FILE` / `-jFILE` to the
/// internal `--json-file` flag. heketi-cli's `topology load` has a local string
/// `--json` that shadows the global boolean `--json`; clap cannot express that, so
/// the arguments are rewritten before parsing. Other commands are left untouched.
pub fn rewrite_topology_load_args(args: Vec<String>) -> Vec<String> {
    // Find the first two positional words, skipping global flags and their values.
    let mut words = Vec::new();
    let mut i = 1;
    while i < args.len() && words.len() < 2 {
        let a = &args[i];
        if matches!(
            a.as_str(),
            "-s" | "--server" | "--user" | "--secret" | "-C" | "--tls-cert"
        ) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            words.push(i);
        }
        i += 1;
    }
    let is_load = words.len() == 2 && args[words[0]] == "topology" && args[words[1]] == "load";
    if !is_load {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    for (idx, a) in args.into_iter().enumerate() {
        if idx <= words[1] {
            out.push(a);
            continue;
        }
        if a == "--json" || a == "-j" {
            out.push("--json-file".to_string());
        } else if let Some(v) = a.strip_prefix("--json=") {
            out.push(format!("--json-file={v}"));
        } else if let Some(v) = a.strip_prefix("-j=") {
            out.push(format!("--json-file={v}"));
        } else if let Some(v) = a.strip_prefix("-j").filter(|v| !v.is_empty()) {
            out.push(format!("--json-file={v}"));
        } else {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn rewrites_only_topology_load() {
        assert_eq!(
            rewrite_topology_load_args(v("b -s http://x topology load --json=t.json")),
            v("b -s http://x topology load --json-file=t.json")
        );
        assert_eq!(
            rewrite_topology_load_args(v("b topology load -j t.json")),
            v("b topology load --json-file t.json")
        );
        assert_eq!(
            rewrite_topology_load_args(v("b topology info --json")),
            v("b topology info --json")
        );
        assert_eq!(
            rewrite_topology_load_args(v("b --user admin volume list --json")),
            v("b --user admin volume list --json")
        );
    }

    #[test]
    fn the_value_of_tls_cert_is_no_command_word() {
        assert_eq!(
            rewrite_topology_load_args(v("b -C ca.pem topology load --json t.json")),
            v("b -C ca.pem topology load --json-file t.json")
        );
        assert_eq!(
            rewrite_topology_load_args(v("b -I --tls-cert ca.pem topology load -j t.json")),
            v("b -I --tls-cert ca.pem topology load --json-file t.json")
        );
    }
}
