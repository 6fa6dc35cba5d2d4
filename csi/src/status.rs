//! gRPC status codes for the driver's failures.
//!
//! Every error a CO sees carries a code it can act on: `NOT_FOUND`,
//! `INVALID_ARGUMENT`, `ALREADY_EXISTS`, `OUT_OF_RANGE`, `RESOURCE_EXHAUSTED` (no
//! space), `UNAVAILABLE` (the back end cannot be reached; retry later),
//! `UNAUTHENTICATED` (the back end refused the JWT) and `INTERNAL` for the rest.

use brickyard_cli::client::ClientError;
use tonic::{Code, Status};

/// What the back end answered, as a gRPC status. `what` names the request for the
/// message (e.g. `create volume pvc-1`).
pub fn from_client(what: &str, err: &ClientError) -> Status {
    let code = code_of(err);
    let message = match err {
        // The client's own text names the CLI's flags (--tls-cert, --insecure-tls).
        ClientError::UntrustedCertificate { url, reason } => format!(
            "the TLS certificate of the server at {url} is not trusted ({reason}): \
             start the driver with --tls-ca FILE (or BRICKYARD_CSI_TLS_CA) naming the CA \
             certificate that signed it, or give that certificate's PEM text in the \
             StorageClass parameter or the secret's entry {}",
            crate::backend::CA_KEY
        ),
        other => other.to_string(),
    };
    Status::new(code, format!("{what}: {message}"))
}

/// The gRPC code of a back-end failure.
pub fn code_of(err: &ClientError) -> Code {
    match err {
        // A TLS mismatch with the back end is reported like an unreachable one (its
        // message says what to change).
        ClientError::Connect { .. }
        | ClientError::Transport { .. }
        | ClientError::UntrustedCertificate { .. }
        | ClientError::NotTls { .. }
        | ClientError::NotHttp { .. } => Code::Unavailable,
        ClientError::Server { status, message } => {
            // Heketi: "No space" or "Failed to allocate new volume: No space…".
            if message.starts_with("No space") || message.contains(": No space") {
                return Code::ResourceExhausted;
            }
            if is_name_taken(err) {
                return Code::AlreadyExists;
            }
            match status {
                400 | 422 => Code::InvalidArgument,
                401 | 403 => Code::Unauthenticated,
                404 => Code::NotFound,
                409 => Code::AlreadyExists,
                429 | 502 | 503 | 504 => Code::Unavailable,
                501 => Code::Unimplemented,
                _ => Code::Internal,
            }
        }
        ClientError::MissingLocation { .. }
        | ClientError::Decode(_)
        | ClientError::Token(_)
        | ClientError::TlsCert { .. } => Code::Internal,
    }
}

/// Whether the back end refused a create because the volume name is taken:
/// 409, or (when found during the asynchronous operation) a 500 whose text says
/// `Volume name … already in use`.
pub fn is_name_taken(err: &ClientError) -> bool {
    match err {
        ClientError::Server { status, message } => {
            *status == 409
                || (message.contains("Volume name") && message.contains("already in use"))
        }
        _ => false,
    }
}

/// `INVALID_ARGUMENT` with `message`.
pub fn invalid(message: impl Into<String>) -> Status {
    Status::invalid_argument(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16, message: &str) -> ClientError {
        ClientError::Server {
            status,
            message: message.to_string(),
        }
    }

    #[test]
    fn codes() {
        let unreachable = ClientError::Connect {
            url: "http://127.0.0.1:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(code_of(&unreachable), Code::Unavailable);
        assert_eq!(code_of(&server(404, "Id not found")), Code::NotFound);
        assert_eq!(
            code_of(&server(500, "No space: 3 devices too small")),
            Code::ResourceExhausted
        );
        assert_eq!(
            code_of(&server(500, "Failed to allocate new volume: No space")),
            Code::ResourceExhausted
        );
        assert_eq!(code_of(&server(400, "bad size")), Code::InvalidArgument);
        assert_eq!(code_of(&server(401, "token")), Code::Unauthenticated);
        assert_eq!(code_of(&server(409, "in use")), Code::AlreadyExists);
        assert_eq!(
            code_of(&server(
                500,
                "Failed to allocate new volume: Volume name pvc-1 already in use"
            )),
            Code::AlreadyExists
        );
        assert_eq!(code_of(&server(429, "Server busy")), Code::Unavailable);
        assert_eq!(code_of(&server(500, "exec failed")), Code::Internal);
    }

    #[test]
    fn an_untrusted_certificate_names_the_driver_s_option() {
        let err = ClientError::UntrustedCertificate {
            url: "https://heketi:8080".into(),
            reason: "UnknownIssuer".into(),
        };
        let s = from_client("create volume pvc-1", &err);
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(
            s.message(),
            "create volume pvc-1: the TLS certificate of the server at https://heketi:8080 is \
             not trusted (UnknownIssuer): start the driver with --tls-ca FILE (or \
             BRICKYARD_CSI_TLS_CA) naming the CA certificate that signed it, or give that \
             certificate's PEM text in the StorageClass parameter or the secret's entry \
             restcacert"
        );
        assert!(!s.message().contains("--tls-cert"), "{}", s.message());
    }
}
