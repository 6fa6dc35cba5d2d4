//! Test harness: a tiny fake Heketi server with canned answers that checks the
//! JWT of every request, and a runner for the real binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, Uri};
use brickyard_cli::client::{Claims, TOKEN_LIFETIME_SECS, qsh};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

mod run;
pub use run::{Run, bin, fixture, run_prog};

/// Secret the fake server accepts (as in the transcript).
pub const SECRET: &str = "My Secret";

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }
    /// A JSON answer as Go's encoder writes it (trailing newline).
    pub fn json(status: u16, body: &str) -> Canned {
        Canned::new(status, &format!("{}\n", body.trim_end()))
            .header("Content-Type", "application/json; charset=UTF-8")
    }
    pub fn header(mut self, k: &str, v: &str) -> Canned {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    /// 202 Accepted pointing at a queue entry.
    pub fn accepted(queue: &str) -> Canned {
        Canned::new(202, "").header("Location", &format!("/queue/{queue}"))
    }
    /// Queue answer: still pending.
    pub fn pending() -> Canned {
        Canned::new(200, "").header("X-Pending", "true")
    }
    /// Queue answer: done, see `location`.
    pub fn see_other(location: &str) -> Canned {
        Canned::new(303, "").header("Location", location)
    }
}

/// One request the fake server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: String,
    pub content_type: Option<String>,
    pub claims: Option<Claims>,
}

#[derive(Default)]
struct State {
    routes: HashMap<(String, String), Vec<Canned>>,
    log: Vec<Recorded>,
}

/// The fake server; lives until the test process exits.
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// Starts a server on 127.0.0.1:0.
    pub fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                let app = Router::new().fallback(move |m, u, h, b| handle(st.clone(), m, u, h, b));
                axum::serve(listener, app).await.expect("serve");
            });
        });
        let addr = rx.recv().expect("server address");
        Fake {
            url: format!("http://{addr}"),
            state,
        }
    }

    /// Answers `method path` with `answers` in order; the last one repeats.
    pub fn on(&self, method: &str, path: &str, answers: Vec<Canned>) -> &Fake {
        self.state
            .lock()
            .expect("lock")
            .routes
            .insert((method.to_string(), path.to_string()), answers);
        self
    }

    /// Shorthand for a JSON 200 GET.
    pub fn get_json(&self, path: &str, body: &str) -> &Fake {
        self.on("GET", path, vec![Canned::json(200, body)])
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("lock").log.clone()
    }

    /// `METHOD path` of every request, in order.
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn verify(headers: &HeaderMap, method: &str, path: &str) -> Result<Claims, String> {
    let auth = headers
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("Required authorization token not found")?;
    let (scheme, token) = auth
        .split_once(' ')
        .ok_or("Authorization header format must be Bearer {token}")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("Authorization header format must be Bearer {token}".into());
    }
    // Like Heketi's middleware: the issuer picks the key, so a missing iss is
    // reported before the signature is checked.
    let unverified: Claims = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| format!("Invalid JWT token: {e}"))?;
    if unverified.iss.is_empty() {
        return Err("Invalid JWT token: Token missing iss claim".into());
    }
    let mut v = Validation::new(Algorithm::HS256);
    v.set_required_spec_claims(&["exp"]);
    let data =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(SECRET.as_bytes()), &v)
            .map_err(|_| {
                "Invalid JWT token: signature is invalid (client and server secrets may not match)"
                    .to_string()
            })?;
    let c = data.claims;
    if c.qsh != qsh(method, path) {
        return Err("Invalid JWT token: Invalid qsh claim in token".into());
    }
    if c.exp - c.iat != TOKEN_LIFETIME_SECS {
        return Err("token lifetime is not 5 minutes".into());
    }
    Ok(c)
}

async fn handle(
    state: Arc<Mutex<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let m = method.as_str().to_string();
    let verified = verify(&headers, &m, &path);
    let mut st = state.lock().expect("lock");
    st.log.push(Recorded {
        method: m.clone(),
        path: path.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        content_type: headers
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        claims: verified.as_ref().ok().cloned(),
    });
    if let Err(msg) = verified {
        return text(401, &format!("{msg}\n"));
    }
    let canned = match st.routes.get_mut(&(m, path)) {
        Some(list) if list.len() > 1 => Some(list.remove(0)),
        Some(list) => list.first().cloned(),
        None => None,
    };
    match canned {
        None => text(404, "Invalid path or request\n"),
        Some(c) => {
            let mut b = Response::builder().status(c.status);
            for (k, v) in &c.headers {
                b = b.header(k, v);
            }
            b.body(Body::from(c.body)).expect("response")
        }
    }
}

fn text(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(Body::from(body.to_string()))
        .expect("response")
}

/// This test process's scratch directory, under Cargo's directory for test files
/// (`target/tmp`, gone with `cargo clean`) rather than `/tmp`, where every run left
/// one behind; directories of earlier runs are removed when it is first made.
pub fn scratch_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let mine = format!("cli-test-{}", std::process::id());
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let dead = name
                    .strip_prefix("cli-test-")
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                if dead && name != mine {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = root.join(mine);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
    .clone()
}

/// A `heketi-cli` symlink to the binary, in the scratch directory.
pub fn heketi_cli() -> PathBuf {
    let dir = scratch_dir();
    let link = dir.join("heketi-cli");
    // Tests of one process race to make it: whoever comes second finds it made.
    match std::os::unix::fs::symlink(bin(), &link) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => panic!("symlink {}: {e}", link.display()),
    }
    link
}

/// Runs `program -s <fake> --user admin --secret 'My Secret' args…`.
fn run_against(program: &Path, fake: &Fake, args: &[&str]) -> Run {
    let mut all = vec![
        "-s",
        fake.url.as_str(),
        "--user",
        "admin",
        "--secret",
        SECRET,
    ];
    all.extend_from_slice(args);
    run_prog(program, &all, &[])
}

/// Runs `brickyard -s <fake> --user admin --secret 'My Secret' args…`.
pub fn run(fake: &Fake, args: &[&str]) -> Run {
    run_against(&bin(), fake, args)
}

/// Same as [`run`] through the `heketi-cli` name.
pub fn run_heketi(fake: &Fake, args: &[&str]) -> Run {
    run_against(&heketi_cli(), fake, args)
}
