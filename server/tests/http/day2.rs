//! Day-2 routes: brick eviction, device and node removal through `state: failed`.

use axum::http::StatusCode;
use serde_json::json;

use crate::fixture::*;
use crate::support::*;

async fn four_nodes(f: &Fixture) -> (Vec<String>, Vec<String>) {
    let (cluster, mut nodes, mut devices) = f.three_nodes().await;
    let node = f.node(&cluster, "node4", 1).await;
    devices.push(f.device(&node, "/dev/sdb").await);
    nodes.push(node);
    (nodes, devices)
}

fn brick_ids(f_info: &serde_json::Value) -> Vec<String> {
    f_info["bricks"]
        .as_array()
        .expect("bricks")
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn brick_evict_runs_through_the_queue() {
    let f = fixture(8).await;
    four_nodes(&f).await;
    let vol = f.volume(1, "v1").await;
    let info = json_of(
        &f.send(Req::new("GET", &format!("/volumes/{vol}")).admin())
            .await,
    );
    let before = brick_ids(&info);
    let a = f
        .run(Req::new("POST", &format!("/bricks/to-evict/{}", before[0])))
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let info = json_of(
        &f.send(Req::new("GET", &format!("/volumes/{vol}")).admin())
            .await,
    );
    let after = brick_ids(&info);
    assert_eq!(after.len(), 3);
    assert!(!after.contains(&before[0]));
    assert_eq!(after[1..], before[1..]);
    // The evicted brick is gone.
    let a = f
        .send(
            Req::new("POST", &format!("/bricks/to-evict/{}", before[0]))
                .admin()
                .body(r#"{"healcheck":"disable"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
    let a = f.send(Req::new("GET", "/operations/pending").admin()).await;
    assert_eq!(json_of(&a)["pendingoperations"], json!([]));
}

#[tokio::test]
async fn device_remove_and_node_remove_move_the_bricks() {
    let f = fixture(8).await;
    let (nodes, devices) = four_nodes(&f).await;
    f.volume(2, "v1").await;
    f.volume(3, "v2").await;
    let dev = &devices[0];
    let path = format!("/devices/{dev}");
    let a = f
        .run(Req::new("POST", &format!("{path}/state")).body(r#"{"state":"failed"}"#))
        .await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Device must be offline before remove operation is performed, device:{dev}\n")
        )
    );
    for state in ["offline", "failed"] {
        let a = f
            .run(
                Req::new("POST", &format!("{path}/state"))
                    .body(&json!({"state": state, "healcheck": "disable"}).to_string()),
            )
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{state}: {}", a.body);
    }
    let d = json_of(&f.send(Req::new("GET", &path).admin()).await);
    assert_eq!(d["state"], json!("failed"));
    assert_eq!(d["bricks"], json!([]));
    let a = f.run(Req::new("DELETE", &path)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);

    // Node 2 now goes: its bricks need a node without a brick of their set, and only
    // three nodes remain for replica 3.
    let node = &nodes[1];
    let npath = format!("/nodes/{node}");
    let a = f
        .run(Req::new("POST", &format!("{npath}/state")).body(r#"{"state":"offline"}"#))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = f
        .run(Req::new("POST", &format!("{npath}/state")).body(r#"{"state":"failed"}"#))
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.starts_with(&format!(
            "Unable to remove node [{node}] as no device was found to replace device [{}]: No Replacement was found",
            devices[1]
        )),
        "{}",
        a.body
    );
    // With a fifth node it works.
    let cluster = json_of(&f.send(Req::new("GET", &npath).admin()).await)["cluster"]
        .as_str()
        .expect("cluster")
        .to_string();
    let n5 = f.node(&cluster, "node5", 2).await;
    f.device(&n5, "/dev/sdb").await;
    let a = f
        .run(Req::new("POST", &format!("{npath}/state")).body(r#"{"state":"failed"}"#))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    let n = json_of(&f.send(Req::new("GET", &npath).admin()).await);
    assert_eq!(n["state"], json!("failed"));
    let a = f.send(Req::new("GET", "/db/check").admin()).await;
    assert_eq!(json_of(&a)["totalinconsistencies"], json!(0), "{}", a.body);
}

#[tokio::test]
async fn device_and_node_replace_redirect_to_the_new_record() {
    let f = fixture(8).await;
    let (_, nodes, devices) = f.three_nodes().await;
    f.volume(2, "v1").await;
    let a = f
        .send(
            Req::new("POST", &format!("/devices/{}/replace", devices[0]))
                .admin()
                .body(r#"{"name":"","healcheck":""}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::BAD_REQUEST, "name: cannot be blank.\n")
    );
    let a = f
        .send(
            Req::new("POST", &format!("/devices/{}/replace", devices[0]))
                .admin()
                .body(r#"{"name":"/dev/sdc","healcheck":"maybe"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = f
        .send(
            Req::new("POST", "/devices/0123456789abcdef0123456789abcdef/replace")
                .admin()
                .body(r#"{"name":"/dev/sdc"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
    let a = f
        .run(
            Req::new("POST", &format!("/devices/{}/replace", devices[0]))
                .body(r#"{"name":"/dev/sdc"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let location = a.header("location").expect("location").to_string();
    let d = json_of(&f.send(Req::new("GET", &location).admin()).await);
    assert_eq!(d["name"], json!("/dev/sdc"));
    assert_eq!(d["bricks"].as_array().map(Vec::len), Some(1));
    let a = f
        .send(Req::new("GET", &format!("/devices/{}", devices[0])).admin())
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let body =
        json!({"hostnames": {"manage": ["node9"], "storage": ["node9"]}, "devices": ["/dev/sdb"]});
    let a = f
        .run(Req::new("POST", &format!("/nodes/{}/replace", nodes[1])).body(&body.to_string()))
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let location = a.header("location").expect("location").to_string();
    let n = json_of(&f.send(Req::new("GET", &location).admin()).await);
    assert_eq!(n["zone"], json!(2));
    assert_eq!(n["devices"][0]["bricks"].as_array().map(Vec::len), Some(1));
    let a = f
        .send(Req::new("GET", &format!("/nodes/{}", nodes[1])).admin())
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = f.send(Req::new("GET", "/db/check").admin()).await;
    assert_eq!(json_of(&a)["totalinconsistencies"], json!(0), "{}", a.body);
}
