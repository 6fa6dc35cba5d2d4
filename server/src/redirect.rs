//! Redirect-style answers (`202`/`301`/`303` with a relative `Location`) as Go's
//! `http.Redirect` writes them: for a GET it adds `Content-Type: text/html;
//! charset=utf-8` and the body `<a href="LOCATION">Status Text</a>.\n\n`; other
//! methods get an empty body. Handlers build [`redirect`] answers without a body and
//! the [`go_redirect_body`] middleware adds the GET body in one place.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A `status` answer with `Location: location` (kept relative, never made absolute).
pub fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => {
            crate::error::AppError::internal(format!("invalid redirect location {location:?}"))
                .into_response()
        }
    }
}

/// Middleware: for GET and HEAD requests, a `202`/`3xx` answer with a `Location` and
/// no `Content-Type` gets Go's small HTML body (only GET gets the body itself).
pub async fn go_redirect_body(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let mut response = next.run(req).await;
    if method != Method::GET && method != Method::HEAD {
        return response;
    }
    let status = response.status();
    let redirect_like = status == StatusCode::ACCEPTED || status.is_redirection();
    if !redirect_like || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if method == Method::GET {
        let text = status.canonical_reason().unwrap_or("");
        let body = format!("<a href=\"{}\">{text}</a>.\n\n", html_escape(&location));
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body);
    }
    response
}

/// Go's `htmlEscape` (the characters `<>&'"`).
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_kept_relative() {
        let r = redirect(StatusCode::SEE_OTHER, "/volumes/ab");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[header::LOCATION], "/volumes/ab");
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn html_escape_matches_go() {
        assert_eq!(
            html_escape(r#"/a?b=<c>&d='e'"f""#),
            "/a?b=&lt;c&gt;&amp;d=&#39;e&#39;&#34;f&#34;"
        );
    }
}
