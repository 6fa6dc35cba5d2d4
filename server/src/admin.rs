//! Admin mode (`normal`, `read-only`, `local-client`): the gate that runs before
//! routing and the `GET`/`POST /admin` handlers (`heketi/heketi:server/admin`).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use brickyard::api::AdminStatus;

use crate::body::{Json, parse_json, read_body};
use crate::error::AppError;

/// The server's admin mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AdminMode {
    /// Every request is served.
    #[default]
    Normal,
    /// Only GET and HEAD are served.
    ReadOnly,
    /// GET and HEAD from anywhere; other methods only from 127.0.0.1 or ::1.
    LocalClient,
}

impl AdminMode {
    /// The wire name (`normal`, `read-only`, `local-client`).
    pub fn as_str(self) -> &'static str {
        match self {
            AdminMode::Normal => "normal",
            AdminMode::ReadOnly => "read-only",
            AdminMode::LocalClient => "local-client",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(name: &str) -> Option<AdminMode> {
        match name {
            "normal" => Some(AdminMode::Normal),
            "read-only" => Some(AdminMode::ReadOnly),
            "local-client" => Some(AdminMode::LocalClient),
            _ => None,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            AdminMode::Normal => 0,
            AdminMode::ReadOnly => 1,
            AdminMode::LocalClient => 2,
        }
    }

    fn from_u8(v: u8) -> AdminMode {
        match v {
            1 => AdminMode::ReadOnly,
            2 => AdminMode::LocalClient,
            _ => AdminMode::Normal,
        }
    }

    /// Whether a request with `method` from `peer` (the TCP peer, if known) is served
    /// in this mode. An unknown peer is not local.
    pub fn allows(self, method: &Method, peer: Option<IpAddr>) -> bool {
        let read = *method == Method::GET || *method == Method::HEAD;
        match self {
            AdminMode::Normal => true,
            AdminMode::ReadOnly => read,
            AdminMode::LocalClient => read || peer.is_some_and(is_exact_localhost),
        }
    }
}

/// Heketi compares the peer with exactly `127.0.0.1` and `::1`.
fn is_exact_localhost(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
    }
}

impl fmt::Display for AdminMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shared, changeable admin mode (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct AdminState {
    mode: Arc<AtomicU8>,
}

impl AdminState {
    /// Starts in `mode`.
    pub fn new(mode: AdminMode) -> AdminState {
        AdminState {
            mode: Arc::new(AtomicU8::new(mode.to_u8())),
        }
    }

    /// The current mode.
    pub fn get(&self) -> AdminMode {
        AdminMode::from_u8(self.mode.load(Ordering::SeqCst))
    }

    /// Changes the mode (also what SIGUSR2 does, with [`AdminMode::Normal`]).
    pub fn set(&self, mode: AdminMode) {
        self.mode.store(mode.to_u8(), Ordering::SeqCst);
    }
}

/// Middleware: `503 Service disabled for maintenance` for requests the current mode
/// does not allow. The peer address comes from `ConnectInfo<SocketAddr>`, so serve
/// with `into_make_service_with_connect_info::<SocketAddr>()`.
pub async fn gate(State(admin): State<AdminState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if admin.get().allows(req.method(), peer) {
        next.run(req).await
    } else {
        AppError::maintenance().into_response()
    }
}

/// `GET /admin` → `{"state":"normal"}`.
pub async fn get_admin(State(admin): State<AdminState>) -> Json<AdminStatus> {
    Json::ok(AdminStatus {
        state: admin.get().as_str().to_string(),
    })
}

/// `POST /admin` `{"state":"read-only"}` → `204`.
pub async fn set_admin(
    State(admin): State<AdminState>,
    req: Request,
) -> Result<StatusCode, AppError> {
    let bytes = read_body(req, &()).await?;
    let status: AdminStatus = parse_json(&bytes).map_err(AppError::unparsable_detail)?;
    if status.state.is_empty() {
        return Err(AppError::validation([("state", "cannot be blank")]));
    }
    let mode = AdminMode::parse(&status.state)
        .ok_or_else(|| AppError::validation([("state", "must be a valid value")]))?;
    admin.set(mode);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_gate_methods() {
        for mode in [
            AdminMode::Normal,
            AdminMode::ReadOnly,
            AdminMode::LocalClient,
        ] {
            assert_eq!(AdminMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(AdminMode::parse("readonly"), None);
        let local: IpAddr = "127.0.0.1".parse().expect("ip");
        let v6: IpAddr = "::1".parse().expect("ip");
        let remote: IpAddr = "10.0.0.1".parse().expect("ip");
        let other_loopback: IpAddr = "127.0.0.2".parse().expect("ip");
        assert!(AdminMode::ReadOnly.allows(&Method::GET, Some(remote)));
        assert!(AdminMode::ReadOnly.allows(&Method::HEAD, None));
        assert!(!AdminMode::ReadOnly.allows(&Method::POST, Some(local)));
        assert!(AdminMode::LocalClient.allows(&Method::POST, Some(local)));
        assert!(AdminMode::LocalClient.allows(&Method::DELETE, Some(v6)));
        assert!(!AdminMode::LocalClient.allows(&Method::POST, Some(other_loopback)));
        assert!(!AdminMode::LocalClient.allows(&Method::POST, None));
        assert!(AdminMode::Normal.allows(&Method::DELETE, Some(remote)));
        let state = AdminState::new(AdminMode::LocalClient);
        assert_eq!(state.clone().get(), AdminMode::LocalClient);
        state.set(AdminMode::Normal);
        assert_eq!(state.get(), AdminMode::Normal);
    }
}
