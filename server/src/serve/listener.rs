//! The accept loop: a bound on open connections, accept errors survived.
//!
//! - At most `max_connections` connections are open. At the bound the loop logs it,
//!   asks idle keep-alive connections to close, and accepts again as soon as a
//!   connection closes; meanwhile new clients wait in the listen backlog.
//! - An accept error (`EMFILE`: out of file descriptors, …) is logged, idle
//!   connections are asked to close, and the loop accepts again shortly after: it
//!   never ends but by the stop signal.
//! - On stop it stops accepting, lets every connection finish its request, and
//!   returns when all are closed.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use tokio_rustls::TlsAcceptor;

use super::connection::{Closed, Timeouts, serve_connection};
use super::tls;

/// How long the loop waits after an accept error before accepting again.
pub const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The same warning at most this often (the rest are counted).
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Descriptors kept for everything but client connections (database, ssh sessions to
/// the nodes, logs, …) when the connection bound is fitted to the open-file limit.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// Where connections come from (a [`TcpListener`]; tests inject failures).
pub trait Acceptor: Send + 'static {
    /// The next connection, or why none could be accepted.
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Acceptor for TcpListener {
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send {
        TcpListener::accept(self)
    }
}

/// The bounds of the accept loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The per-connection timeouts.
    pub timeouts: Timeouts,
    /// Open connections at most (at least 1).
    pub max_connections: usize,
}

/// `wanted`, lowered so that the connections fit under the open-file limit
/// `descriptors` (when known) with [`RESERVED_DESCRIPTORS`] to spare.
pub fn fit_to_descriptors(wanted: usize, descriptors: Option<u64>) -> usize {
    let wanted = wanted.max(1);
    match descriptors {
        Some(limit) => {
            let room = limit.saturating_sub(RESERVED_DESCRIPTORS).max(1);
            wanted.min(usize::try_from(room).unwrap_or(usize::MAX))
        }
        None => wanted,
    }
}

/// Highest open-file soft limit [`raise_open_file_limit`] asks for (a hard limit of
/// "unlimited" or of billions would make per-descriptor tables needlessly large).
pub const MAX_RAISED_OPEN_FILES: u64 = 1 << 20;

/// Raises the soft open-file limit to the hard one (at most [`MAX_RAISED_OPEN_FILES`]),
/// as Go programs such as Heketi do at start: the usual soft limit of 1,024 would
/// otherwise bound the connections (clients that open a connection per request,
/// like heketi-cli's older Go clients, reach it quickly). The soft limit after the
/// call, or `None` when it cannot be read.
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let wanted = limit
        .maximum
        .unwrap_or(MAX_RAISED_OPEN_FILES)
        .min(MAX_RAISED_OPEN_FILES);
    if let Some(current) = limit.current
        && current < wanted
    {
        let raised = rustix::process::Rlimit {
            current: Some(wanted),
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// The soft open-file limit of this process (Linux: `/proc/self/limits`).
pub fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&text)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    match soft {
        "unlimited" => None,
        n => n.parse().ok(),
    }
}

/// A warning that is logged at most every [`WARN_EVERY`].
struct Throttle {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    fn new() -> Throttle {
        Throttle {
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(count of suppressed repeats)` when the warning may be logged now.
    fn ready(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|at| now < at + WARN_EVERY) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

/// Connection errors that concern one client only: accept the next one at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves `app` on the connections of `acceptor` (over TLS with `tls`) until `stop`
/// turns true (or its sender is gone), then waits for the open connections to finish.
pub async fn accept_loop<A: Acceptor>(
    mut acceptor: A,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let (make_room, _) = watch::channel(0u64);
    let mut limit_warning = Throttle::new();
    let mut accept_warning = Throttle::new();
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(repeats) = limit_warning.ready() {
                    tracing::warn!(
                        max_connections = max,
                        repeats,
                        "connection limit reached: {max} connections open; closing idle keep-alive connections, new connections wait until one closes"
                    );
                }
                make_room.send_modify(|round| *round += 1);
                tokio::select! {
                    permit = permits.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = acceptor.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
                }
                let accepted_at = Instant::now();
                let app = app.clone();
                let mut stop = stop.clone();
                let room = make_room.subscribe();
                let timeouts = limits.timeouts;
                let tls = tls.clone();
                tokio::spawn(async move {
                    let closed = match tls {
                        None => {
                            serve_connection(stream, peer, app, timeouts, accepted_at, stop, room)
                                .await
                        }
                        Some(tls) => {
                            let deadline = accepted_at + timeouts.header_read;
                            match tls::handshake(&tls, stream, peer, deadline, &mut stop).await {
                                Some(stream) => {
                                    serve_connection(
                                        stream,
                                        peer,
                                        app,
                                        timeouts,
                                        accepted_at,
                                        stop,
                                        room,
                                    )
                                    .await
                                }
                                None => Closed::Handshake,
                            }
                        }
                    };
                    tracing::trace!(%peer, ?closed, "connection closed");
                    drop(permit);
                });
            }
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                drop(permit);
                if let Some(repeats) = accept_warning.ready() {
                    tracing::error!(
                        repeats,
                        "accept error: {e}; closing idle keep-alive connections and accepting again in {} ms",
                        ACCEPT_RETRY.as_millis()
                    );
                }
                make_room.send_modify(|round| *round += 1);
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_RETRY) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
    }
    // Stopping: the connections were told (by `stop`) to finish their request and
    // close; every one holds a permit until it is gone.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_fits_under_the_open_file_limit() {
        assert_eq!(fit_to_descriptors(1024, None), 1024);
        assert_eq!(fit_to_descriptors(1024, Some(1_048_576)), 1024);
        assert_eq!(fit_to_descriptors(1024, Some(1024)), 896);
        assert_eq!(fit_to_descriptors(1024, Some(100)), 1);
        assert_eq!(fit_to_descriptors(0, None), 1);
    }

    #[test]
    fn the_soft_open_file_limit_is_raised_to_the_hard_one() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let hard = getrlimit(Resource::Nofile).maximum;
        let want = hard
            .unwrap_or(MAX_RAISED_OPEN_FILES)
            .min(MAX_RAISED_OPEN_FILES);
        // One below what it should become (lowering the soft limit is always allowed;
        // by one only, as other tests of this process run meanwhile).
        let lowered = Rlimit {
            current: Some(want - 1),
            maximum: hard,
        };
        setrlimit(Resource::Nofile, lowered).expect("the soft limit can be lowered");
        let soft = raise_open_file_limit();
        assert!(
            soft.is_some_and(|s| s >= want),
            "soft {soft:?}, hard {hard:?}"
        );
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_none_or(|l| l >= want));
        }
    }

    #[test]
    fn reads_the_soft_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_file_limit(limits), Some(1024));
        assert_eq!(
            parse_open_file_limit("Max open files            unlimited    unlimited   files"),
            None
        );
        assert_eq!(parse_open_file_limit("nothing"), None);
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_warning_is_logged_once_per_period_with_the_count() {
        let mut t = Throttle::new();
        assert_eq!(t.ready(), Some(0));
        assert_eq!(t.ready(), None);
        assert_eq!(t.ready(), None);
        tokio::time::advance(WARN_EVERY).await;
        assert_eq!(t.ready(), Some(2));
    }
}
