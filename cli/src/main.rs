//! The `brickyard` binary (also usable as `heketi-cli` through a symlink).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let code = brickyard_cli::run(args, &mut out, &mut err);
    std::process::exit(code);
}
