//! The Heketi-compatible REST server a volume lives on, and the blocking
//! `brickyard-cli` client run off the async runtime (`spawn_blocking`).

use std::time::Duration;

use brickyard_cli::client::{Client, ClientConfig, ClientError, TlsOptions};
use tonic::Status;

use crate::status;

/// How to reach one back end.
#[derive(Clone, PartialEq, Eq)]
pub struct Backend {
    /// REST URL, e.g. `http://heketi.storage:8080` (no trailing slash).
    pub url: String,
    /// JWT issuer (`admin` or `user`); empty when authentication is disabled.
    pub user: String,
    /// JWT key; empty when authentication is disabled.
    pub key: String,
    /// PEM text of CA certificates trusted for this back end's `https://`
    /// certificate in addition to `--tls-ca`'s (`restcacert`); empty: none.
    pub ca_pem: String,
}

/// The StorageClass parameter and the secret entry that hold the PEM text of the CA
/// certificate(s) of an `https://` back end.
pub const CA_KEY: &str = "restcacert";

impl std::fmt::Debug for Backend {
    // The key never appears in logs or messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("url", &self.url)
            .field("user", &self.user)
            .field(
                "key",
                &if self.key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("ca_pem", &format!("{} bytes", self.ca_pem.len()))
            .finish()
    }
}

impl Backend {
    /// A back end at `url` (a trailing `/` is dropped).
    pub fn new(url: &str, user: &str, key: &str) -> Backend {
        Backend {
            url: url.trim_end_matches('/').to_string(),
            user: user.to_string(),
            key: key.to_string(),
            ca_pem: String::new(),
        }
    }

    /// This back end with `ca_pem` (checked by [`parse_ca`]) trusted as well.
    pub fn with_ca(mut self, ca_pem: Option<String>) -> Backend {
        self.ca_pem = ca_pem.unwrap_or_default();
        self
    }

    /// The cache key: one back end per URL and user.
    pub fn id(&self) -> String {
        format!("{}|{}", self.user, self.url)
    }

    /// A client for this back end polling pending operations every `poll`; an
    /// `https://` back end's certificate is checked as `tls` says.
    pub fn client(&self, poll: Duration, tls: &TlsOptions) -> Client {
        let mut tls = tls.clone();
        if !self.ca_pem.is_empty() {
            // Checked when the parameter or secret was read.
            tls.trusted
                .extend(parse_ca(&self.ca_pem, CA_KEY).unwrap_or_default());
        }
        let mut config =
            ClientConfig::new(self.url.clone(), self.user.clone(), self.key.clone()).with_tls(tls);
        config.poll_delay = poll;
        Client::new(config)
    }
}

/// The CA certificates of the PEM text `pem`; `source` names where it came from in
/// the error (PEM that does not parse, or holds no certificate).
pub fn parse_ca(pem: &str, source: &str) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(format!("{source} is not valid PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err(format!(
            "{source} holds no certificate: give the PEM text of the CA certificate that \
             signed the REST server's, with its -----BEGIN CERTIFICATE----- and \
             -----END CERTIFICATE----- lines"
        ));
    }
    Ok(certs)
}

/// Runs a blocking client call on the blocking pool; `what` names it in errors.
pub async fn call<T, F>(client: &Client, what: &str, f: F) -> Result<T, Status>
where
    T: Send + 'static,
    F: FnOnce(&Client) -> Result<T, ClientError> + Send + 'static,
{
    let client = client.clone();
    match tokio::task::spawn_blocking(move || f(&client)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(status::from_client(what, &e)),
        Err(e) => Err(Status::internal(format!("{what}: {e}"))),
    }
}

/// Like [`call`], but keeps the client error (for callers that treat some as success).
pub async fn call_raw<T, F>(
    client: &Client,
    what: &str,
    f: F,
) -> Result<Result<T, ClientError>, Status>
where
    T: Send + 'static,
    F: FnOnce(&Client) -> Result<T, ClientError> + Send + 'static,
{
    let client = client.clone();
    tokio::task::spawn_blocking(move || f(&client))
        .await
        .map_err(|e| Status::internal(format!("{what}: {e}")))
}
