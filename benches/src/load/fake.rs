//! A server that answers Heketi's volume protocol instantly (no engine, no token
//! check): `POST /volumes` → `202 /queue/<n>`, the first poll → `303 /volumes/<n>`,
//! `GET /volumes/<n>` → a small volume, `DELETE /volumes/<n>` → `202`, its poll →
//! `204`. It measures what the load generator itself can sustain.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Starts the fake server on 127.0.0.1 (an ephemeral port) in the current runtime.
pub async fn start() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let next = Arc::new(AtomicU64::new(1));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let next = next.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let next = next.clone();
                    async move { Ok::<_, Infallible>(answer(&req, &next)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn redirect(status: StatusCode, location: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    if !location.is_empty()
        && let Ok(value) = location.parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn answer(req: &Request<Incoming>, next: &AtomicU64) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    let method = req.method().as_str();
    match (
        method,
        path.strip_prefix("/volumes/"),
        path.strip_prefix("/queue/"),
    ) {
        ("POST", _, _) if path == "/volumes" => {
            let n = next.fetch_add(1, Ordering::Relaxed);
            redirect(StatusCode::ACCEPTED, format!("/queue/c{n:031x}"))
        }
        ("DELETE", Some(id), _) => redirect(StatusCode::ACCEPTED, format!("/queue/d{}", &id[1..])),
        ("GET", _, Some(q)) if q.starts_with('c') => {
            redirect(StatusCode::SEE_OTHER, format!("/volumes/{:0>32}", &q[1..]))
        }
        ("GET", _, Some(_)) => redirect(StatusCode::NO_CONTENT, String::new()),
        ("GET", Some(id), _) => {
            let body = format!(
                "{{\"size\":1,\"name\":\"vol_{id}\",\"durability\":{{\"type\":\"replicate\",\"replicate\":{{\"replica\":3}}}},\"id\":\"{id}\",\"cluster\":\"c\",\"bricks\":[]}}\n"
            );
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json; charset=UTF-8"),
            );
            response
        }
        _ => {
            let mut response =
                Response::new(Full::new(Bytes::from_static(b"404 page not found\n")));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}
