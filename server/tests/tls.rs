//! `enable_tls`: `brickyard serve` over HTTPS with a certificate made in the test
//! (a CA and a server certificate for 127.0.0.1 and localhost, by rcgen), driven
//! with a raw rustls client: trusted, untrusted, plain HTTP to the HTTPS port, a
//! client that never says hello; and the start-up errors for bad files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brickyard_server::ServeOptions;
use brickyard_server::serve::{RunningServer, ServeError, start};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "brickyard-tls-{tag}-{}-{}",
            std::process::id(),
            brickyard::id::new_id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA and a server certificate it signed, as PEM files in `dir`.
struct Pki {
    ca: CertificateDer<'static>,
    cert_file: PathBuf,
    key_file: PathBuf,
}

fn make_ca(name: &str) -> (CertificateParams, KeyPair, CertificateDer<'static>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().expect("ca key");
    let cert = params.self_signed(&key).expect("ca cert");
    (params, key, cert.der().clone())
}

fn make_pki(dir: &Path) -> Pki {
    let (ca_params, ca_key, ca) = make_ca("Brickyard test CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "brickyard test server");
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    let cert_file = dir.join("server.pem");
    let key_file = dir.join("server-key.pem");
    std::fs::write(&cert_file, cert.pem()).expect("write cert");
    std::fs::write(&key_file, key.serialize_pem()).expect("write key");
    Pki {
        ca,
        cert_file,
        key_file,
    }
}

fn options(dir: &Path, config: &str) -> ServeOptions {
    let path = dir.join("heketi.json");
    std::fs::write(&path, config).expect("config");
    ServeOptions {
        config: Some(path),
        disable_auth: false,
        listen: Some("127.0.0.1:0".into()),
        db: Some(dir.join("brickyard.db")),
        install_logging: false,
        handle_signals: false,
        drain_timeout: Duration::from_secs(5),
        hooks_loader: None,
    }
}

fn tls_config(cert: &Path, key: &Path, header_read_timeout: f64) -> String {
    serde_json::json!({
        "use_auth": false,
        "enable_tls": true,
        "cert_file": cert,
        "key_file": key,
        "glusterfs": {"executor": "mock", "disable_background_cleaner": true},
        "brickyard": {"http": {"header_read_timeout": header_read_timeout, "idle_timeout": 30}},
    })
    .to_string()
}

/// A TLS server with a fresh PKI.
async fn tls_server(tag: &str, header_read_timeout: f64) -> (RunningServer, Pki, TempDir) {
    let dir = TempDir::new(tag);
    let pki = make_pki(&dir.0);
    let config = tls_config(&pki.cert_file, &pki.key_file, header_read_timeout);
    let server = start(options(&dir.0, &config))
        .await
        .expect("server starts");
    (server, pki, dir)
}

fn connector(trusted: &[CertificateDer<'static>]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for ca in trusted {
        roots.add(ca.clone()).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_connect(
    server: &RunningServer,
    trusted: &[CertificateDer<'static>],
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.local_addr()).await?;
    let name = ServerName::try_from("127.0.0.1").expect("name");
    connector(trusted).connect(name, tcp).await
}

/// `GET /hello` on `stream`; the whole answer (the server closes after it).
async fn hello<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> String {
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: brickyard\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw)).await;
    String::from_utf8_lossy(&raw).into_owned()
}

/// Log lines written while the returned guard lives (this thread only: the tests run
/// on a current-thread runtime, so the server's tasks log here too).
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || Sink(sink.clone()))
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

#[tokio::test]
async fn a_client_that_trusts_the_ca_is_served_over_https() {
    let (server, pki, _dir) = tls_server("trusted", 10.0).await;
    assert_eq!(server.url(), format!("https://{}", server.local_addr()));
    let mut tls = tls_connect(&server, std::slice::from_ref(&pki.ca))
        .await
        .expect("handshake with the right CA");
    let answer = hello(&mut tls).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("Hello from Heketi"), "{answer}");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_client_without_the_ca_is_refused_and_the_server_goes_on() {
    let (logs_buf, _guard) = capture_logs();
    let (server, pki, _dir) = tls_server("untrusted", 10.0).await;

    // No CA at all, and another CA: both refuse the server's certificate.
    let (_, _, other_ca) = make_ca("Some other CA");
    for trusted in [vec![], vec![other_ca]] {
        let err = tls_connect(&server, &trusted)
            .await
            .expect_err("a client without the CA must refuse the certificate");
        let text = err.to_string();
        assert!(
            text.contains("invalid peer certificate") && text.contains("UnknownIssuer"),
            "{text}"
        );
    }
    // The failed handshakes were logged, and the server still serves.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logs(&logs_buf).contains("TLS handshake failed") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        logs(&logs_buf).contains("TLS handshake failed"),
        "{}",
        logs(&logs_buf)
    );
    let mut tls = tls_connect(&server, std::slice::from_ref(&pki.ca))
        .await
        .expect("handshake");
    assert!(hello(&mut tls).await.starts_with("HTTP/1.1 200"));
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn plain_http_to_the_https_port_gets_no_answer_and_is_closed() {
    let (logs_buf, _guard) = capture_logs();
    let (server, pki, _dir) = tls_server("plain", 10.0).await;
    let mut plain = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let t0 = Instant::now();
    let answer = hello(&mut plain).await;
    assert!(
        !answer.contains("HTTP/1.1"),
        "plain HTTP was answered: {answer}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "the plain connection was held for {:?}",
        t0.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logs(&logs_buf).contains("plain HTTP") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        logs(&logs_buf).contains("not a TLS client"),
        "{}",
        logs(&logs_buf)
    );
    let mut tls = tls_connect(&server, std::slice::from_ref(&pki.ca))
        .await
        .expect("handshake");
    assert!(hello(&mut tls).await.starts_with("HTTP/1.1 200"));
    server.shutdown().await.expect("shutdown");
}

/// How long until the server closes `stream`, or `None` when still open after `limit`.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 256];
    let end = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    end.ok().map(|()| t0.elapsed())
}

#[tokio::test]
async fn a_client_that_never_says_hello_is_closed_after_the_header_timeout() {
    let (server, pki, _dir) = tls_server("silent", 0.5).await;
    let mut silent = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let closed = closed_after(&mut silent, Duration::from_secs(10))
        .await
        .expect("a connection without a ClientHello was not closed within 10 s");
    assert!(closed >= Duration::from_millis(400), "{closed:?}");

    // The handshake counts against the header timeout: a client that says hello late
    // and then sends no request head is dropped 0.5 s after its connect, not 0.5 s
    // after its handshake.
    let t0 = Instant::now();
    let tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let name = ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = connector(std::slice::from_ref(&pki.ca))
        .connect(name, tcp)
        .await
        .expect("handshake");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    let held = t0.elapsed();
    assert!(
        held >= Duration::from_millis(400) && held < Duration::from_millis(750),
        "{held:?}"
    );
    server.shutdown().await.expect("shutdown");
}

async fn start_error(dir: &Path, cert: &Path, key: &Path) -> String {
    let config = tls_config(cert, key, 10.0);
    match start(options(dir, &config)).await {
        Ok(server) => {
            server.shutdown().await.expect("shutdown");
            panic!("the server started with cert {cert:?} and key {key:?}");
        }
        Err(e @ ServeError::Tls(_)) => e.to_string(),
        Err(e) => panic!("not a TLS error: {e}"),
    }
}

#[tokio::test]
async fn bad_certificate_or_key_files_stop_the_start_with_the_file_and_the_problem() {
    let dir = TempDir::new("badfiles");
    let pki = make_pki(&dir.0);
    let missing = dir.0.join("missing.pem");
    let garbage = dir.0.join("garbage.pem");
    std::fs::write(&garbage, "this is no PEM\n").expect("write");
    let broken = dir.0.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let other_key = dir.0.join("other-key.pem");
    std::fs::write(
        &other_key,
        KeyPair::generate().expect("key").serialize_pem(),
    )
    .expect("write");

    let e = start_error(&dir.0, &missing, &pki.key_file).await;
    assert!(
        e.starts_with(&format!(
            "cert_file {}: cannot read it: ",
            missing.display()
        )),
        "{e}"
    );
    let e = start_error(&dir.0, &pki.cert_file, &missing).await;
    assert!(
        e.starts_with(&format!("key_file {}: cannot read it: ", missing.display())),
        "{e}"
    );
    let e = start_error(&dir.0, &garbage, &pki.key_file).await;
    assert_eq!(
        e,
        format!(
            "cert_file {}: no certificate in it (expected a PEM block -----BEGIN CERTIFICATE-----)",
            garbage.display()
        )
    );
    let e = start_error(&dir.0, &broken, &pki.key_file).await;
    assert!(
        e.starts_with(&format!("cert_file {}: not valid PEM: ", broken.display())),
        "{e}"
    );
    // The certificate file holds no key.
    let e = start_error(&dir.0, &pki.cert_file, &pki.cert_file).await;
    assert!(
        e.starts_with(&format!(
            "key_file {}: no private key in it",
            pki.cert_file.display()
        )),
        "{e}"
    );
    let e = start_error(&dir.0, &pki.cert_file, &other_key).await;
    assert!(
        e.starts_with(&format!(
            "key_file {}: cannot be used with the certificate of cert_file {}: ",
            other_key.display(),
            pki.cert_file.display()
        )),
        "{e}"
    );
}
