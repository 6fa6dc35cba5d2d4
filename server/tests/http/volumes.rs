use axum::http::StatusCode;
use serde_json::json;

use crate::fixture::*;
use crate::support::*;

fn create(body: serde_json::Value) -> Req {
    Req::new("POST", "/volumes").admin().body(&body.to_string())
}

#[tokio::test]
async fn volume_lifecycle_create_expand_delete() {
    let f = fixture(8).await;
    let (cluster, _, _) = f.three_nodes().await;

    // While the create runs, the volume is invisible.
    f.gate.close();
    let a = f
        .send(create(json!({"size": 2, "name": "vol1", "durability": {"type": "replicate", "replicate": {"replica": 3}}})))
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let location = a.header("location").expect("Location").to_string();
    let a = f.send(Req::new("GET", &location).admin()).await;
    assert_eq!(a.header("x-pending"), Some("true"));
    let a = f.send(Req::new("GET", "/volumes").admin()).await;
    assert_eq!(a.body, "{\"volumes\":[]}\n");
    let ops = json_of(&f.send(Req::new("GET", "/operations").admin()).await);
    assert_eq!(
        (
            ops["total"].clone(),
            ops["in_flight"].clone(),
            ops["new"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    let pending = json_of(&f.send(Req::new("GET", "/operations/pending").admin()).await);
    let op = &pending["pendingoperations"][0];
    assert_eq!(
        (op["type_name"].clone(), op["sub_status"].clone()),
        (json!("create-volume"), json!("in-flight"))
    );
    let op_id = op["id"].as_str().expect("op id").to_string();
    let details = json_of(
        &f.send(Req::new("GET", &format!("/operations/pending/{op_id}")).admin())
            .await,
    );
    assert!(details["changes"].as_array().is_some_and(|c| !c.is_empty()));
    // A running operation cannot be cleaned up.
    let a = f
        .run(
            Req::new("POST", "/operations/pending/cleanup")
                .body(&json!({"operations": [op_id]}).to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.body);

    f.gate.open();
    let a = f.finish(&location).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let vol_path = a.header("location").expect("Location").to_string();
    let v = json_of(&f.send(Req::new("GET", &vol_path).admin()).await);
    assert_eq!(
        (v["name"].clone(), v["size"].clone(), v["cluster"].clone()),
        (json!("vol1"), json!(2), json!(cluster))
    );
    assert_eq!(v["bricks"].as_array().map(Vec::len), Some(3));
    let id = v["id"].as_str().expect("id").to_string();

    // Expand: validation, then 303 back to the volume.
    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{id}/expand"))
                .admin()
                .body("{}"),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: expand_size: cannot be blank.\n"
        )
    );
    let a = f
        .run(Req::new("POST", &format!("/volumes/{id}/expand")).body(r#"{"expand_size":1}"#))
        .await;
    assert_eq!(
        (a.status, a.header("location")),
        (StatusCode::SEE_OTHER, Some(vol_path.as_str()))
    );
    let v = json_of(&f.send(Req::new("GET", &vol_path).admin()).await);
    assert_eq!(v["size"], 3);
    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{id}/expand"))
                .admin()
                .body(r#"{"expand_size":100000}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.starts_with("Failed to allocate volume expansion: "),
        "{}",
        a.body
    );

    // Block restrictions are refused clearly.
    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{id}/block-restriction"))
                .admin()
                .body(r#"{"restriction":"locked"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to set block restriction: Block restrictions can only be set on block hosting volumes\n"
        )
    );
    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{id}/block-restriction"))
                .admin()
                .body(r#"{"restriction":"x"}"#),
        )
        .await;
    assert_eq!(
        a.body,
        "validation failed: restriction: must be a valid value.\n"
    );

    // Delete: 204, then 404.
    let a = f.run(Req::new("DELETE", &vol_path)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = f.send(Req::new("GET", &vol_path).admin()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
    let a = f.send(Req::new("DELETE", &vol_path).admin()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn volume_clone_answers_303_to_the_clone() {
    let f = fixture(8).await;
    let (cluster, _, _) = f.three_nodes().await;
    let a = f
        .send(
            Req::new("POST", &format!("/clusters/{cluster}/flags"))
                .admin()
                .body(r#"{"block":true,"file":true}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = f
        .run(create(json!({"size": 2, "name": "src", "durability": {"type": "replicate", "replicate": {"replica": 3}}})))
        .await;
    let src_path = a.header("location").expect("Location").to_string();
    let id = src_path.trim_start_matches("/volumes/").to_string();

    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{id}/clone"))
                .admin()
                .body(r#"{"name":"bad name"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: name: must be in a valid format.\n"
        )
    );
    let a = f
        .run(Req::new("POST", &format!("/volumes/{id}/clone")).body(r#"{"name":"c1"}"#))
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let clone_path = a.header("location").expect("Location").to_string();
    assert_ne!(clone_path, src_path);
    let v = json_of(&f.send(Req::new("GET", &clone_path).admin()).await);
    assert_eq!(
        (v["name"].clone(), v["size"].clone()),
        (json!("c1"), json!(2))
    );
    let bricks = v["bricks"].as_array().expect("bricks");
    assert_eq!(bricks.len(), 3);
    assert!(
        bricks.iter().all(|b| b["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/run/gluster/snaps/"))),
        "{v}"
    );
    let list = json_of(&f.send(Req::new("GET", "/volumes").admin()).await);
    assert_eq!(list["volumes"].as_array().map(Vec::len), Some(2));

    // Deleting the source leaves the clone.
    let a = f.run(Req::new("DELETE", &src_path)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = f.send(Req::new("GET", &clone_path).admin()).await;
    assert_eq!(a.status, StatusCode::OK);

    // A block-hosting volume is refused as Heketi refuses it.
    let a = f
        .run(create(json!({"size": 2, "block": true, "durability": {"type": "replicate", "replicate": {"replica": 3}}})))
        .await;
    let block = a
        .header("location")
        .expect("Location")
        .trim_start_matches("/volumes/")
        .to_string();
    let a = f
        .send(
            Req::new("POST", &format!("/volumes/{block}/clone"))
                .admin()
                .body("{}"),
        )
        .await;
    assert_eq!(
        (a.status, a.body),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Failed clone volume {block}: Cloning of block hosting volumes is not supported\n"
            )
        )
    );
}

#[tokio::test]
async fn volume_create_errors_are_synchronous() {
    let f = fixture(8).await;
    let a = f.send(create(json!({"size": 1}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::BAD_REQUEST, "No clusters configured\n")
    );
    // Heketi checks the clusters before the minimum size (8+3 needs 8 GiB).
    let small = json!({"size": 1, "durability": {"type": "disperse", "disperse": {"data": 8, "redundancy": 3}}});
    let a = f.send(create(small.clone())).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::BAD_REQUEST, "No clusters configured\n")
    );
    f.three_nodes().await;
    let a = f.send(create(small)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.starts_with(
            "Requested volume size (1 GB) is smaller than the minimum supported volume size"
        ),
        "{}",
        a.body
    );
    let a = f.send(Req::new("POST", "/volumes").admin().body("")).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "request unable to be parsed\n"
        )
    );
    let a = f.send(create(json!({"size": 0}))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = f.send(create(json!({"size": 1, "name": "bad name"}))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = f
        .send(create(
            json!({"size": 1, "clusters": ["0123456789abcdef0123456789abcdef"]}),
        ))
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "Cluster id 0123456789abcdef0123456789abcdef not found\n"
        )
    );
    let a = f.send(create(json!({"size": 100000}))).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.starts_with("Failed to allocate new volume: "),
        "{}",
        a.body
    );
    assert_eq!(f.state.queue.in_flight(), 0);

    // The dry run answers the same errors, or the plan.
    let plan = |body: serde_json::Value| {
        Req::new("POST", "/volumes/plan")
            .admin()
            .body(&body.to_string())
    };
    let a = f.send(plan(json!({"size": 100000}))).await;
    assert!(
        a.body.starts_with("Failed to allocate new volume: "),
        "{}",
        a.body
    );
    let a = f
        .send(plan(
            json!({"size": 2, "durability": {"type": "replicate", "replicate": {"replica": 3}}}),
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let p = json_of(&a);
    assert_eq!(p["sets"].as_array().map(Vec::len), Some(1));
    assert_eq!(p["sets"][0].as_array().map(Vec::len), Some(3));
    assert_eq!(
        json_of(&f.send(Req::new("GET", "/volumes").admin()).await)["volumes"],
        json!([])
    );
}

#[tokio::test]
async fn volume_delete_conflicts() {
    let f = fixture(8).await;
    f.three_nodes().await;
    let db = f.volume(1, "heketidbstorage").await;
    let a = f
        .send(Req::new("DELETE", &format!("/volumes/{db}")).admin())
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::CONFLICT,
            "Cannot delete volume containing the Heketi database\n"
        )
    );
    let vol = f.volume(1, "busy").await;
    // A second delete while the first runs: the volume is pending.
    f.gate.close();
    let a = f
        .send(Req::new("DELETE", &format!("/volumes/{vol}")).admin())
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let a = f
        .send(Req::new("DELETE", &format!("/volumes/{vol}")).admin())
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to set up volume delete: The target exists, contains other items, or is in use.\n"
        )
    );
    f.gate.open();
    f.settle().await;
}

#[tokio::test]
async fn throttled_with_one_slot_while_an_operation_runs() {
    let f = fixture(1).await;
    f.three_nodes().await;
    f.gate.close();
    let a = f.send(create(json!({"size": 1}))).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    // Heketi answers its synchronous checks before it throttles.
    let missing = "0123456789abcdef0123456789abcdef";
    for (req, status, text) in [
        (
            create(json!({"size": 0})),
            StatusCode::BAD_REQUEST,
            "validation failed: size: cannot be blank.\n".to_string(),
        ),
        (
            create(json!({"size": 1, "clusters": [missing]})),
            StatusCode::BAD_REQUEST,
            format!("Cluster id {missing} not found\n"),
        ),
        (
            Req::new("DELETE", &format!("/volumes/{missing}")).admin(),
            StatusCode::NOT_FOUND,
            "Id not found\n".to_string(),
        ),
        (
            Req::new("POST", &format!("/volumes/{missing}/expand"))
                .admin()
                .body(r#"{"expand_size":1}"#),
            StatusCode::NOT_FOUND,
            "Id not found\n".to_string(),
        ),
    ] {
        let a = f.send(req).await;
        assert_eq!((a.status, a.body), (status, text));
    }
    for req in [
        create(json!({"size": 1})),
        Req::new("POST", "/operations/pending/cleanup")
            .admin()
            .body("{}"),
    ] {
        let a = f.send(req).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (
                StatusCode::TOO_MANY_REQUESTS,
                "Server busy. Retry operation later.\n"
            )
        );
    }
    // Synchronous routes still answer.
    assert_eq!(
        f.send(Req::new("GET", "/clusters").admin()).await.status,
        StatusCode::OK
    );
    f.gate.open();
    f.settle().await;
    assert_eq!(
        f.send(create(json!({"size": 1}))).await.status,
        StatusCode::ACCEPTED
    );
    f.settle().await;
}

#[tokio::test]
async fn user_role_may_list_and_create_volumes_only() {
    let f = fixture(8).await;
    f.three_nodes().await;
    let a = f
        .send(
            Req::new("POST", "/volumes")
                .as_("user")
                .body(r#"{"size":1}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let location = a.header("location").expect("Location").to_string();
    let a = f.send(Req::new("GET", &location).as_("user")).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::UNAUTHORIZED, "Administrator access required\n")
    );
    f.settle().await;
    let a = f.send(Req::new("GET", "/volumes").as_("user")).await;
    assert_eq!(json_of(&a)["volumes"].as_array().map(Vec::len), Some(1));
    for (method, path) in [
        ("GET", "/clusters"),
        ("GET", "/volumes/plan"),
        ("POST", "/volumes/plan"),
    ] {
        let a = f.send(Req::new(method, path).as_("user").body("{}")).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn failed_create_is_a_500_at_the_queue_and_leaves_no_volume() {
    let f = fixture(8).await;
    f.three_nodes().await;
    f.faults.fail_matching(
        |_, cmd| cmd.contains("volume create"),
        brickyard::executor::Fault::failed(),
        false,
    );
    let a = f
        .run(Req::new("POST", "/volumes").body(r#"{"size":1}"#))
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(a.body.contains("injected failure"), "{}", a.body);
    // The queue's 500 names the engine's error kind for Brickyard clients.
    assert_eq!(a.header("x-brickyard-error-kind"), Some("exec"));
    assert_eq!(a.header("x-brickyard-error-reasons"), None);
    f.faults.clear();
    let a = f.send(Req::new("GET", "/volumes").admin()).await;
    assert_eq!(a.body, "{\"volumes\":[]}\n");
}

#[tokio::test]
async fn no_space_keeps_heketis_text_and_sends_kind_and_per_device_reasons() {
    let f = fixture(8).await;
    let (_, nodes, devices) = f.three_nodes().await;
    let a = f
        .run(Req::new("POST", &format!("/nodes/{}/state", nodes[0])).body(r#"{"state":"offline"}"#))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);

    let a = f
        .send(create(
            json!({"size": 1, "durability": {"type": "replicate", "replicate": {"replica": 3}}}),
        ))
        .await;
    // Heketi's answer: 500 with the plain-text message (and the summary in it).
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body
            .starts_with("Failed to allocate new volume: No space"),
        "{}",
        a.body
    );
    assert!(a.body.contains("only 2 nodes qualify"), "{}", a.body);
    assert!(a.body.ends_with('\n') && !a.body.trim_end().contains('\n'));
    assert_eq!(a.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(a.header("x-brickyard-error-kind"), Some("no_space"));
    assert_eq!(a.header("x-brickyard-error-reasons-omitted"), None);
    let reasons: serde_json::Value = serde_json::from_str(
        a.header("x-brickyard-error-reasons")
            .expect("reasons header"),
    )
    .expect("reasons are JSON");
    let reasons = reasons.as_array().expect("a list");
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    let offline = reasons
        .iter()
        .find(|r| r["node"] == nodes[0].as_str())
        .expect("the offline node is explained");
    assert_eq!(offline["device"], devices[0].as_str());
    assert_eq!(offline["reason"], "device or node is not online");
    for r in reasons {
        let keys: Vec<&str> = r
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["device", "node", "reason"]);
    }

    // The plan endpoint answers the same way; other errors carry their own kind only.
    let a = f
        .send(
            Req::new("POST", "/volumes/plan")
                .admin()
                .body(r#"{"size":1,"durability":{"type":"replicate","replicate":{"replica":3}}}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.body);
    assert_eq!(a.header("x-brickyard-error-kind"), Some("no_space"));
    assert!(a.header("x-brickyard-error-reasons").is_some());
    let a = f
        .send(Req::new("GET", "/volumes/0123456789abcdef0123456789abcdef").admin())
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
    assert_eq!(a.header("x-brickyard-error-kind"), Some("not_found"));
    assert_eq!(a.header("x-brickyard-error-reasons"), None);
    // Router errors are not engine errors: no kind.
    let a = f.send(Req::new("GET", "/volumes/zz").admin()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.header("x-brickyard-error-kind"), None);
}

#[tokio::test]
async fn names_and_options_that_cannot_be_made_are_refused_and_duplicates_quoted() {
    let f = fixture(8).await;
    f.three_nodes().await;
    // A leading '-' passes Heketi's pattern but gluster would take it for an option.
    let a = f
        .send(create(json!({"size": 1, "name": "-adminvol"})))
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: name: must not start with '-' (gluster would read it as an option).\n"
        )
    );
    let a = f
        .send(create(
            json!({"size": 1, "glustervolumeoptions": ["x.y $(reboot)"]}),
        ))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        a.body
            .starts_with("Invalid volume option 'x.y $(reboot)': "),
        "{}",
        a.body
    );
    // Nothing was reserved for either.
    assert_eq!(f.state.queue.in_flight(), 0);
    assert!(f.state.engine.state().volumes.is_empty());
    assert!(f.state.engine.state().pending.is_empty());

    let a = f.run(create(json!({"size": 1, "name": "adminvol"}))).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = f.send(create(json!({"size": 1, "name": "adminvol"}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to allocate new volume: Volume name 'adminvol' already in use\n"
        )
    );
}
