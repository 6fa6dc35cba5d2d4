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
}

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
        }
    }

    /// The cache key: one back end per URL and user.
    pub fn id(&self) -> String {
        format!("{}|{}", self.user, self.url)
    }

    /// A client for this back end polling pending operations every `poll`; an
    /// `https://` back end's certificate is checked as `tls` says.
    pub fn client(&self, poll: Duration, tls: &TlsOptions) -> Client {
        let mut config = ClientConfig::new(self.url.clone(), self.user.clone(), self.key.clone())
            .with_tls(tls.clone());
        config.poll_delay = poll;
        Client::new(config)
    }
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
