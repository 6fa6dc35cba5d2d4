use axum::Router;
use axum::http::StatusCode;
use brickyard_server::auth::qsh;
use brickyard_server::routes::{router_with_table, table};
use brickyard_server::{AppState, router};
use serde_json::json;

use crate::support::*;

/// The whole server (its `/volumes` routes test the user role).
fn app(state: AppState) -> Router {
    router_with_table(state.clone(), table(state))
}

async fn refused(req: Req) -> (StatusCode, String) {
    let a = req.send(&app(state(8).await)).await;
    assert_eq!(a.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
    (a.status, a.body)
}

fn bearer(claims: serde_json::Value) -> String {
    format!("bearer {}", sign(ADMIN_KEY, claims))
}

#[tokio::test]
async fn missing_and_malformed_headers() {
    let r = refused(Req::new("GET", "/admin")).await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            "Required authorization token not found\n".into()
        )
    );
    // Unknown paths are behind authentication too.
    let r = refused(Req::new("GET", "/no/such/path")).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);
    for bad in ["token-only", "Basic abc", "bearer a b"] {
        let r = refused(Req::new("GET", "/admin").authorization(bad)).await;
        assert_eq!(
            r,
            (
                StatusCode::BAD_REQUEST,
                "Authorization header format must be Bearer {token}\n".into()
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn valid_tokens_pass_whatever_the_scheme_case() {
    let app = app(state(8).await);
    let t = token("admin", "GET", "/admin");
    for scheme in ["bearer", "Bearer", "BEARER"] {
        let a = Req::new("GET", "/admin")
            .authorization(&format!("{scheme} {t}"))
            .send(&app)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{scheme}: {}", a.body);
    }
    // qsh covers the path only, not the query string.
    let a = Req::new("GET", "/admin?verbose=1").admin().send(&app).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn time_claims() {
    let t = now();
    let q = qsh("GET", "/admin");
    let expired = bearer(json!({"iss": "admin", "iat": t - 200, "exp": t - 100, "qsh": q}));
    let r = refused(Req::new("GET", "/admin").authorization(&expired)).await;
    let (status, body) = r;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body == "Invalid JWT token: Token is expired by 1m40s\n"
            || body == "Invalid JWT token: Token is expired by 1m41s\n",
        "{body}"
    );
    // The Python client signs exp = iat + 1 s: a few seconds late is still accepted.
    let python = bearer(json!({"iss": "admin", "iat": t - 6, "exp": t - 5, "qsh": q}));
    let a = Req::new("GET", "/admin")
        .authorization(&python)
        .send(&app(state(8).await))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    let no_exp = bearer(json!({"iss": "admin", "iat": t, "qsh": q}));
    let r = refused(Req::new("GET", "/admin").authorization(&no_exp)).await;
    assert_eq!(r.1, "Invalid JWT token: Token missing exp claim\n");

    let future = bearer(json!({"iss": "admin", "iat": t + 600, "exp": t + 900, "qsh": q}));
    let r = refused(Req::new("GET", "/admin").authorization(&future)).await;
    assert_eq!(
        r.1,
        "Invalid JWT token: Token used before issued (client and server clocks may differ)\n"
    );
    // Within the 120 s iat leeway.
    let skewed = bearer(json!({"iss": "admin", "iat": t + 60, "exp": t + 300, "qsh": q}));
    let a = Req::new("GET", "/admin")
        .authorization(&skewed)
        .send(&app(state(8).await))
        .await;
    assert_eq!(a.status, StatusCode::OK);

    let nbf = bearer(json!({"iss": "admin", "nbf": t + 600, "exp": t + 900, "qsh": q}));
    let r = refused(Req::new("GET", "/admin").authorization(&nbf)).await;
    assert_eq!(r.1, "Invalid JWT token: token is not valid yet\n");
}

#[tokio::test]
async fn signature_issuer_algorithm_and_qsh() {
    let good = token("admin", "GET", "/admin");
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let t = now();
    let forged = serde_json::json!({"iss": "admin", "exp": t + 3600, "qsh": qsh("GET", "/admin")});
    parts[1] = b64url(forged.to_string().as_bytes());
    let r =
        refused(Req::new("GET", "/admin").authorization(&format!("bearer {}", parts.join("."))))
            .await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            "Invalid JWT token: signature is invalid (client and server secrets may not match)\n"
                .into()
        )
    );
    // Signed with the user key but claiming admin.
    let wrong_key = sign(
        USER_KEY,
        json!({"iss": "admin", "exp": t + 60, "qsh": qsh("GET", "/admin")}),
    );
    let r = refused(Req::new("GET", "/admin").authorization(&format!("bearer {wrong_key}"))).await;
    assert!(r.1.contains("signature is invalid"), "{}", r.1);

    let unknown = bearer(json!({"iss": "root", "exp": t + 60, "qsh": qsh("GET", "/admin")}));
    let r = refused(Req::new("GET", "/admin").authorization(&unknown)).await;
    assert_eq!(r.1, "Invalid JWT token: Unknown user\n");
    let no_iss = bearer(json!({"exp": t + 60, "qsh": qsh("GET", "/admin")}));
    let r = refused(Req::new("GET", "/admin").authorization(&no_iss)).await;
    assert_eq!(r.1, "Invalid JWT token: Token missing iss claim\n");

    let rs = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        parts[1],
        parts[2]
    );
    let r = refused(Req::new("GET", "/admin").authorization(&format!("bearer {rs}"))).await;
    assert_eq!(r.1, "Invalid JWT token: Unexpected signing method: RS256\n");

    let r = refused(Req::new("GET", "/admin").authorization("bearer not-a-jwt")).await;
    assert_eq!(
        r.1,
        "Invalid JWT token: token contains an invalid number of segments\n"
    );

    // A token for another path or method.
    let other = format!("bearer {}", token("admin", "POST", "/admin"));
    let r = refused(Req::new("GET", "/admin").authorization(&other)).await;
    assert_eq!(
        r,
        (
            StatusCode::UNAUTHORIZED,
            "Invalid qsh claim in token\n".into()
        )
    );
}

#[tokio::test]
async fn user_role_is_limited_to_exact_volumes_path() {
    let app = app(state(8).await);
    let a = Req::new("GET", "/volumes").as_("user").send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "{\"volumes\":[]}\n")
    );
    // The user reaches the create handler (which answers: no clusters yet).
    let a = Req::new("POST", "/volumes")
        .as_("user")
        .body(r#"{"size":1}"#)
        .send(&app)
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::BAD_REQUEST, "No clusters configured\n")
    );
    for path in ["/volumes/abc", "/admin", "/queue/abc", "/nowhere"] {
        let a = Req::new("GET", path).as_("user").send(&app).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::UNAUTHORIZED, "Administrator access required\n"),
            "{path}"
        );
    }
    let a = Req::new("GET", "/volumes/abc").admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
}

#[tokio::test]
async fn disabled_auth_ignores_the_header() {
    let app = router(open_state().await);
    let a = Req::new("GET", "/admin").send(&app).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = Req::new("GET", "/admin")
        .authorization("garbage")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn hello_is_outside_authentication_and_the_admin_gate() {
    let s = state(8).await;
    s.admin.set(brickyard_server::admin::AdminMode::ReadOnly);
    let a = Req::new("GET", "/hello").send(&router(s)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "Hello from Heketi");
    assert_eq!(a.header("content-type"), Some("text/plain; charset=UTF-8"));
}
