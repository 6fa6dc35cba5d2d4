use axum::http::StatusCode;

use crate::fixture::*;
use crate::support::*;

#[tokio::test]
async fn cluster_lifecycle_and_errors() {
    let f = fixture(8).await;
    let a = f
        .send(Req::new("POST", "/clusters").admin().body("{}"))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v = json_of(&a);
    let id = v["id"].as_str().expect("id").to_string();
    assert_eq!(
        a.body,
        format!(
            "{{\"id\":\"{id}\",\"nodes\":[],\"volumes\":[],\"block\":false,\"file\":false,\"blockvolumes\":[]}}\n"
        )
    );

    let a = f.send(Req::new("GET", "/clusters").admin()).await;
    assert_eq!(a.body, format!("{{\"clusters\":[\"{id}\"]}}\n"));

    let a = f
        .send(
            Req::new("POST", &format!("/clusters/{id}/flags"))
                .admin()
                .body(r#"{"block":true,"file":true}"#),
        )
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, ""));
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let a = f
        .send(Req::new("GET", &format!("/clusters/{id}")).admin())
        .await;
    assert_eq!(
        (json_of(&a)["block"].clone(), json_of(&a)["file"].clone()),
        (true.into(), true.into())
    );

    // A cluster with a node cannot be deleted.
    let node = f.node(&id, "n1", 1).await;
    let a = f
        .send(Req::new("DELETE", &format!("/clusters/{id}")).admin())
        .await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::CONFLICT,
            format!("Unable to delete cluster [{id}] because it contains volumes and/or nodes\n")
        )
    );
    let a = f.run(Req::new("DELETE", &format!("/nodes/{node}"))).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = f
        .send(Req::new("DELETE", &format!("/clusters/{id}")).admin())
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, ""));
    assert_eq!(a.header("content-type"), None);
    let a = f
        .send(Req::new("GET", &format!("/clusters/{id}")).admin())
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
}

#[tokio::test]
async fn cluster_request_errors() {
    let f = fixture(8).await;
    for body in ["", "{", "[]", "[true]"] {
        let a = f
            .send(Req::new("POST", "/clusters").admin().body(body))
            .await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "request unable to be parsed\n"
            ),
            "{body:?}"
        );
    }
    let missing = "0123456789abcdef0123456789abcdef";
    for (method, path, body) in [
        ("DELETE", format!("/clusters/{missing}"), ""),
        ("POST", format!("/clusters/{missing}/flags"), "{}"),
    ] {
        let a = f.send(Req::new(method, &path).admin().body(body)).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NOT_FOUND, "Id not found\n")
        );
    }
    let a = f.send(Req::new("PUT", "/clusters").admin()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "")
    );
    let a = f.send(Req::new("GET", "/clusters/not-hex").admin()).await;
    assert_eq!(a.body, "Invalid path or request\n");
}
