//! Verification of one Heketi JWT, with the texts of Heketi's middleware
//! (`heketi/heketi:middleware/jwt.go` over dgrijalva/jwt-go): the checks run in
//! jwt-go's order, and when several fail the message is the one jwt-go would show
//! (a bad signature wins over time claims; `nbf` over `iat` over `exp`).

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who the token says the caller is (`iss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// `iss: "admin"`: every route.
    Admin,
    /// `iss: "user"`: only the exact path `/volumes`.
    User,
}

/// The secrets and leeways a token is checked with.
#[derive(Clone)]
pub struct Keys {
    /// `jwt.admin.key`.
    pub admin: Vec<u8>,
    /// `jwt.user.key`.
    pub user: Vec<u8>,
    /// Tolerance for `iat` in the future (Heketi: 120 s, `HEKETI_JWT_IAT_LEEWAY_SECONDS`).
    pub iat_leeway: Duration,
    /// Tolerance for `exp` in the past. Heketi has none, but the Python client signs
    /// tokens valid for one second only, which a small clock skew or a slow request
    /// turns into spurious `Token is expired` errors.
    pub exp_leeway: Duration,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("iat_leeway", &self.iat_leeway)
            .field("exp_leeway", &self.exp_leeway)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused; the `Display` text is the full `401` body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Anything jwt-go reports through `ParseWithClaims`.
    #[error("Invalid JWT token: {0}")]
    Invalid(String),
    /// The `qsh` claim does not match this request.
    #[error("Invalid qsh claim in token")]
    Qsh,
}

/// `hex(sha256(METHOD + "&" + path))`, the `qsh` claim Heketi clients sign.
pub fn qsh(method: &str, path: &str) -> String {
    hex::encode(Sha256::digest(format!("{method}&{path}").as_bytes()))
}

/// Go's `time.Duration.String()` for whole seconds (`45s`, `2m5s`, `1h0m5s`).
pub fn go_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Checks `token` for a request `method path` at unix time `now`.
pub fn verify(
    token: &str,
    keys: &Keys,
    method: &str,
    path: &str,
    now: i64,
) -> Result<Role, TokenError> {
    let invalid = |m: &str| TokenError::Invalid(m.to_string());
    let parts: Vec<&str> = token.split('.').collect();
    let [head, payload, signature] = parts.as_slice() else {
        return Err(invalid("token contains an invalid number of segments"));
    };
    let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(&e.to_string()))?;
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| invalid(&e.to_string()))?;
    let Some(claims) = claims.as_object() else {
        return Err(invalid("claims are not a JSON object"));
    };
    if !matches!(
        header.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err(invalid(&format!(
            "Unexpected signing method: {:?}",
            header.alg
        )));
    }
    let (role, key) = match claims.get("iss").and_then(Value::as_str).unwrap_or("") {
        "" => return Err(invalid("Token missing iss claim")),
        "admin" => (Role::Admin, &keys.admin),
        "user" => (Role::User, &keys.user),
        _ => return Err(invalid("Unknown user")),
    };
    let message = format!("{head}.{payload}");
    let good = jsonwebtoken::crypto::verify(
        signature,
        message.as_bytes(),
        &DecodingKey::from_secret(key),
        header.alg,
    )
    .map_err(|e| invalid(&e.to_string()))?;
    if !good {
        return Err(invalid(
            "signature is invalid (client and server secrets may not match)",
        ));
    }
    check_times(claims, keys, now)?;
    if claims.get("qsh").and_then(Value::as_str) != Some(qsh(method, path).as_str()) {
        return Err(TokenError::Qsh);
    }
    Ok(role)
}

fn time_claim(
    claims: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            // jwt-go decodes into int64; fractional seconds are truncated here.
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| TokenError::Invalid(format!("{name} claim is not a number"))),
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn check_times(
    claims: &serde_json::Map<String, Value>,
    keys: &Keys,
    now: i64,
) -> Result<(), TokenError> {
    let mut failure: Option<String> = None;
    match time_claim(claims, "exp")? {
        None => failure = Some("Token missing exp claim".into()),
        Some(exp) if now > exp.saturating_add(secs(keys.exp_leeway)) => {
            let late = u64::try_from(now.saturating_sub(exp)).unwrap_or(0);
            failure = Some(format!("Token is expired by {}", go_duration(late)));
        }
        Some(_) => {}
    }
    if let Some(iat) = time_claim(claims, "iat")?
        && now < iat.saturating_sub(secs(keys.iat_leeway))
    {
        failure = Some("Token used before issued (client and server clocks may differ)".into());
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && now < nbf
    {
        failure = Some("token is not valid yet".into());
    }
    match failure {
        Some(m) => Err(TokenError::Invalid(m)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(45), "45s");
        assert_eq!(go_duration(125), "2m5s");
        assert_eq!(go_duration(3605), "1h0m5s");
    }

    #[test]
    fn qsh_is_sha256_of_method_and_path() {
        // sha256("GET&/hello")
        assert_eq!(
            qsh("GET", "/hello"),
            hex::encode(Sha256::digest(b"GET&/hello"))
        );
        assert_eq!(qsh("GET", "/hello").len(), 64);
        assert_ne!(qsh("GET", "/hello"), qsh("POST", "/hello"));
    }
}
