use axum::http::StatusCode;
use serde_json::json;

use crate::fixture::*;
use crate::support::*;

#[tokio::test]
async fn node_add_is_async_and_ends_in_see_other() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    f.gate.close();
    let body = json!({"zone": 1, "cluster": cluster,
        "hostnames": {"manage": ["n1"], "storage": ["10.0.0.1"]}, "tags": {"rack": "a"}});
    let a = f
        .send(Req::new("POST", "/nodes").admin().body(&body.to_string()))
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::ACCEPTED, ""));
    let location = a.header("location").expect("Location").to_string();
    assert!(location.starts_with("/queue/"));
    let a = f.send(Req::new("GET", &location).admin()).await;
    assert_eq!(
        (a.status, a.header("x-pending")),
        (StatusCode::OK, Some("true"))
    );

    // The hostname is claimed while the addition runs.
    let a = f
        .send(Req::new("POST", "/nodes").admin().body(&body.to_string()))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);

    f.gate.open();
    let a = f.finish(&location).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let node_path = a.header("location").expect("Location").to_string();
    let a = f.send(Req::new("GET", &node_path).admin()).await;
    let v = json_of(&a);
    assert_eq!(v["state"], "online");
    assert_eq!(v["tags"], json!({"rack": "a"}));
    assert_eq!(v["devices"], json!([]));
    let id = v["id"].as_str().expect("id");

    let a = f
        .send(Req::new("POST", "/nodes").admin().body(&body.to_string()))
        .await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::CONFLICT,
            format!("Hostname n1 already used by node with id {id}\n")
        )
    );
    // Done entries are reported once.
    let a = f.send(Req::new("GET", &location).admin()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn node_add_errors() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    // Heketi v10 validates first (ozzo texts): its older handler checks (`Manage
    // hostname missing`, `Zone cannot be zero or value is missing`, …) never answer.
    let cases = [
        (
            json!({"zone": 1, "cluster": cluster, "hostnames": {"storage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: hostnames: (manage: cannot be blank.).".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": cluster, "hostnames": {"manage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: hostnames: (storage: cannot be blank.).".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": cluster}),
            StatusCode::BAD_REQUEST,
            "validation failed: hostnames: (manage: cannot be blank; storage: cannot be blank.)."
                .to_string(),
        ),
        (
            json!({"cluster": cluster, "hostnames": {"manage": ["a"], "storage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: zone: cannot be blank.".to_string(),
        ),
        (
            json!({"zone": -2, "cluster": cluster, "hostnames": {"manage": ["a"], "storage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: zone: must be no less than 1.".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": cluster, "hostnames": {"manage": ["", "b"], "storage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: hostnames: (manage: [ b] is not a valid manage hostname.).".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": cluster, "hostnames": {"manage": ["a"], "storage": ["a"]}, "tags": {"bad key": "x"}}),
            StatusCode::BAD_REQUEST,
            "validation failed: tags: invalid characters in tag name bad key.".to_string(),
        ),
        (
            json!({"hostnames": {"manage": ["a"]}, "tags": {"bad key": "x"}}),
            StatusCode::BAD_REQUEST,
            "validation failed: cluster: cannot be blank; hostnames: (storage: cannot be blank.); tags: invalid characters in tag name bad key; zone: cannot be blank.".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": "xyz", "hostnames": {"manage": ["a"], "storage": ["a"]}}),
            StatusCode::BAD_REQUEST,
            "validation failed: cluster: xyz is not a valid UUID.".to_string(),
        ),
        (
            json!({"zone": 1, "cluster": "0123456789abcdef0123456789abcdef", "hostnames": {"manage": ["a"], "storage": ["a"]}}),
            StatusCode::NOT_FOUND,
            "Cluster id does not exist".to_string(),
        ),
    ];
    for (body, status, text) in cases {
        let a = f
            .send(Req::new("POST", "/nodes").admin().body(&body.to_string()))
            .await;
        assert_eq!((a.status, a.body), (status, format!("{text}\n")), "{body}");
    }
    let a = f
        .send(Req::new("POST", "/nodes").admin().body("nope"))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        f.state.queue.in_flight(),
        0,
        "refused requests give their slot back"
    );
}

#[tokio::test]
async fn node_state_tags_and_delete() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    let node = f.node(&cluster, "n1", 1).await;
    let path = format!("/nodes/{node}");

    for (body, text) in [
        ("{}", "validation failed: state: cannot be blank."),
        (
            r#"{"state":"up"}"#,
            "validation failed: state: up is not valid state.",
        ),
    ] {
        let a = f
            .send(
                Req::new("POST", &format!("{path}/state"))
                    .admin()
                    .body(body),
            )
            .await;
        assert_eq!(
            (a.status, a.body),
            (StatusCode::BAD_REQUEST, format!("{text}\n"))
        );
    }
    let a = f
        .send(
            Req::new("POST", "/nodes/0123456789abcdef0123456789abcdef/state")
                .admin()
                .body(r#"{"state":"offline"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );

    // online → failed is refused at the queue, online → offline works.
    let a = f
        .run(
            Req::new("POST", &format!("{path}/state")).body(r#"{"state":"failed","healcheck":""}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(a.body.contains("must be offline"), "{}", a.body);
    let a = f
        .run(Req::new("POST", &format!("{path}/state")).body(r#"{"state":"offline"}"#))
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = f.send(Req::new("GET", &path).admin()).await;
    assert_eq!(json_of(&a)["state"], "offline");

    let tags = |body: &str| Req::new("POST", &format!("{path}/tags")).admin().body(body);
    let a = f
        .send(tags(r#"{"tags":{"a":"1","b":"2"},"change_type":"set"}"#))
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "{\"a\":\"1\",\"b\":\"2\"}\n")
    );
    let a = f
        .send(tags(r#"{"tags":{"b":""},"change_type":"delete"}"#))
        .await;
    assert_eq!(a.body, "{\"a\":\"1\"}\n");
    let a = f
        .send(tags(r#"{"tags":{"x y":"1"},"change_type":"update"}"#))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = f.send(tags(r#"{"tags":{}}"#)).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: change_type: cannot be blank.\n"
        )
    );
    let a = f.send(tags(r#"{"tags":{}, "change_type":"merge"}"#)).await;
    assert_eq!(
        a.body,
        "validation failed: change_type: must be a valid value.\n"
    );

    // Delete: 409 while it has devices, then 204 and 404.
    f.device(&node, "/dev/sdb").await;
    let a = f.send(Req::new("DELETE", &path).admin()).await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::CONFLICT,
            format!("Unable to delete node [{node}] because it contains devices\n")
        )
    );
}

#[tokio::test]
async fn node_delete_ends_in_204_then_404() {
    let f = fixture(8).await;
    let cluster = f.cluster().await;
    let node = f.node(&cluster, "n1", 1).await;
    let path = format!("/nodes/{node}");
    let a = f.run(Req::new("DELETE", &path)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = f.send(Req::new("GET", &path).admin()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
    let a = f.send(Req::new("DELETE", &path).admin()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn node_and_device_checks_answer_before_a_full_queue() {
    let f = fixture(1).await;
    let (cluster, nodes, devices) = f.three_nodes().await;
    f.gate.close();
    let create = Req::new("POST", "/volumes").admin().body(r#"{"size":1}"#);
    assert_eq!(f.send(create).await.status, StatusCode::ACCEPTED);
    // The one slot is taken: Heketi's synchronous checks still answer first.
    let missing = "0123456789abcdef0123456789abcdef";
    let node_add = |manage: &str, cluster: &str| {
        Req::new("POST", "/nodes").body(
            &json!({"zone": 1, "cluster": cluster,
                    "hostnames": {"manage": [manage], "storage": [manage]}})
            .to_string(),
        )
    };
    for (req, status, text) in [
        (
            node_add("node9", missing),
            StatusCode::NOT_FOUND,
            "Cluster id does not exist\n".to_string(),
        ),
        (
            node_add("node1", &cluster),
            StatusCode::CONFLICT,
            format!("Hostname node1 already used by node with id {}\n", nodes[0]),
        ),
        (
            Req::new("DELETE", &format!("/nodes/{missing}")),
            StatusCode::NOT_FOUND,
            "Id not found\n".to_string(),
        ),
        (
            Req::new("DELETE", &format!("/nodes/{}", nodes[0])),
            StatusCode::CONFLICT,
            format!(
                "Unable to delete node [{}] because it contains devices\n",
                nodes[0]
            ),
        ),
        (
            Req::new("POST", &format!("/nodes/{missing}/state")).body(r#"{"state":"offline"}"#),
            StatusCode::NOT_FOUND,
            "Id not found\n".to_string(),
        ),
        (
            Req::new("POST", "/devices")
                .body(&json!({"name": "/dev/sdc", "node": missing}).to_string()),
            StatusCode::NOT_FOUND,
            "Node id does not exist\n".to_string(),
        ),
        (
            Req::new("DELETE", &format!("/devices/{}", devices[0])),
            StatusCode::BAD_REQUEST,
            format!("device: {} is not in failed state\n", devices[0]),
        ),
        (
            Req::new("GET", &format!("/devices/{missing}/resync")),
            StatusCode::NOT_FOUND,
            "Id not found\n".to_string(),
        ),
    ] {
        let a = f.send(req.admin()).await;
        assert_eq!((a.status, a.body), (status, text));
    }
    // Requests that pass every check wait for a slot; the node add given up here
    // releases its hostname.
    for req in [
        node_add("node4", &cluster),
        Req::new("POST", "/devices")
            .body(&json!({"name": "/dev/sdc", "node": nodes[0]}).to_string()),
        Req::new("POST", &format!("/nodes/{}/state", nodes[0])).body(r#"{"state":"offline"}"#),
    ] {
        let a = f.send(req.admin()).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (
                StatusCode::TOO_MANY_REQUESTS,
                "Server busy. Retry operation later.\n"
            )
        );
    }
    f.gate.open();
    f.settle().await;
    let a = f.run(node_add("node4", &cluster).admin()).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = f
        .run(
            Req::new("POST", "/devices")
                .admin()
                .body(&json!({"name": "/dev/sdc", "node": nodes[0]}).to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
}
