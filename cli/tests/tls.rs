//! End to end over HTTPS: `brickyard serve` with `enable_tls` and a certificate made in
//! the test (a CA and a server certificate for 127.0.0.1, by rcgen), and the client
//! with heketi-cli's `-C/--tls-cert FILE` and `-I/--insecure-tls`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

#[path = "support/run.rs"]
#[allow(dead_code)] // the fixtures are for the other test binaries
mod run;
use run::{bin, run_prog};

const SECRET: &str = "My Secret";

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "brickyard-cli-tls-{}-{tag}-{}",
            std::process::id(),
            brickyard::id::new_id()
        ));
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

/// Writes `ca.pem` (a fresh CA), `server.pem` and `server-key.pem` (a certificate for
/// 127.0.0.1 and localhost that the CA signed) into `dir`.
fn make_pki(dir: &Scratch) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Brickyard test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().expect("ca key");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    fs::write(dir.path("ca.pem"), ca.pem()).expect("write ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    fs::write(dir.path("server.pem"), cert.pem()).expect("write cert");
    fs::write(dir.path("server-key.pem"), key.serialize_pem()).expect("write key");
}

/// A running `brickyard serve`; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Scratch, tls: bool) -> Server {
        let config = dir.path("heketi.json");
        let mut json = serde_json::json!({
            "use_auth": true,
            "jwt": {"admin": {"key": SECRET}, "user": {"key": SECRET}},
            "glusterfs": {"executor": "mock", "disable_background_cleaner": true},
        });
        if tls {
            json["enable_tls"] = true.into();
            json["cert_file"] = dir.path("server.pem").display().to_string().into();
            json["key_file"] = dir.path("server-key.pem").display().to_string().into();
        }
        fs::write(&config, json.to_string()).expect("config");
        let log = dir.path("server.log");
        let out = fs::File::create(&log).expect("server log");
        let err = out.try_clone().expect("server log");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--config"])
            .arg(&config)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(dir.path("server.db"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, _) in std::env::vars() {
            if k.starts_with("HEKETI_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd.spawn().expect("spawn brickyard serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = fs::read_to_string(&log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.starts_with("Listening on ")) {
                let addr = line["Listening on ".len()..].trim();
                let url = if addr.contains("://") {
                    addr.to_string()
                } else {
                    format!("http://{addr}")
                };
                return Server { child, url };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("brickyard serve exited ({status}) before listening:\n{text}");
            }
            assert!(Instant::now() < deadline, "no 'Listening on' line:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(program: &Path, url: &str, extra: &[&str]) -> run::Run {
    let mut args = vec!["-s", url, "--user", "admin", "--secret", SECRET];
    args.extend_from_slice(extra);
    args.push("cluster");
    args.push("list");
    run_prog(program, &args, &[])
}

#[test]
fn a_client_with_the_ca_connects_without_it_is_refused_and_insecure_tls_connects() {
    let dir = Scratch::new("https");
    make_pki(&dir);
    let server = Server::start(&dir, true);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let ca = dir.path("ca.pem").display().to_string();

    // Long and short flags, as brickyard and as heketi-cli (a link).
    let heketi_cli = dir.path("heketi-cli");
    std::os::unix::fs::symlink(bin(), &heketi_cli).expect("heketi-cli link");
    for program in [bin(), heketi_cli] {
        for flags in [["--tls-cert", ca.as_str()], ["-C", ca.as_str()]] {
            let r = client(&program, &server.url, &flags);
            assert_eq!((r.code, r.stdout.as_str()), (0, "Clusters:\n"), "{r:?}");
        }
        for flag in ["--insecure-tls", "-I"] {
            let r = client(&program, &server.url, &[flag]);
            assert_eq!((r.code, r.stdout.as_str()), (0, "Clusters:\n"), "{r:?}");
        }
        let r = client(&program, &server.url, &[]);
        assert_eq!(r.code, 255, "{r:?}");
        assert_eq!(
            r.stderr,
            format!(
                "Error: the TLS certificate of the server at {} is not trusted (UnknownIssuer): pass the CA certificate that signed it with --tls-cert FILE, or skip the check with --insecure-tls\n",
                server.url
            )
        );
    }

    // A --tls-cert that is not the server's CA does not help; a second one that is does.
    let other = dir.path("server.pem").display().to_string();
    let r = client(&bin(), &server.url, &["-C", &other]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stderr.contains("is not trusted"), "{r:?}");
    let r = client(&bin(), &server.url, &["-C", &other, "-C", &ca]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "Clusters:\n"), "{r:?}");

    // Plain HTTP to the HTTPS port gets no HTTP answer, and the client says so.
    let plain = server.url.replacen("https://", "http://", 1);
    let r = client(&bin(), &plain, &[]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr.starts_with(&format!(
            "Error: the server at {plain} did not answer with HTTP ("
        )) && r
            .stderr
            .ends_with("): does it serve HTTPS? then use an https:// URL\n"),
        "{r:?}"
    );
}

#[test]
fn tls_cert_files_that_cannot_be_used_are_named_with_the_problem() {
    let dir = Scratch::new("badca");
    let missing = dir.path("missing.pem").display().to_string();
    let r = client(&bin(), "https://127.0.0.1:9", &["-C", &missing]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(
        r.stderr
            .starts_with(&format!("Error: --tls-cert {missing}: cannot read it: ")),
        "{r:?}"
    );
    let garbage = dir.path("garbage.pem");
    fs::write(&garbage, "no PEM here\n").expect("write");
    let garbage = garbage.display().to_string();
    let r = client(&bin(), "https://127.0.0.1:9", &["--tls-cert", &garbage]);
    assert_eq!(r.code, 255, "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "Error: --tls-cert {garbage}: no certificate in it (expected a PEM block -----BEGIN CERTIFICATE-----)\n"
        )
    );
}

#[test]
fn an_https_url_to_a_plain_http_server_says_so() {
    let dir = Scratch::new("nottls");
    let server = Server::start(&dir, false);
    let https = server.url.replacen("http://", "https://", 1);
    let r = client(&bin(), &https, &[]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(
        r.stderr.starts_with(&format!(
            "Error: the server at {https} did not answer with TLS ("
        )) && r
            .stderr
            .ends_with("): does it serve plain HTTP? then use an http:// URL\n"),
        "{r:?}"
    );
}

#[test]
fn serve_refuses_the_client_tls_flags() {
    for flag in ["--insecure-tls", "--tls-cert=ca.pem"] {
        let r = run_prog(&bin(), &["serve", flag], &[]);
        assert_eq!(r.code, 255, "{r:?}");
        assert!(r.stderr.contains("a client flag"), "{r:?}");
    }
}
