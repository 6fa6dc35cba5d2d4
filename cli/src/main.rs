//! The `brickyard` binary (also usable as `heketi-cli` through a symlink).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Unlocked handles: `brickyard serve` writes to stdout and stderr from the
    // runtime's worker threads (banner, logs), which would block forever on a lock
    // held by the main thread.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = brickyard_cli::run(args, &mut out, &mut err);
    std::process::exit(code);
}
