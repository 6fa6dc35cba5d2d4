//! One HTTP/1.1 connection: hyper serves the requests, a watchdog closes the connection
//! when it holds a descriptor for nothing.
//!
//! - Header-read timeout: a request head must be complete within the timeout of its
//!   first byte, and a new connection must deliver its first head within the timeout
//!   of being accepted (a client that opens a head and stops is dropped).
//! - Idle timeout: a keep-alive connection with no request for this long is closed.
//! - Room: when the listener is at its connection bound, idle keep-alive connections
//!   are closed at once so that new clients are served.
//! - Shutdown: the connection finishes its request and closes.
//!
//! The timeouts follow Go's `net/http` (`ReadHeaderTimeout`, `IdleTimeout`), which
//! Heketi's clients are used to.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// The two timeouts of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed for a request head (from its first byte, or from the accept for
    /// the first request).
    pub header_read: Duration,
    /// Time a keep-alive connection may wait for its next request.
    pub idle: Duration,
}

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// The client closed it (or hyper ended it: protocol error, `Connection: close`).
    Ended,
    /// A request head did not arrive in time.
    HeaderTimeout,
    /// No request for the idle timeout.
    IdleTimeout,
    /// Idle while the listener needed room for a new connection.
    MadeRoom,
    /// The server is stopping.
    Shutdown,
    /// The TLS handshake failed, did not finish within the header-read timeout, or
    /// the server stopped during it.
    Handshake,
}

/// Where the connection is in its request cycle.
struct Phase {
    /// Last byte read or written.
    last_io: Instant,
    /// Requests handed to the router and not answered yet.
    in_flight: usize,
    /// Since when a request head is awaited with bytes on the way (or, for the first
    /// request, since the accept); `None` while idle between requests.
    head_since: Option<Instant>,
}

/// What the watchdog should do next.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// A request is being served: no deadline.
    Busy,
    /// Look again at this instant.
    At(Instant),
    /// Close the connection.
    Close(Closed),
}

/// The connection's phase, shared by the socket wrapper, the service and the watchdog.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new(now: Instant) -> Activity {
        Activity {
            phase: Mutex::new(Phase {
                last_io: now,
                in_flight: 0,
                head_since: Some(now),
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let now = Instant::now();
        let mut p = self.lock();
        p.last_io = now;
        if p.in_flight == 0 && p.head_since.is_none() {
            p.head_since = Some(now);
        }
    }

    fn wrote(&self, bytes: usize) {
        if bytes > 0 {
            self.lock().last_io = Instant::now();
        }
    }

    fn request_started(&self) {
        {
            let mut p = self.lock();
            p.in_flight += 1;
            p.head_since = None;
        }
        self.changed.notify_one();
    }

    fn request_finished(&self) {
        {
            let mut p = self.lock();
            p.in_flight = p.in_flight.saturating_sub(1);
            p.last_io = Instant::now();
        }
        self.changed.notify_one();
    }

    fn is_idle(&self) -> bool {
        let p = self.lock();
        p.in_flight == 0 && p.head_since.is_none()
    }

    fn next(&self, timeouts: &Timeouts, now: Instant) -> Next {
        let p = self.lock();
        let (deadline, reason) = match p.head_since {
            _ if p.in_flight > 0 => return Next::Busy,
            Some(since) => (since + timeouts.header_read, Closed::HeaderTimeout),
            None => (p.last_io + timeouts.idle, Closed::IdleTimeout),
        };
        if now >= deadline {
            Next::Close(reason)
        } else {
            Next::At(deadline)
        }
    }
}

/// Counts a request as in flight until dropped (answered, or abandoned with the
/// connection).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        activity.request_started();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that keeps its request in flight until hyper has taken all of it
/// (a connection writing a long response is not idle).
struct Guarded {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket (or the TLS stream over it), noting every byte that moves.
struct Tracked<S> {
    io: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.activity.read(buf.filled().len() - before);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.activity.wrote(n);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            this.activity.wrote(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Serves `stream` until the client closes it, a timeout closes it, the listener
/// needs room while it is idle (`make_room` changes) or the server stops (`stop`
/// turns true). The first request head is due `timeouts.header_read` after
/// `accepted_at` (a TLS handshake before it counts too).
#[allow(clippy::too_many_arguments)]
pub async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    accepted_at: Instant,
    mut stop: watch::Receiver<bool>,
    mut make_room: watch::Receiver<u64>,
) -> Closed
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new(accepted_at));
    let io = TokioIo::new(Tracked {
        io: stream,
        activity: activity.clone(),
    });
    let in_service = activity.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let guard = InFlight::start(&in_service);
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(req).await;
            response.map(|r| {
                r.map(|body| {
                    Body::new(Guarded {
                        body,
                        _in_flight: guard,
                    })
                })
            })
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog applies the header-read timeout (hyper's would also cut idle
    // keep-alive connections at the same instant).
    builder.header_read_timeout(None);
    let mut conn = std::pin::pin!(builder.serve_connection(io, service));
    // Set once the connection was asked to close: why, and since when.
    let mut closing: Option<(Closed, Instant)> = None;
    let mut room_watch = true;
    loop {
        let now = Instant::now();
        let deadline = match closing {
            // Shutdown waits for the running request however long it takes (the
            // server's drain timeout bounds it); a connection closed for being idle
            // gets as long as a request head to finish what it was writing.
            Some((Closed::Shutdown, _)) => None,
            Some((reason, since)) => {
                let hard_stop = since + timeouts.header_read;
                if now >= hard_stop {
                    return reason;
                }
                Some(hard_stop)
            }
            None => match activity.next(&timeouts, now) {
                Next::Close(Closed::HeaderTimeout) => {
                    tracing::debug!(%peer, "request head not received in time: closing");
                    return Closed::HeaderTimeout;
                }
                Next::Close(reason) => {
                    tracing::debug!(%peer, ?reason, "closing the connection");
                    conn.as_mut().graceful_shutdown();
                    closing = Some((reason, now));
                    continue;
                }
                Next::At(at) => Some(at),
                Next::Busy => None,
            },
        };
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return closing.map_or(Closed::Ended, |(reason, _)| reason);
            }
            () = sleep_until(deadline) => {}
            () = activity.changed.notified() => {}
            _ = stop.wait_for(|s| *s), if !matches!(closing, Some((Closed::Shutdown, _))) => {
                conn.as_mut().graceful_shutdown();
                closing = Some((Closed::Shutdown, Instant::now()));
            }
            changed = make_room.changed(), if closing.is_none() && room_watch => {
                if changed.is_err() {
                    room_watch = false;
                } else if activity.is_idle() {
                    tracing::debug!(%peer, "closing an idle connection to make room");
                    conn.as_mut().graceful_shutdown();
                    closing = Some((Closed::MadeRoom, Instant::now()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header_read: Duration::from_secs(2),
        idle: Duration::from_secs(5),
    };

    #[test]
    fn a_new_connection_must_send_its_head_within_the_header_timeout() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        assert_eq!(a.next(&T, t0), Next::At(t0 + T.header_read));
        assert!(!a.is_idle());
        assert_eq!(
            a.next(&T, t0 + T.header_read),
            Next::Close(Closed::HeaderTimeout)
        );
    }

    #[test]
    fn a_request_in_flight_has_no_deadline_and_then_the_idle_timeout_runs() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        a.request_started();
        assert_eq!(a.next(&T, t0 + Duration::from_secs(3600)), Next::Busy);
        a.request_finished();
        assert!(a.is_idle());
        let done = a.lock().last_io;
        assert_eq!(a.next(&T, done), Next::At(done + T.idle));
        assert_eq!(a.next(&T, done + T.idle), Next::Close(Closed::IdleTimeout));
    }

    #[test]
    fn the_first_byte_of_the_next_head_starts_the_header_timeout() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        a.request_started();
        a.request_finished();
        a.read(0);
        assert!(a.is_idle(), "end of file is no head");
        a.read(5);
        assert!(!a.is_idle());
        let since = a.lock().head_since.expect("head started");
        assert_eq!(a.next(&T, since), Next::At(since + T.header_read));
    }
}
