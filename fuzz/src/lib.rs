//! What the fuzz targets share: one tokio runtime per process, and how raw bytes become
//! the text a parser sees.

use std::sync::OnceLock;

/// A single-threaded runtime, made once per fuzzing process: the engine and the router
/// are async, and every task they spawn runs while the target waits on it.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// A command's output as the ssh transport hands it over (`from_utf8_lossy`).
pub fn output(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
