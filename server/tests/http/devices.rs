use axum::http::StatusCode;
use brickyard::executor::Fault;
use serde_json::json;

use crate::fixture::*;
use crate::support::*;

#[tokio::test]
async fn device_lifecycle() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    let node = f.node(&cluster, "n1", 1).await;
    let device = f.device(&node, "/dev/sdb").await;
    let path = format!("/devices/{device}");

    let a = f.send(Req::new("GET", &path).admin()).await;
    let v = json_of(&a);
    assert_eq!(
        (v["name"].clone(), v["state"].clone()),
        (json!("/dev/sdb"), json!("online"))
    );
    assert!(v["storage"]["total"].as_u64().unwrap_or(0) > 0);

    // Resync is a GET answered asynchronously, with Go's HTML body.
    let a = f
        .send(Req::new("GET", &format!("{path}/resync")).admin())
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let location = a.header("location").expect("Location").to_string();
    assert_eq!(a.body, format!("<a href=\"{location}\">Accepted</a>.\n\n"));
    assert_eq!(f.finish(&location).await.status, StatusCode::NO_CONTENT);

    let a = f
        .send(
            Req::new("POST", &format!("{path}/tags"))
                .admin()
                .body(r#"{"tags":{"ssd":"yes"},"change_type":"update"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "{\"ssd\":\"yes\"}\n")
    );

    // Delete needs the failed state: 400 first.
    let a = f.send(Req::new("DELETE", &path).admin()).await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::BAD_REQUEST,
            format!("device: {device} is not in failed state\n")
        )
    );
    for state in ["offline", "failed"] {
        let a = f
            .run(
                Req::new("POST", &format!("{path}/state"))
                    .body(&json!({"state": state}).to_string()),
            )
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{state}: {}", a.body);
    }
    // failed → online is refused at the queue.
    let a = f
        .run(Req::new("POST", &format!("{path}/state")).body(r#"{"state":"online"}"#))
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot move a failed/removed device to online state\n"
        )
    );
    // The Python client sends `{}` on DELETE: parsed as options.
    let a = f.run(Req::new("DELETE", &path).body("{}")).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = f.send(Req::new("GET", &path).admin()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn device_add_errors_and_failures() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    let node = f.node(&cluster, "n1", 1).await;
    let add =
        |body: serde_json::Value| Req::new("POST", "/devices").admin().body(&body.to_string());
    let a = f.send(add(json!({"node": node}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: name: cannot be blank.\n"
        )
    );
    let a = f
        .send(add(
            json!({"node": "0123456789abcdef0123456789abcdef", "name": "/dev/sdb"}),
        ))
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Node id does not exist\n")
    );
    let a = f.send(Req::new("POST", "/devices").admin().body("{")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A failing pvcreate surfaces at the queue as 500 with the command's error.
    f.faults
        .fail_matching(|_, cmd| cmd.contains("pvcreate"), Fault::failed(), true);
    let a = f
        .run(
            Req::new("POST", "/devices")
                .body(&json!({"node": node, "name": "/dev/sdc"}).to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(a.body.contains("injected failure"), "{}", a.body);
    f.faults.clear();

    // A bad optional DELETE body is 422.
    let device = f.device(&node, "/dev/sdd").await;
    let a = f
        .send(
            Req::new("DELETE", &format!("/devices/{device}"))
                .admin()
                .body("nope"),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
}
