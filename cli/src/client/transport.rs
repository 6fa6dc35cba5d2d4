use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use ureq::http::{Response, StatusCode};

use super::{ClientError, token};

/// At most this many bytes of an error body are read, as the Go client does.
const MAX_ERROR_BODY: u64 = 4096;

/// How 429 (`Server busy`) answers are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total number of attempts, the first one included.
    pub attempts: u32,
    /// Shortest pause between attempts.
    pub min_delay: Duration,
    /// Longest pause between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Six attempts, 1–3 s apart (the Go client waits 10–30 s; shorter is kinder to a CLI user).
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(3),
        }
    }
}

/// Settings of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Server URL such as `http://localhost:8080`.
    pub server: String,
    /// JWT issuer (`admin` or `user`).
    pub user: String,
    /// JWT HMAC secret.
    pub secret: String,
    /// Pause between polls of a pending operation (Go client: 400 ms).
    pub poll_delay: Duration,
    /// Retries on 429.
    pub retry: RetryPolicy,
    /// How an `https://` server's certificate is checked.
    pub tls: TlsOptions,
}

/// How the client checks the certificate of an `https://` server (heketi-cli's
/// `-I/--insecure-tls` and `-C/--tls-cert`).
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Accept any certificate (`--insecure-tls`).
    pub insecure: bool,
    /// Trust these CA certificates instead of the built-in roots (`--tls-cert`);
    /// empty: the built-in (Mozilla) roots.
    pub trusted: Vec<ureq::tls::Certificate<'static>>,
}

impl TlsOptions {
    /// `insecure`, and the CA certificates of the PEM `files` (each must hold at
    /// least one).
    pub fn load(insecure: bool, files: &[PathBuf]) -> Result<TlsOptions, ClientError> {
        let mut trusted = Vec::new();
        for path in files {
            let fail = |reason: String| ClientError::TlsCert {
                path: path.clone(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
            let before = trusted.len();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => trusted.push(cert),
                    Ok(_) => {}
                    Err(e) => return Err(fail(format!("not valid PEM: {e}"))),
                }
            }
            if trusted.len() == before {
                return Err(fail(
                    "no certificate in it (expected a PEM block -----BEGIN CERTIFICATE-----)"
                        .into(),
                ));
            }
        }
        Ok(TlsOptions { insecure, trusted })
    }

    fn config(&self) -> ureq::tls::TlsConfig {
        let mut builder = ureq::tls::TlsConfig::builder().disable_verification(self.insecure);
        if !self.trusted.is_empty() {
            builder = builder.root_certs(ureq::tls::RootCerts::new_with_certs(&self.trusted));
        }
        builder.build()
    }
}

impl ClientConfig {
    /// A configuration with the Go client's defaults.
    pub fn new(
        server: impl Into<String>,
        user: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ClientConfig {
            server: server.into(),
            user: user.into(),
            secret: secret.into(),
            poll_delay: Duration::from_millis(400),
            retry: RetryPolicy::default(),
            tls: TlsOptions::default(),
        }
    }

    /// The same with `tls`.
    pub fn with_tls(self, tls: TlsOptions) -> Self {
        ClientConfig { tls, ..self }
    }
}

/// A blocking Heketi API client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    config: ClientConfig,
    base: String,
    agent: ureq::Agent,
}

/// A final answer: status and body text.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Client {
    /// Creates a client; no request is sent.
    pub fn new(config: ClientConfig) -> Self {
        let base = config.server.trim_end_matches('/').to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(600)))
            .tls_config(config.tls.config())
            .build()
            .into();
        Client {
            config,
            base,
            agent,
        }
    }

    /// The configured server URL.
    pub fn server(&self) -> &str {
        &self.config.server
    }

    fn url_for(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/{}", self.base, path)
        }
    }

    /// Path of a URL (no query), as the server sees it for the `qsh` claim.
    fn path_of(url: &str) -> String {
        let rest = match url.find("://") {
            Some(i) => &url[i + 3..],
            None => url,
        };
        let path = match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        };
        match path.find(['?', '#']) {
            Some(i) => path[..i].to_string(),
            None => path.to_string(),
        }
    }

    /// Sends one signed request, without retries or polling.
    fn send_once(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Response<ureq::Body>, ClientError> {
        let token = token::sign(
            &self.config.user,
            &self.config.secret,
            method,
            &Self::path_of(url),
        )?;
        let auth = format!("bearer {token}");
        let result = match (method, body) {
            ("GET", None) => self.agent.get(url).header("Authorization", &auth).call(),
            ("DELETE", None) => self.agent.delete(url).header("Authorization", &auth).call(),
            ("GET", Some(b)) => self
                .agent
                .get(url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .force_send_body()
                .send(b),
            ("DELETE", Some(b)) => self
                .agent
                .delete(url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .force_send_body()
                .send(b),
            (_, b) => self
                .agent
                .post(url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(b.unwrap_or(&[])),
        };
        result.map_err(|e| self.transport_error(url, e))
    }

    fn transport_error(&self, url: &str, e: ureq::Error) -> ClientError {
        // ureq hands rustls' errors back as they are, or wrapped in an I/O error.
        let tls = match &e {
            ureq::Error::Rustls(tls) => Some(tls),
            ureq::Error::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
            _ => None,
        };
        if let Some(tls) = tls {
            return match tls {
                rustls::Error::InvalidCertificate(reason) => ClientError::UntrustedCertificate {
                    url: self.config.server.clone(),
                    reason: format!("{reason:?}"),
                },
                rustls::Error::InvalidMessage(_) => ClientError::NotTls {
                    url: self.config.server.clone(),
                    reason: tls.to_string(),
                },
                _ => ClientError::Transport {
                    url: url.to_string(),
                    reason: format!("TLS: {tls}"),
                },
            };
        }
        // A TLS server answers a plain request with a TLS alert, which is no HTTP.
        if matches!(e, ureq::Error::Protocol(_)) && url.starts_with("http://") {
            return ClientError::NotHttp {
                url: self.config.server.clone(),
                reason: e.to_string(),
            };
        }
        let connect = match &e {
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
            ureq::Error::Io(io) => matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::NotConnected
                    | std::io::ErrorKind::AddrNotAvailable
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
            ),
            _ => false,
        };
        if connect {
            ClientError::Connect {
                url: self.config.server.clone(),
                reason: e.to_string(),
            }
        } else {
            ClientError::Transport {
                url: url.to_string(),
                reason: e.to_string(),
            }
        }
    }

    /// Sends a request, retrying on 429 as the Go client's retry wrapper does.
    fn send_with_retry(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Response<ureq::Body>, ClientError> {
        let attempts = self.config.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let resp = self.send_once(method, url, body)?;
            if resp.status() != StatusCode::TOO_MANY_REQUESTS || attempt >= attempts {
                return Ok(resp);
            }
            std::thread::sleep(self.retry_delay(&resp));
            attempt += 1;
        }
    }

    fn retry_delay(&self, resp: &Response<ureq::Body>) -> Duration {
        let RetryPolicy {
            min_delay,
            max_delay,
            ..
        } = self.config.retry;
        let span = max_delay.saturating_sub(min_delay).as_millis() as u64;
        let jitter = if span == 0 {
            0
        } else {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos() as u64)
                .unwrap_or(0);
            nanos % span
        };
        let base = min_delay + Duration::from_millis(jitter);
        // Honour an integer Retry-After, bounded by the policy's maximum.
        let after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match after {
            Some(a) => a.min(max_delay).max(base),
            None => base,
        }
    }

    /// Runs a request to completion: retries on 429; on 202 polls the queue,
    /// following a final 303 with a signed GET. Returns the final answer.
    pub(crate) fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let url = self.url_for(path);
        let resp = self.final_response(method, &url, body)?;
        let status = resp.status().as_u16();
        let body = read_body(resp, &url, self)?;
        Ok(Answer { status, body })
    }

    /// [`Client::exchange`]'s final response, its body unread.
    fn final_response(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Response<ureq::Body>, ClientError> {
        let mut resp = self.send_with_retry(method, url, body)?;
        if resp.status() == StatusCode::ACCEPTED {
            let location = Self::location(&resp)?;
            resp = self.poll(&self.url_for(&location))?;
        }
        let mut hops = 0;
        while resp.status() == StatusCode::SEE_OTHER && hops < 10 {
            let location = Self::location(&resp)?;
            resp = self.send_with_retry("GET", &self.url_for(&location), None)?;
            hops += 1;
        }
        Ok(resp)
    }

    fn poll(&self, url: &str) -> Result<Response<ureq::Body>, ClientError> {
        loop {
            let resp = self.send_with_retry("GET", url, None)?;
            let pending = resp
                .headers()
                .get("X-Pending")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == "true");
            if resp.status() == StatusCode::OK && pending {
                std::thread::sleep(self.config.poll_delay);
                continue;
            }
            return Ok(resp);
        }
    }

    fn location(resp: &Response<ureq::Body>) -> Result<String, ClientError> {
        resp.headers()
            .get("Location")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or(ClientError::MissingLocation {
                status: resp.status().as_u16(),
            })
    }

    /// Runs a request and checks the final status against `expect`; any other
    /// status becomes [`ClientError::Server`] with the body text.
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        expect: &[u16],
    ) -> Result<String, ClientError> {
        let answer = self.exchange(method, path, body)?;
        if expect.contains(&answer.status) {
            Ok(answer.body)
        } else {
            Err(server_error(answer.status, &answer.body))
        }
    }

    /// Like [`Client::call`], then decodes the JSON answer.
    pub(crate) fn call_json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        expect: &[u16],
    ) -> Result<T, ClientError> {
        let text = self.call(method, path, body, expect)?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Like [`Client::call_json`] for a `GET` whose answer is large (the topology:
    /// 400 MB at 100,000 volumes): decoded as it arrives, never held whole.
    pub(crate) fn get_json_streamed<T: DeserializeOwned>(
        &self,
        path: &str,
        expect: &[u16],
    ) -> Result<T, ClientError> {
        let url = self.url_for(path);
        let resp = self.final_response("GET", &url, None)?;
        let status = resp.status().as_u16();
        if !expect.contains(&status) {
            let body = read_body(resp, &url, self)?;
            return Err(server_error(status, &body));
        }
        let mut body = resp.into_body();
        let reader = std::io::BufReader::with_capacity(1 << 20, body.as_reader());
        serde_json::from_reader(reader).map_err(|e| match e.io_error_kind() {
            Some(_) => body_read_error(&url, e, self),
            None => ClientError::from(e),
        })
    }

    /// Serialises a request body.
    pub(crate) fn body<T: Serialize>(value: &T) -> Result<Vec<u8>, ClientError> {
        Ok(serde_json::to_vec(value)?)
    }
}

/// An answer's body that could not be read to its end.
fn body_read_error(url: &str, e: impl std::fmt::Display, client: &Client) -> ClientError {
    ClientError::Transport {
        url: url.to_string(),
        reason: format!("{} (server {})", e, client.server()),
    }
}

fn read_body(
    resp: Response<ureq::Body>,
    url: &str,
    client: &Client,
) -> Result<String, ClientError> {
    let status = resp.status();
    let mut body = resp.into_body();
    let mut bytes = Vec::new();
    let reader = body.as_reader();
    let res = if status.is_success() || status.is_redirection() {
        reader.take(u64::MAX).read_to_end(&mut bytes)
    } else {
        reader.take(MAX_ERROR_BODY).read_to_end(&mut bytes)
    };
    res.map_err(|e| body_read_error(url, e, client))?;
    // Without a copy when the body is UTF-8 (always, from a JSON server): a topology
    // answer is 400 MB at 100,000 volumes.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The error heketi-cli shows for an unexpected answer: the trimmed body, or Go's
/// `server did not provide a message (status N: <StatusText>)` for an empty one.
pub(crate) fn server_error(status: u16, body: &str) -> ClientError {
    let trimmed = body.trim();
    let message = if trimmed.is_empty() {
        let text = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        format!("server did not provide a message (status {status}: {text})")
    } else {
        trimmed.to_string()
    };
    ClientError::Server { status, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_strips_host_and_query() {
        assert_eq!(Client::path_of("http://h:8080/queue/ab?x=1"), "/queue/ab");
        assert_eq!(Client::path_of("https://h"), "/");
        assert_eq!(Client::path_of("http://h/volumes"), "/volumes");
    }

    #[test]
    fn empty_error_body_gets_go_text() {
        assert_eq!(
            server_error(500, " \n").to_string(),
            "server did not provide a message (status 500: Internal Server Error)"
        );
        assert_eq!(
            server_error(404, "Id not found\n").to_string(),
            "Id not found"
        );
    }

    #[test]
    fn relative_locations_resolve_against_server() {
        let c = Client::new(ClientConfig::new("http://h:1/", "admin", "k"));
        assert_eq!(c.url_for("/queue/1"), "http://h:1/queue/1");
        assert_eq!(c.url_for("http://o/x"), "http://o/x");
    }
}
