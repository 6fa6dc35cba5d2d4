use thiserror::Error;

/// What can go wrong talking to a Heketi-compatible server.
///
/// `Display` is the text heketi-cli prints after `Error: `.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server answered with an unexpected status; the message is the
    /// server's trimmed body text (or Go's synthesised text for an empty body).
    #[error("{message}")]
    Server {
        /// HTTP status of the final answer.
        status: u16,
        /// Error text as heketi-cli prints it.
        message: String,
    },
    /// The server could not be reached at all.
    #[error(
        "cannot reach the server at {url}: {reason} (is the server running? set --server or HEKETI_CLI_SERVER)"
    )]
    Connect {
        /// The server URL the client was configured with.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// The server's TLS certificate is not trusted (unknown CA, wrong name, expired).
    #[error(
        "the TLS certificate of the server at {url} is not trusted ({reason}): pass the CA certificate that signed it with --tls-cert FILE, or skip the check with --insecure-tls"
    )]
    UntrustedCertificate {
        /// The server URL the client was configured with.
        url: String,
        /// Why rustls refused the certificate.
        reason: String,
    },
    /// An `https://` URL whose server does not speak TLS.
    #[error(
        "the server at {url} did not answer with TLS ({reason}): does it serve plain HTTP? then use an http:// URL"
    )]
    NotTls {
        /// The server URL the client was configured with.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// An `http://` URL whose server does not answer HTTP (a TLS server answers with
    /// an alert).
    #[error(
        "the server at {url} did not answer with HTTP ({reason}): does it serve HTTPS? then use an https:// URL"
    )]
    NotHttp {
        /// The server URL the client was configured with.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// A `--tls-cert` file cannot be used.
    #[error("--tls-cert {}: {reason}", .path.display())]
    TlsCert {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other transport failure (timeouts, broken bodies, bad URLs).
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL of the failed request.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// A 202 answer came without a `Location` header, or a 303 without one.
    #[error("server answered {status} without a Location header")]
    MissingLocation {
        /// The status that should have carried the header.
        status: u16,
    },
    /// The server's JSON did not match the expected wire type.
    #[error("unable to parse the server's answer: {0}")]
    Decode(#[from] serde_json::Error),
    /// Signing the JWT failed (only possible with a broken crypto backend).
    #[error("unable to sign the request token: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
}

impl ClientError {
    /// The HTTP status of a server error, if the error came from the server.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }
}
