//! Helpers: a state, tokens, and one-shot requests without sockets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use brickyard::executor::{Executor, MockExecutor};
use brickyard::{Engine, EngineOptions};
use brickyard_server::auth::{AuthSettings, qsh};
use brickyard_server::config::ServerConfig;
use brickyard_server::state::AppState;
use http_body_util::BodyExt;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ADMIN_KEY: &str = "admin-secret";
pub const USER_KEY: &str = "user-secret";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An in-memory engine over `executor`.
pub async fn engine(executor: Arc<dyn Executor>) -> Engine {
    Engine::open(EngineOptions::in_memory(), executor)
        .await
        .expect("in-memory engine opens")
}

/// State with authentication on, `max_inflight_operations = limit`, an in-memory
/// engine over the mock executor.
pub async fn state(limit: u64) -> AppState {
    state_with(limit, Arc::new(MockExecutor::new())).await
}

/// Like [`state`] over any executor.
pub async fn state_with(limit: u64, executor: Arc<dyn Executor>) -> AppState {
    let mut config = ServerConfig::defaults();
    config.glusterfs.max_inflight_operations = limit;
    let auth = AuthSettings::new(ADMIN_KEY, USER_KEY, config.jwt_iat_leeway);
    AppState::new(config, auth, engine(executor).await)
}

/// State with authentication off.
pub async fn open_state() -> AppState {
    AppState::new(
        ServerConfig::defaults(),
        AuthSettings::disabled(),
        engine(Arc::new(MockExecutor::new())).await,
    )
}

/// A token like the Go client's: iat now, exp in 5 minutes, qsh of `method path`.
pub fn token(iss: &str, method: &str, path: &str) -> String {
    let key = if iss == "user" { USER_KEY } else { ADMIN_KEY };
    let t = now();
    sign(
        key,
        json!({"iss": iss, "iat": t, "exp": t + 300, "qsh": qsh(method, path)}),
    )
}

pub fn sign(key: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("token encodes")
}

pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Req {
    method: Method,
    uri: String,
    auth: Option<String>,
    body: String,
    peer: Option<SocketAddr>,
}

impl Req {
    pub fn new(method: &str, uri: &str) -> Req {
        Req {
            method: Method::from_bytes(method.as_bytes()).expect("method"),
            uri: uri.to_string(),
            auth: None,
            body: String::new(),
            peer: None,
        }
    }

    /// Signed as `iss` for the request's own method and path.
    pub fn as_(mut self, iss: &str) -> Req {
        let path = self.uri.split('?').next().unwrap_or("").to_string();
        self.auth = Some(format!(
            "bearer {}",
            token(iss, self.method.as_str(), &path)
        ));
        self
    }

    pub fn admin(self) -> Req {
        self.as_("admin")
    }

    pub fn authorization(mut self, value: &str) -> Req {
        self.auth = Some(value.to_string());
        self
    }

    pub fn body(mut self, body: &str) -> Req {
        self.body = body.to_string();
        self
    }

    pub fn peer(mut self, addr: &str) -> Req {
        self.peer = Some(addr.parse().expect("socket address"));
        self
    }

    pub async fn send(self, app: &Router) -> Answer {
        let mut builder = Request::builder().method(self.method).uri(self.uri);
        if let Some(auth) = self.auth {
            builder = builder.header("Authorization", auth);
        }
        let mut req = builder.body(Body::from(self.body)).expect("request");
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = app.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}
