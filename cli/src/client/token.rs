//! The JWT the Go client puts on every request (`heketi/heketi:client/api/go-client/client.go`).

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ClientError;

/// How long a token is valid, as in the Go client: five minutes.
pub const TOKEN_LIFETIME_SECS: u64 = 5 * 60;

/// Claims of a Heketi request token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user (`admin` or `user`), verbatim from `--user`.
    pub iss: String,
    /// Issued-at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// `hex(sha256("METHOD&/path"))`.
    pub qsh: String,
}

/// `hex(sha256(METHOD + "&" + path))`: the claim binding a token to one request.
/// `path` is the URL path without query string or host.
pub fn qsh(method: &str, path: &str) -> String {
    let mut h = Sha256::new();
    h.update(method.to_ascii_uppercase().as_bytes());
    h.update(b"&");
    h.update(path.as_bytes());
    hex::encode(h.finalize())
}

/// Signs a fresh HS256 token for one request.
pub fn sign(user: &str, secret: &str, method: &str, path: &str) -> Result<String, ClientError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = Claims {
        iss: user.to_string(),
        iat: now,
        exp: now + TOKEN_LIFETIME_SECS,
        qsh: qsh(method, path),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[test]
    fn qsh_is_sha256_of_method_and_path() {
        // printf 'GET&/clusters' | sha256sum
        assert_eq!(
            qsh("get", "/clusters"),
            "4749a59de87c27c9b2f495c5f1309b2525681dfe30c8a7b83625901b132a9c26"
        );
    }

    #[test]
    fn token_round_trips_with_the_secret() {
        let t = sign("admin", "My Secret", "POST", "/volumes").expect("sign");
        let mut v = Validation::new(Algorithm::HS256);
        v.set_required_spec_claims(&["exp"]);
        let d = decode::<Claims>(&t, &DecodingKey::from_secret(b"My Secret"), &v).expect("decode");
        assert_eq!(d.claims.iss, "admin");
        assert_eq!(d.claims.exp - d.claims.iat, TOKEN_LIFETIME_SECS);
        assert_eq!(d.claims.qsh, qsh("POST", "/volumes"));
        assert!(decode::<Claims>(&t, &DecodingKey::from_secret(b"wrong"), &v).is_err());
    }
}
