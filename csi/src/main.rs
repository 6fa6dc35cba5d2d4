//! `brickyard-csi`: the `brickyard` program with its `csi` subcommand.
//!
//! `brickyard-csi csi ARGS` runs the CSI driver; anything else is handed to
//! `brickyard` (`serve`, heketi-cli's commands). The container image installs this
//! binary as `brickyard`, so `brickyard csi …` works there as written.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("csi") {
        let mut csi_args = vec!["brickyard csi".to_string()];
        csi_args.extend(args.into_iter().skip(2));
        std::process::exit(brickyard_csi::command::run(csi_args));
    }
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = brickyard_cli::run(args, &mut out, &mut err);
    std::process::exit(code);
}
