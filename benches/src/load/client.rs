//! One simulated client: a keep-alive HTTP/1.1 connection (reopened after an error or
//! a close by the server) and Heketi's JWT on every request.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;

/// Where and as whom the clients talk.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// JWT issuer (`admin`) and key; `None` sends no token (auth disabled).
    pub auth: Option<(String, String)>,
}

/// An answer: status, the headers the protocol uses, the body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub pending: bool,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "answer {} is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
            )
        })
    }

    /// The body as text (for error messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(500)]).into_owned()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    qsh: String,
}

/// A client connection.
pub struct Client {
    target: Target,
    key: Option<EncodingKey>,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Requests sent (all kinds).
    pub requests: u64,
    /// Connections opened.
    pub connects: u64,
}

impl Client {
    pub fn new(target: &Target) -> Client {
        Client {
            key: target
                .auth
                .as_ref()
                .map(|(_, key)| EncodingKey::from_secret(key.as_bytes())),
            target: target.clone(),
            sender: None,
            requests: 0,
            connects: 0,
        }
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.target.addr)
            .await
            .with_context(|| format!("connecting to {}", self.target.addr))?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        self.connects += 1;
        Ok(sender)
    }

    fn token(&self, method: &str, path: &str) -> Result<Option<String>> {
        let (Some((iss, _)), Some(key)) = (&self.target.auth, &self.key) else {
            return Ok(None);
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let path = path.split('?').next().unwrap_or(path);
        let claims = Claims {
            iss,
            iat: now,
            exp: now + 300,
            qsh: hex::encode(Sha256::digest(format!("{method}&{path}"))),
        };
        Ok(Some(format!(
            "bearer {}",
            encode(&Header::default(), &claims, key)?
        )))
    }

    /// One request; a request that fails on a reused connection (closed by the server
    /// meanwhile) is sent once more on a new one.
    pub async fn call(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Answer> {
        match self.call_once(method, path, body).await {
            Ok(answer) => Ok(answer),
            Err(first) => {
                self.sender = None;
                self.call_once(method, path, body)
                    .await
                    .map_err(|e| anyhow!("{method} {path}: {e:#} (first attempt: {first:#})"))
            }
        }
    }

    async fn call_once(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Answer> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        sender.ready().await?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.target.addr.to_string());
        if let Some(token) = self.token(method, path)? {
            request = request.header(header::AUTHORIZATION, token);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))?;
        self.requests += 1;
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let answer = Answer {
            status: parts.status,
            location: header("location"),
            pending: header("x-pending").as_deref() == Some("true"),
            body,
        };
        self.sender = Some(sender);
        Ok(answer)
    }
}
