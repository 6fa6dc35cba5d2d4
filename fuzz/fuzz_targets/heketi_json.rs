//! `heketi.json` (`server/src/config`): comments, trailing commas, every key, and the
//! `HEKETI_*` overrides. Input: the file, then optionally a NUL byte and `NAME=value`
//! lines taken as the environment.
#![no_main]

use std::collections::HashMap;

use brickyard_server::ServerConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (file, env) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    // `ServerConfig::load` reads the file with `read_to_string`: only UTF-8 gets here.
    let Ok(text) = std::str::from_utf8(file) else {
        return;
    };
    let env_text = String::from_utf8_lossy(env);
    let vars: HashMap<&str, &str> = env_text.lines().filter_map(|l| l.split_once('=')).collect();
    let lookup = |name: &str| vars.get(name).map(|v| v.to_string());
    if let Err(e) = ServerConfig::from_str(text, "heketi.json", &lookup) {
        let _ = e.to_string();
    }
});
