//! End to end: the real `brickyard` binary as server (`brickyard serve` on a redb
//! file with the mock executor) and as heketi-cli compatible client.
//!
//! Outputs are compared with the real heketi-cli transcript
//! (`tests/fixtures/*.txt`, from heketi-cli-transcript.txt) after normalising what
//! is random in both: ids, and which of the three hosts and zones comes first.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "support/run.rs"]
mod run;
use run::{bin, fixture, run_prog};

const SECRET: &str = "My Secret";
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed topology of the transcript (three nodes 127.0.0.11-13, one /dev/sdb each).
fn topology_file() -> PathBuf {
    manifest_dir().join("../examples/topology.json")
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("brickyard-e2e-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn config(use_auth: bool, db: &Path) -> String {
    format!(
        r#"{{
  "port": "8080",
  "use_auth": {use_auth},
  "jwt": {{ "admin": {{ "key": "{SECRET}" }}, "user": {{ "key": "{SECRET}" }} }},
  "glusterfs": {{ "executor": "mock", "db": {db:?} }}
}}
"#,
        db = db.display().to_string()
    )
}

/// A running `brickyard serve`; killed when dropped.
struct Server {
    child: Option<Child>,
    url: String,
    log: PathBuf,
}

impl Server {
    /// Starts `brickyard serve` with `config_file` on `db`, on a free port.
    fn start(config_file: &Path, db: &Path, log: &Path) -> Server {
        let out = fs::File::create(log).expect("server log");
        let err = out.try_clone().expect("server log");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--config"])
            .arg(config_file)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, _) in std::env::vars() {
            if k.starts_with("HEKETI_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd.spawn().expect("spawn brickyard serve");
        let mut server = Server {
            child: Some(child),
            url: String::new(),
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = fs::read_to_string(log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                server.url = format!("http://{addr}");
                return server;
            }
            let exited = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!("brickyard serve exited ({status}) before listening:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "brickyard serve printed no 'Listening on' line in {START_TIMEOUT:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server with SIGTERM (a clean shutdown), SIGKILL after 10 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The address in `Listening on <addr>` (an optional `http://` is dropped; a
/// Heketi-style `Listening on port N` means 127.0.0.1:N).
fn listening_addr(log: &str) -> Option<String> {
    let rest = log.split("Listening on ").nth(1)?;
    let word = rest.split_whitespace().next()?;
    if word == "port" {
        let port = rest.split_whitespace().nth(1)?;
        return Some(format!("127.0.0.1:{port}"));
    }
    let addr = word.trim_start_matches("http://");
    let (_, port) = addr.rsplit_once(':')?;
    port.parse::<u16>().ok().map(|_| addr.to_string())
}

/// `brickyard -s URL --user admin --secret SECRET args…`, which must succeed; its
/// stdout (stderr may carry Brickyard's notes, e.g. the topology load summary).
fn cli(server: &Server, args: &[&str]) -> String {
    let mut all = vec!["-s", &server.url, "--user", "admin", "--secret", SECRET];
    all.extend_from_slice(args);
    let r = run_prog(&bin(), &all, &[]);
    assert_eq!(
        r.code,
        0,
        "brickyard {args:?} failed: {r:?}\nserver log:\n{}",
        server.log()
    );
    r.stdout
}

/// Replaces the random parts of an output: 32-hex ids by `<ID>`, the seed hosts
/// by `<HOST>` and zone numbers by `<ZONE>` (their order follows the random ids).
fn normalise(text: &str) -> String {
    let mut s = text.to_string();
    for host in ["127.0.0.11", "127.0.0.12", "127.0.0.13"] {
        s = s.replace(host, "<HOST>");
    }
    for zone in ["Zone: 1", "Zone: 2", "Zone: 3"] {
        s = s.replace(zone, "Zone: <ZONE>");
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let after_ok = bytes
            .get(i + run)
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        if run == 32 && before_ok && after_ok {
            out.push_str("<ID>");
            i += run;
        } else {
            let len = run.max(1);
            // `s` is valid UTF-8 and hex runs are ASCII, so `i..i+len` is a char
            // boundary unless `len` is 1 in the middle of a multi-byte char.
            let end = (i + len..=bytes.len())
                .find(|&e| s.is_char_boundary(e))
                .unwrap_or(bytes.len());
            out.push_str(&s[i..end]);
            i = end;
        }
    }
    out
}

/// Hides in `topology info` what differs between Heketi's mock executor and
/// Brickyard's, which simulates LVM: the device size (Brickyard's VG loses its
/// metadata area, Heketi's mock reports the raw disk) and the known paths
/// (Brickyard's mock reports udev links too). Both must still be present.
fn mock_devices(text: &str) -> String {
    const SIZE: &str = "Size (GiB):";
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(paths) = line.strip_prefix("\t\t\tKnown Paths: ") {
            assert!(
                paths.split_whitespace().any(|p| p == "/dev/sdb"),
                "{line:?}"
            );
            out.push_str("\t\t\tKnown Paths: <PATHS>\n");
        } else if line.starts_with("\t\tId:") && line.contains("State:") {
            let at = line
                .find(SIZE)
                .map(|i| i + SIZE.len())
                .unwrap_or(line.len());
            let size: String = line[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            assert!(!size.is_empty(), "no device size in {line:?}");
            out.push_str(&line[..at]);
            out.push_str("<SIZE>");
            out.push_str(&line[at + size.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Ids (32 hex) in the order they appear.
fn ids(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 32)
        .map(str::to_string)
        .collect()
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} in:\n{text}"))
        .trim()
}

fn auth_server(dir: &Scratch) -> Server {
    let db = dir.path("brickyard.redb");
    let cfg = dir.path("heketi.json");
    fs::write(&cfg, config(true, &db)).expect("write config");
    Server::start(&cfg, &db, &dir.path("server.log"))
}

fn load_seed(server: &Server) -> String {
    let topo = format!("--json={}", topology_file().display());
    cli(server, &["topology", "load", &topo])
}

/// One raw HTTP/1.1 request with extra header lines; returns the status line.
fn raw_request(server: &Server, method: &str, path: &str, headers: &str) -> String {
    use std::io::{Read, Write};
    let addr = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_debug_level_session_logs_no_secret() {
    const ADMIN_KEY: &str = "admin-key-7f3a9c";
    const USER_KEY: &str = "user-key-51be0d";
    const QUERY_SECRET: &str = "query-token-c0ffee42";
    let dir = Scratch::new("secrets");
    let db = dir.path("brickyard.redb");
    let cfg = dir.path("heketi.json");
    fs::write(
        &cfg,
        format!(
            r#"{{"use_auth": true,
  "jwt": {{"admin": {{"key": "{ADMIN_KEY}"}}, "user": {{"key": "{USER_KEY}"}}}},
  "glusterfs": {{"executor": "mock", "db": {db:?}, "loglevel": "debug"}}}}"#,
            db = db.display().to_string()
        ),
    )
    .expect("write config");
    let mut server = Server::start(&cfg, &db, &dir.path("server.log"));
    let run = |user: &str, key: &str, args: &[&str]| {
        let mut all = vec!["-s", &server.url, "--user", user, "--secret", key];
        all.extend_from_slice(args);
        run_prog(&bin(), &all, &[])
    };
    let topo = format!("--json={}", topology_file().display());
    assert_eq!(
        run("admin", ADMIN_KEY, &["topology", "load", &topo]).code,
        0
    );
    let created = run("admin", ADMIN_KEY, &["volume", "create", "--size=1"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let user_token =
        brickyard_cli::client::sign("user", USER_KEY, "GET", "/volumes").expect("token");
    let status = raw_request(
        &server,
        "GET",
        "/volumes",
        &format!("Authorization: bearer {user_token}\r\n"),
    );
    assert!(status.contains(" 200 "), "{status}");
    // Wrong keys and a refused role: their errors are logged, the keys are not.
    assert_ne!(
        run("admin", "wrong-admin-key-9d1e", &["cluster", "list"]).code,
        0
    );
    assert_ne!(run("user", USER_KEY, &["cluster", "list"]).code, 0);
    // Tokens, valid and forged, in the header and in a query string.
    let token = brickyard_cli::client::sign("admin", ADMIN_KEY, "GET", "/clusters").expect("token");
    let status = raw_request(
        &server,
        "GET",
        &format!("/clusters?token={QUERY_SECRET}"),
        &format!("Authorization: bearer {token}\r\n"),
    );
    assert!(status.contains(" 200 "), "{status}");
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhZG1pbiJ9.forged-signature-e1e1e1";
    let status = raw_request(
        &server,
        "GET",
        "/clusters",
        &format!("Authorization: bearer {forged}\r\n"),
    );
    assert!(status.contains(" 401 "), "{status}");
    server.stop();
    let log = server.log();
    assert!(
        log.contains("DEBUG") || log.contains("debug"),
        "the session ran at debug level:\n{log}"
    );
    for secret in [
        ADMIN_KEY,
        USER_KEY,
        "wrong-admin-key-9d1e",
        QUERY_SECRET,
        &token,
        &user_token,
        forged,
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} appears in the log:\n{log}"
        );
    }
    // The signature part alone must not leak either.
    let signature = token.rsplit('.').next().expect("signature");
    assert!(
        !log.contains(signature),
        "a token signature appears in the log"
    );
}

#[test]
fn seed_walkthrough_matches_the_heketi_cli_transcript() {
    let dir = Scratch::new("seed");
    let server = auth_server(&dir);

    let load = load_seed(&server);
    assert_eq!(normalise(&load), normalise(&fixture("topology_load.txt")));
    let cluster = ids(&load)[0].clone();

    let created = cli(&server, &["volume", "create", "--size=1"]);
    assert_eq!(normalise(&created), normalise(&fixture("volume_info.txt")));
    let volume = field(&created, "Volume Id:").to_string();
    assert_eq!(field(&created, "Cluster Id:"), cluster);
    // Mount is the first host; the backup servers are the two others.
    let mount_host = field(&created, "Mount:").split(':').next().unwrap_or("");
    let backups = field(&created, "Mount Options: backup-volfile-servers=");
    let mut hosts: Vec<&str> = backups.split(',').chain([mount_host]).collect();
    hosts.sort_unstable();
    assert_eq!(hosts, ["127.0.0.11", "127.0.0.12", "127.0.0.13"]);

    let list = cli(&server, &["cluster", "list"]);
    assert_eq!(list, format!("Clusters:\nId:{cluster} [file][block]\n"));
    assert_eq!(normalise(&list), normalise(&fixture("cluster_list.txt")));

    let info = cli(&server, &["cluster", "info", &cluster]);
    let nodes: Vec<String> = ids(load.split_once('\n').map_or("", |(_, rest)| rest));
    let mut sorted_nodes = nodes.clone();
    sorted_nodes.sort();
    assert_eq!(
        info,
        format!(
            "Cluster id: {cluster}\nNodes:\n{}\nVolumes:\n{volume}\nBlock: true\n\nFile: true\n",
            sorted_nodes.join("\n")
        )
    );

    let vinfo = cli(&server, &["volume", "info", &volume]);
    assert_eq!(vinfo, created);

    let vlist = cli(&server, &["volume", "list"]);
    assert_eq!(
        vlist,
        format!("Id:{volume}    Cluster:{cluster}    Name:vol_{volume}\n")
    );
    assert_eq!(normalise(&vlist), normalise(&fixture("volume_list.txt")));

    let topo = cli(&server, &["topology", "info"]);
    assert_eq!(
        normalise(&mock_devices(&topo)),
        normalise(&mock_devices(&fixture("topology_info.txt")))
    );

    // --json: compact, no trailing newline, Heketi's shape
    let jlist = cli(&server, &["cluster", "list", "--json"]);
    assert_eq!(jlist, format!("{{\"clusters\":[\"{cluster}\"]}}"));
    let jinfo = cli(&server, &["volume", "info", &volume, "--json"]);
    assert!(!jinfo.ends_with('\n'));
    assert_eq!(normalise(&jinfo), normalise(&fixture("volume_info.json")));

    // the transcript's error cases
    let wrong = run_prog(
        &bin(),
        &[
            "-s",
            &server.url,
            "--user",
            "admin",
            "--secret",
            "wrong",
            "cluster",
            "list",
        ],
        &[],
    );
    assert_eq!(
        (wrong.code, wrong.stdout.as_str(), wrong.stderr.as_str()),
        (
            255,
            "",
            "Error: Invalid JWT token: signature is invalid (client and server secrets may not match)\n"
        )
    );
    let anonymous = run_prog(&bin(), &["-s", &server.url, "cluster", "list"], &[]);
    assert_eq!(
        (anonymous.code, anonymous.stderr.as_str()),
        (255, "Error: Invalid JWT token: Token missing iss claim\n")
    );

    // loading the same file again finds everything
    let again = load_seed(&server);
    assert!(
        again.contains("\tFound node 127.0.0.11 on cluster "),
        "{again}"
    );
    assert!(again.contains("\t\tFound device /dev/sdb\n"), "{again}");
    assert!(!again.contains("Creating"), "{again}");
}

#[test]
fn heketi_cli_symlink_behaves_as_heketi_cli() {
    let dir = Scratch::new("symlink");
    let server = auth_server(&dir);
    load_seed(&server);
    let created = cli(&server, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();

    let link = dir.path("heketi-cli");
    std::os::unix::fs::symlink(bin(), &link).expect("symlink heketi-cli");
    let env = [
        ("HEKETI_CLI_SERVER", server.url.as_str()),
        ("HEKETI_CLI_USER", "admin"),
        ("HEKETI_CLI_KEY", SECRET),
    ];
    let r = run_prog(&link, &["volume", "info", &volume], &env);
    assert_eq!((r.code, r.stdout.as_str()), (0, created.as_str()), "{r:?}");
    let r = run_prog(&link, &["-v"], &env);
    assert!(r.stdout.starts_with("heketi-cli v"), "{r:?}");
    let r = run_prog(&link, &["volume", "create", "--size=1", "--dry-run"], &env);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (255, "Error: unknown flag: --dry-run\n")
    );
    let r = run_prog(&link, &["volume", "list"], &env);
    assert_eq!(
        r.stdout.lines().count(),
        1,
        "dry-run must not create: {r:?}"
    );
}

#[test]
fn dry_run_plans_without_creating() {
    let dir = Scratch::new("dryrun");
    let server = auth_server(&dir);
    load_seed(&server);
    let before = cli(&server, &["topology", "info"]);

    let plan = cli(&server, &["volume", "create", "--size=1", "--dry-run"]);
    assert!(!plan.is_empty());
    for host in ["127.0.0.11", "127.0.0.12", "127.0.0.13"] {
        assert!(plan.contains(host), "the plan names {host}:\n{plan}");
    }
    assert_eq!(cli(&server, &["volume", "list"]), "");
    assert_eq!(cli(&server, &["topology", "info"]), before);

    // a plan that cannot be placed is an error, and still creates nothing
    let r = run_prog(
        &bin(),
        &[
            "-s",
            &server.url,
            "--user",
            "admin",
            "--secret",
            SECRET,
            "volume",
            "create",
            "--size=100000",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stderr.starts_with("Error: "), "{r:?}");
    assert_eq!(cli(&server, &["volume", "list"]), "");
}

#[test]
fn use_auth_false_needs_no_user_or_secret() {
    let dir = Scratch::new("noauth");
    let db = dir.path("brickyard.redb");
    let cfg = dir.path("heketi.json");
    fs::write(&cfg, config(false, &db)).expect("write config");
    let server = Server::start(&cfg, &db, &dir.path("server.log"));
    let env = [("HEKETI_CLI_SERVER", server.url.as_str())];

    let topo = format!("--json={}", topology_file().display());
    let r = run_prog(&bin(), &["topology", "load", &topo], &env);
    assert_eq!(r.code, 0, "{r:?}\n{}", server.log());
    assert_eq!(
        normalise(&r.stdout),
        normalise(&fixture("topology_load.txt"))
    );
    let r = run_prog(&bin(), &["volume", "create", "--size=2"], &env);
    assert_eq!((r.code, field(&r.stdout, "Size:")), (0, "2"), "{r:?}");
    let r = run_prog(&bin(), &["cluster", "list"], &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        normalise(&r.stdout),
        normalise(&fixture("cluster_list.txt"))
    );
}

#[test]
fn restart_on_the_same_database_keeps_the_state() {
    let dir = Scratch::new("restart");
    let db = dir.path("brickyard.redb");
    let cfg = dir.path("heketi.json");
    fs::write(&cfg, config(true, &db)).expect("write config");

    let mut first = Server::start(&cfg, &db, &dir.path("server1.log"));
    load_seed(&first);
    let created = cli(&first, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();
    let topo = cli(&first, &["topology", "info"]);
    let clusters = cli(&first, &["cluster", "list"]);
    first.stop();

    let second = Server::start(&cfg, &db, &dir.path("server2.log"));
    assert_ne!(second.url, "");
    assert_eq!(cli(&second, &["cluster", "list"]), clusters);
    assert_eq!(cli(&second, &["volume", "info", &volume]), created);
    assert_eq!(cli(&second, &["topology", "info"]), topo);

    let again = load_seed(&second);
    assert!(!again.contains("Creating"), "{again}");
}

#[test]
fn volumes_can_be_created_after_a_restart() {
    let dir = Scratch::new("restart-create");
    let db = dir.path("brickyard.redb");
    let cfg = dir.path("heketi.json");
    fs::write(&cfg, config(true, &db)).expect("write config");

    let mut first = Server::start(&cfg, &db, &dir.path("server1.log"));
    load_seed(&first);
    let created = cli(&first, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();
    first.stop();

    // The mock storage nodes must agree with the database after a restart (their
    // VGs and bricks exist), or a new brick cannot be carved.
    let second = Server::start(&cfg, &db, &dir.path("server2.log"));
    let other = cli(&second, &["volume", "create", "--size=1"]);
    let other_id = field(&other, "Volume Id:").to_string();
    let list = cli(&second, &["volume", "list"]);
    assert!(list.contains(&volume) && list.contains(&other_id), "{list}");
    let r = run_prog(
        &bin(),
        &[
            "-s",
            &second.url,
            "--user",
            "admin",
            "--secret",
            SECRET,
            "volume",
            "delete",
            &volume,
        ],
        &[],
    );
    assert_eq!(
        (r.code, r.stdout.clone()),
        (0, format!("Volume {volume} deleted\n")),
        "{r:?}"
    );
}

#[test]
fn normalise_hides_ids_hosts_and_zones_only() {
    let text = "Id:3f6d561b00c9caf5c16e3c906435931f Zone: 2 127.0.0.12:vol_ba1b865c1a01b2fc576ba40f919388f1 abc 3f6d561b00c9caf5c16e3c906435931fx";
    assert_eq!(
        normalise(text),
        "Id:<ID> Zone: <ZONE> <HOST>:vol_<ID> abc 3f6d561b00c9caf5c16e3c906435931fx"
    );
    assert_eq!(
        listening_addr("x\nListening on 127.0.0.1:4242\n").as_deref(),
        Some("127.0.0.1:4242")
    );
    assert_eq!(
        listening_addr("Listening on port 8080").as_deref(),
        Some("127.0.0.1:8080")
    );
    assert_eq!(listening_addr("Starting"), None);
}

#[test]
fn lua_hooks_from_the_config_veto_volumes_and_show_in_metrics() {
    let dir = Scratch::new("hooks");
    let db = dir.path("brickyard.redb");
    let script = dir.path("policy.lua");
    fs::write(
        &script,
        r#"brickyard.on("volume.pre_create", function(req)
             if req.name == "forbidden" then return false, "that name is reserved" end
           end)"#,
    )
    .expect("write script");
    let cfg = dir.path("heketi.json");
    fs::write(
        &cfg,
        format!(
            r#"{{"use_auth": false, "glusterfs": {{"executor": "mock", "db": "{}",
                 "hooks": {{"scripts": ["{}"]}}}}}}"#,
            db.display(),
            script.display()
        ),
    )
    .expect("write config");
    let server = Server::start(&cfg, &db, &dir.path("server.log"));
    let env = [("HEKETI_CLI_SERVER", server.url.as_str())];
    let topo = format!("--json={}", topology_file().display());
    assert_eq!(run_prog(&bin(), &["topology", "load", &topo], &env).code, 0);
    let r = run_prog(
        &bin(),
        &["volume", "create", "--size=1", "--name=forbidden"],
        &env,
    );
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stderr.contains("that name is reserved"), "{r:?}");
    let r = run_prog(
        &bin(),
        &["volume", "create", "--size=1", "--name=allowed"],
        &env,
    );
    assert_eq!(r.code, 0, "{r:?}\n{}", server.log());
    let metrics = ureq::get(&format!("{}/metrics", server.url))
        .call()
        .expect("metrics")
        .into_body()
        .read_to_string()
        .expect("metrics body");
    assert!(
        metrics.contains("brickyard_hook_calls_total{result=\"rejected\"} 1"),
        "{metrics}"
    );
}

#[test]
fn volume_clone_prints_the_clone_as_volume_info_does() {
    let dir = Scratch::new("clone");
    let server = auth_server(&dir);
    load_seed(&server);
    let created = cli(&server, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();

    let cloned = cli(&server, &["volume", "clone", &volume, "--name=c1"]);
    assert_eq!(field(&cloned, "Name:"), "c1");
    assert_eq!(field(&cloned, "Size:"), "1");
    let clone = field(&cloned, "Volume Id:").to_string();
    assert_ne!(clone, volume);
    assert_eq!(cli(&server, &["volume", "info", &clone]), cloned);
    // The same text as a created volume's, but for its ids, name and mount point.
    let rest = |t: &str| -> Vec<String> {
        normalise(t)
            .lines()
            .filter(|l| !l.starts_with("Name:") && !l.starts_with("Mount:"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(rest(&cloned), rest(&created));
    assert!(field(&cloned, "Mount:").ends_with(":c1"), "{cloned}");
    let list = cli(&server, &["volume", "list"]);
    assert!(list.contains(&clone) && list.contains(&volume), "{list}");

    let default = cli(&server, &["volume", "clone", &volume]);
    let id = field(&default, "Volume Id:").to_string();
    assert_eq!(field(&default, "Name:"), format!("vol_{id}"));

    // Deleting the source leaves the clone.
    cli(&server, &["volume", "delete", &volume]);
    assert_eq!(cli(&server, &["volume", "info", &clone]), cloned);

    let mut all = vec!["-s", &server.url, "--user", "admin", "--secret", SECRET];
    all.extend_from_slice(&["volume", "clone", "0123456789abcdef0123456789abcdef"]);
    let r = run_prog(&bin(), &all, &[]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (255, "Error: Id not found\n"),
        "{r:?}"
    );
}

#[test]
fn start_up_banner_says_what_is_simulated_and_what_is_bounded() {
    let dir = Scratch::new("banner");
    let server = auth_server(&dir);
    let log = server.log();
    assert!(
        log.contains("Executor: mock (simulated storage nodes:")
            && log.contains("no real machine or disk is touched"),
        "{log}"
    );
    assert!(
        log.contains("Volumes: file volumes only (block volumes are not supported)"),
        "{log}"
    );
    assert!(log.contains("Connections: at most "), "{log}");
    assert!(
        log.contains("request heads within 30 s; idle keep-alive closed after 120 s"),
        "{log}"
    );
}

/// `brickyard … args` expected to fail: its stderr.
fn cli_err(server: &Server, args: &[&str]) -> String {
    let mut all = vec!["-s", &server.url, "--user", "admin", "--secret", SECRET];
    all.extend_from_slice(args);
    let r = run_prog(&bin(), &all, &[]);
    assert_ne!(r.code, 0, "brickyard {args:?} succeeded: {r:?}");
    r.stderr
}

/// Adds node `host` (zone) with `/dev/sdb` to `cluster`; its id.
fn add_node(server: &Server, cluster: &str, host: &str, zone: &str) -> String {
    let out = cli(
        server,
        &[
            "node",
            "add",
            &format!("--zone={zone}"),
            &format!("--cluster={cluster}"),
            &format!("--management-host-name={host}"),
            &format!("--storage-host-name={host}"),
        ],
    );
    let node = field(&out, "Node Id:").to_string();
    assert_eq!(
        cli(
            server,
            &[
                "device",
                "add",
                "--name=/dev/sdb",
                &format!("--node={node}")
            ]
        ),
        "Device added successfully\n"
    );
    node
}

fn json_cli(server: &Server, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = cli(server, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn day2_commands_print_what_heketi_cli_prints() {
    let dir = Scratch::new("day2");
    let server = auth_server(&dir);
    let load = load_seed(&server);
    let cluster = ids(&load)[0].clone();
    add_node(&server, &cluster, "127.0.0.14", "1");
    let created = cli(&server, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();
    let info = json_cli(&server, &["volume", "info", &volume]);
    let brick = info["bricks"][0]["id"]
        .as_str()
        .expect("brick id")
        .to_string();
    let device_of = |b: &str, info: &serde_json::Value| -> String {
        info["bricks"]
            .as_array()
            .and_then(|bs| bs.iter().find(|x| x["id"] == b))
            .and_then(|x| x["device"].as_str())
            .expect("device")
            .to_string()
    };
    let first_device = device_of(&brick, &info);

    // brick evict
    assert_eq!(
        cli(&server, &["brick", "evict", &brick]),
        format!("Brick {brick} evicted\n")
    );
    let info = json_cli(&server, &["volume", "info", &volume]);
    let bricks: Vec<&str> = info["bricks"]
        .as_array()
        .expect("bricks")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(bricks.len(), 3);
    assert!(!bricks.contains(&brick.as_str()));

    // device disable / remove / enable / delete / resync
    let moved = bricks[0].to_string();
    let dev = device_of(&moved, &info);
    assert_eq!(
        cli_err(&server, &["device", "remove", &dev]),
        format!(
            "Error: Device must be offline before remove operation is performed, device:{dev}\n"
        )
    );
    assert_eq!(
        cli(&server, &["device", "disable", &dev]),
        format!("Device {dev} is now offline\n")
    );
    // The evicted brick's device is free: it takes the brick back.
    assert_eq!(
        cli(&server, &["device", "remove", &dev]),
        format!("Device {dev} is now removed\n")
    );
    assert_eq!(
        cli(&server, &["device", "delete", &dev]),
        format!("Device {dev} deleted\n")
    );
    assert_eq!(
        cli(&server, &["device", "resync", &first_device]),
        format!("Device {first_device} updated\n")
    );
    assert_eq!(
        cli(&server, &["device", "enable", &first_device]),
        format!("Device {first_device} is now online\n")
    );

    // node disable / remove / delete
    let info = json_cli(&server, &["volume", "info", &volume]);
    let node = info["bricks"][0]["node"]
        .as_str()
        .expect("node")
        .to_string();
    add_node(&server, &cluster, "127.0.0.15", "2");
    assert_eq!(
        cli(&server, &["node", "disable", &node]),
        format!("Node {node} is now offline\n")
    );
    assert_eq!(
        cli(&server, &["node", "remove", &node]),
        format!("Node {node} is now removed\n")
    );
    let n = json_cli(&server, &["node", "info", &node]);
    assert_eq!(n["state"], "failed");
    for d in n["devices"].as_array().expect("devices") {
        let d = d["id"].as_str().expect("device id");
        assert_eq!(
            cli(&server, &["device", "delete", d]),
            format!("Device {d} deleted\n")
        );
    }
    assert_eq!(
        cli(&server, &["node", "delete", &node]),
        format!("Node {node} deleted\n")
    );
    let info = json_cli(&server, &["volume", "info", &volume]);
    assert_eq!(info["bricks"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        cli(&server, &["server", "operations", "info"]),
        "Operation Counts:\n  Total: 0\n  In-Flight: 0\n  New: 0\n  Failed: 0\n  Stale: 0\n"
    );
}

#[test]
fn device_and_node_replace_are_brickyard_commands() {
    let dir = Scratch::new("replace");
    let server = auth_server(&dir);
    let load = load_seed(&server);
    let created = cli(&server, &["volume", "create", "--size=1"]);
    let volume = field(&created, "Volume Id:").to_string();
    let info = json_cli(&server, &["volume", "info", &volume]);
    let dev = info["bricks"][0]["device"]
        .as_str()
        .expect("device")
        .to_string();
    let node = info["bricks"][1]["node"]
        .as_str()
        .expect("node")
        .to_string();

    let out = cli(&server, &["device", "replace", &dev, "--with=/dev/sdc"]);
    let new_dev = ids(&out)[1].clone();
    assert_eq!(
        out,
        format!("Device {dev} replaced by {new_dev} (/dev/sdc)\n")
    );
    let d = json_cli(&server, &["device", "info", &new_dev]);
    assert_eq!(d["bricks"].as_array().map(Vec::len), Some(1));

    let out = cli(
        &server,
        &[
            "node",
            "replace",
            &node,
            "--with=127.0.0.19",
            "--device=/dev/sdb",
        ],
    );
    let new_node = ids(&out)[1].clone();
    assert_eq!(out, format!("Node {node} replaced by {new_node}\n"));
    let n = json_cli(&server, &["node", "info", &new_node]);
    assert_eq!(n["hostnames"]["manage"][0], "127.0.0.19");
    assert_eq!(n["devices"][0]["bricks"].as_array().map(Vec::len), Some(1));
    let info = json_cli(&server, &["volume", "info", &volume]);
    assert_eq!(info["bricks"].as_array().map(Vec::len), Some(3));
    assert!(!load.is_empty());

    // Under the heketi-cli name the extras do not exist.
    let link = dir.path("heketi-cli");
    std::os::unix::fs::symlink(bin(), &link).expect("symlink heketi-cli");
    let env = [
        ("HEKETI_CLI_SERVER", server.url.as_str()),
        ("HEKETI_CLI_USER", "admin"),
        ("HEKETI_CLI_KEY", SECRET),
    ];
    let r = run_prog(
        &link,
        &["device", "replace", &new_dev, "--with=/dev/sdd"],
        &env,
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            255,
            "Error: unknown command \"replace\" for \"heketi-cli device\"\n"
        )
    );
    let r = run_prog(&link, &["node", "--help"], &env);
    assert!(!r.stdout.contains("replace"), "{r:?}");
}
