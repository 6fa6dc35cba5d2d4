//! The `brickyard` binary (also usable as `heketi-cli` through a symlink).

/// mimalloc instead of glibc's malloc: a server holding 100,000 volumes spent a sixth
/// of a create's CPU in `malloc` once its heap had grown, and kept far more memory
/// than it held (RSS after 100,000 creates: see issue #13's notes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
