//! JWT authentication and the user/admin authorization of Heketi
//! (`heketi/heketi:middleware/jwt.go`, `apps/glusterfs/app_middleware.go`).
//!
//! `Authorization: bearer <token>` (scheme case-insensitive); HMAC tokens whose
//! `iss` picks the key (`admin` or `user`); `exp` mandatory; `iat` with a leeway;
//! `qsh` = hex(sha256("METHOD&/path")) of the path as received, without the query.
//! Issuer `user` may only use the exact path `/volumes`.

mod token;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use token::{Keys, Role, TokenError, go_duration, qsh, verify};

use crate::config::{ConfigError, ServerConfig};
use crate::error::AppError;

/// Default tolerance for an `exp` in the past (see [`Keys::exp_leeway`]).
pub const EXP_LEEWAY: Duration = Duration::from_secs(30);

/// Whether and how requests are authenticated (cheap to clone).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    keys: Option<Arc<Keys>>,
}

/// The start-up warning logged when the API is open.
pub const OPEN_API_WARNING: &str = "authentication is disabled (use_auth is false or --disable-auth): anyone who can reach the port can manage the storage";

impl AuthSettings {
    /// Authentication on, with these secrets.
    pub fn new(admin_key: &str, user_key: &str, iat_leeway: Duration) -> AuthSettings {
        AuthSettings {
            keys: Some(Arc::new(Keys {
                admin: admin_key.as_bytes().to_vec(),
                user: user_key.as_bytes().to_vec(),
                iat_leeway,
                exp_leeway: EXP_LEEWAY,
            })),
        }
    }

    /// No authentication at all: the Authorization header is ignored.
    pub fn disabled() -> AuthSettings {
        AuthSettings { keys: None }
    }

    /// From the configuration: on when `use_auth` is true and `disable_auth` (the
    /// `--disable-auth` flag) is false; then both keys are required.
    pub fn from_config(
        config: &ServerConfig,
        disable_auth: bool,
    ) -> Result<AuthSettings, ConfigError> {
        if disable_auth || !config.use_auth {
            return Ok(AuthSettings::disabled());
        }
        if config.admin_key.is_empty() || config.user_key.is_empty() {
            return Err(ConfigError::Unusable(
                "Missing JWT information in config file".into(),
            ));
        }
        Ok(AuthSettings::new(
            &config.admin_key,
            &config.user_key,
            config.jwt_iat_leeway,
        ))
    }

    /// Whether tokens are required.
    pub fn enabled(&self) -> bool {
        self.keys.is_some()
    }

    /// The warning to log at start-up, if the API is open.
    pub fn open_api_warning(&self) -> Option<&'static str> {
        (!self.enabled()).then_some(OPEN_API_WARNING)
    }

    /// Authenticates and authorizes one request (`None` role when auth is off).
    pub fn check(
        &self,
        headers: &HeaderMap,
        method: &str,
        path: &str,
        now: i64,
    ) -> Result<Option<Role>, AppError> {
        let Some(keys) = &self.keys else {
            return Ok(None);
        };
        let token = bearer_token(headers)?;
        let role = verify(token, keys, method, path, now)
            .map_err(|e| AppError::unauthorized(e.to_string()))?;
        if role == Role::User && path != "/volumes" {
            return Err(AppError::unauthorized("Administrator access required"));
        }
        Ok(Some(role))
    }
}

/// The token of `Authorization: <scheme> <token>`, as auth0's go-jwt-middleware
/// reads it.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AppError> {
    let malformed = || AppError::bad_request("Authorization header format must be Bearer {token}");
    let missing = || AppError::unauthorized("Required authorization token not found");
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(missing());
    };
    let text = value.to_str().map_err(|_| malformed())?;
    if text.is_empty() {
        return Err(missing());
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [scheme, token] if scheme.eq_ignore_ascii_case("bearer") => Ok(token),
        _ => Err(malformed()),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Middleware: JWT check then user/admin authorization; the caller's [`Role`] is
/// put in the request extensions.
pub async fn middleware(
    State(settings): State<AuthSettings>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    match settings.check(req.headers(), &method, &path, unix_now()) {
        Ok(Some(role)) => {
            req.extensions_mut().insert(role);
            next.run(req).await
        }
        Ok(None) => next.run(req).await,
        Err(err) => err.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn header_shapes() {
        assert_eq!(bearer_token(&headers("bearer abc")).ok(), Some("abc"));
        assert_eq!(bearer_token(&headers("BeArEr abc")).ok(), Some("abc"));
        let missing = bearer_token(&HeaderMap::new())
            .err()
            .map(|e| e.status.as_u16());
        assert_eq!(missing, Some(401));
        assert_eq!(
            bearer_token(&headers("")).err().map(|e| e.status.as_u16()),
            Some(401)
        );
        for bad in ["abc", "Basic abc", "bearer a b"] {
            let err = bearer_token(&headers(bad)).err();
            assert_eq!(err.as_ref().map(|e| e.status.as_u16()), Some(400), "{bad}");
            assert_eq!(
                err.map(|e| e.message).as_deref(),
                Some("Authorization header format must be Bearer {token}")
            );
        }
    }

    #[test]
    fn use_auth_is_honoured() {
        let mut config = ServerConfig::defaults();
        assert!(
            !AuthSettings::from_config(&config, false)
                .map(|a| a.enabled())
                .unwrap_or(true)
        );
        config.use_auth = true;
        let err = AuthSettings::from_config(&config, false)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Missing JWT information in config file")
        );
        assert!(
            AuthSettings::from_config(&config, true).is_ok_and(|a| a.open_api_warning().is_some())
        );
        config.admin_key = "a".into();
        config.user_key = "u".into();
        let on = AuthSettings::from_config(&config, false).expect("keys present");
        assert!(on.enabled());
        assert_eq!(on.open_api_warning(), None);
    }
}
