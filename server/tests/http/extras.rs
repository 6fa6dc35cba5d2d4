//! Operations cleanup, the database routes, metrics, examine, and the routes of
//! features this version does not provide.

use axum::http::StatusCode;
use brickyard::executor::{CommandConfig, commands};
use serde_json::json;

use crate::fixture::*;
use crate::support::*;

#[tokio::test]
async fn metrics_are_open_and_computed_per_scrape() {
    let f = fixture(8).await;
    let (cluster, nodes, devices) = f.three_nodes().await;
    f.volume(1, "m1").await;
    // No token needed.
    let a = f.send(Req::new("GET", "/metrics")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = a.body;
    for help in [
        "# HELP heketi_up Is heketi running?",
        "# HELP heketi_cluster_count Number of clusters",
        "# HELP heketi_volumes_count Number of volumes on cluster",
        "# HELP heketi_block_volumes_count Number of block volumes on cluster",
        "# HELP heketi_nodes_count Number of nodes on cluster",
        "# HELP heketi_device_count Number of devices on host",
        "# HELP heketi_device_size Total size of the device",
        "# HELP heketi_device_free Amount of Free space available on the device",
        "# HELP heketi_device_used Amount of space used on the device",
        "# HELP heketi_device_size_bytes Total size of the device in bytes",
        "# HELP heketi_device_free_bytes Amount of Free space available on the device in bytes",
        "# HELP heketi_device_used_bytes Amount of space used on the device in bytes",
        "# HELP heketi_device_brick_count Number of bricks on device",
        "# HELP heketi_operations_stale_count Number of Stale Operations",
        "# HELP heketi_operations_failed_count Number of Failed Operations",
        "# HELP heketi_operations_new_count Number of New Operations",
        "# HELP heketi_operations_total_count Total Number of Operations",
        "# HELP heketi_operations_inFlight_count Number of in flight Operations",
    ] {
        assert!(text.contains(&format!("{help}\n")), "missing {help}");
    }
    assert!(text.contains("\nheketi_up 1\n"));
    assert!(text.contains("\nheketi_cluster_count 1\n"));
    assert!(text.contains(&format!(
        "heketi_volumes_count{{cluster=\"{cluster}\"}} 1\n"
    )));
    assert!(text.contains(&format!("heketi_nodes_count{{cluster=\"{cluster}\"}} 3\n")));
    assert!(text.contains(&format!(
        "heketi_device_count{{cluster=\"{cluster}\",hostname=\"node1\",storage_hostname=\"node1\"}} 1\n"
    )));
    let dev = json_of(
        &f.send(Req::new("GET", &format!("/devices/{}", devices[0])).admin())
            .await,
    );
    let labels = format!(
        "{{cluster=\"{cluster}\",device=\"/dev/sdb\",hostname=\"node1\",id=\"{}\",pv_uuid=\"{}\",storage_hostname=\"node1\"}}",
        devices[0],
        dev["pv_uuid"].as_str().unwrap_or("")
    );
    let used = dev["storage"]["used"].as_u64().expect("used");
    assert!(used > 0);
    assert!(
        text.contains(&format!("heketi_device_used{labels} {used}\n")),
        "{text}"
    );
    assert!(text.contains(&format!(
        "heketi_device_used_bytes{labels} {}\n",
        used * 1024
    )));
    assert!(text.contains(&format!("heketi_device_brick_count{labels} 1\n")));
    assert!(
        text.contains("brickyard_operations_finished_total{outcome=\"ok\"} 7\n"),
        "{text}"
    );
    assert_eq!(nodes.len(), 3);
}

#[tokio::test]
async fn db_dump_and_check() {
    let f = fixture(8).await;
    let (cluster, _, _) = f.three_nodes().await;
    f.volume(1, "d1").await;
    let a = f.send(Req::new("GET", "/db/dump").admin()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.starts_with("{\n    \""), "indented with 4 spaces");
    assert!(a.body.ends_with("}\n"));
    let dump = json_of(&a);
    assert!(dump["clusterentries"].get(&cluster).is_some());
    assert_eq!(dump["volumeentries"].as_object().map(|m| m.len()), Some(1));

    let a = f.send(Req::new("GET", "/db/check").admin()).await;
    assert!(a.body.starts_with("{\n    \"clusters\": {"), "{}", a.body);
    let check = json_of(&a);
    assert_eq!(check["totalinconsistencies"], 0);
    assert_eq!(
        check["nodes"],
        json!({"total": 3, "pending": 0, "ok": 3, "notok": 0, "inconsistencies": []})
    );
    assert_eq!(check["bricks"]["total"], 3);
    for key in [
        "volumes",
        "devices",
        "blockvolumes",
        "dbattributes",
        "pendingoperations",
    ] {
        assert!(check.get(key).is_some(), "{key}");
    }
    let a = f.send(Req::new("GET", "/backup/db").admin()).await;
    assert_eq!(a.status, StatusCode::NOT_IMPLEMENTED);
    assert!(a.body.contains("/db/dump"), "{}", a.body);
}

#[tokio::test]
async fn examine_gluster_compares_records_with_the_nodes() {
    let f = fixture(8).await;
    let (cluster, _, _) = f.three_nodes().await;
    let vol = f.volume(1, "e1").await;
    let before = json_of(
        &f.send(Req::new("GET", "/internal/state/examine/gluster").admin())
            .await,
    );
    assert_eq!(before["total_differences"], 0);
    assert_eq!(before["clusters"][0]["gluster_volumes"], 1);
    // Remove the volume behind the records' back.
    let cfg = CommandConfig::default();
    for cmd in [
        commands::volume_stop_force(&cfg, "e1"),
        commands::volume_delete(&cfg, "e1"),
    ] {
        let out = f.mock.run_command("node1", &cmd);
        assert_eq!(out.exit_status, 0, "{cmd}: {}", out.stderr);
    }
    let a = f
        .send(Req::new("GET", "/internal/state/examine/gluster").admin())
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.starts_with("{\n    \""));
    let v = json_of(&a);
    let c = &v["clusters"][0];
    assert_eq!(c["cluster"], json!(cluster));
    let queried = c["queried_node"].as_str().unwrap_or("");
    assert!(["node1", "node2", "node3"].contains(&queried), "{queried}");
    assert_eq!(c["only_in_gluster"], json!([]));
    assert_eq!(c["only_in_records"], json!([{"id": vol, "name": "e1"}]));
    assert_eq!(v["total_differences"], 1);

    // With every node unreachable, the errors are reported.
    for n in ["node1", "node2", "node3"] {
        f.faults.set_unreachable(n, true);
    }
    let v = json_of(
        &f.send(Req::new("GET", "/internal/state/examine/gluster").admin())
            .await,
    );
    assert_eq!(v["clusters"][0]["queried_node"], json!(null));
    assert_eq!(v["clusters"][0]["errors"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn reconcile_reports_drift_and_fixes_the_safe_ones() {
    let f = fixture(8).await;
    f.three_nodes().await;
    let vol = f.volume(1, "r1").await;
    let clean = f
        .send(Req::new("POST", "/db/reconcile").admin().body("{}"))
        .await;
    assert_eq!(clean.status, StatusCode::OK, "{}", clean.body);
    assert!(clean.body.starts_with("{\n    \""), "{}", clean.body);
    let v = json_of(&clean);
    assert_eq!(v["drifts"], json!([]));
    assert_eq!(
        (v["clusters"].clone(), v["nodes"].clone()),
        (json!(1), json!(3))
    );

    // A brick unmounted and a volume stopped behind the server's back.
    let info = json_of(
        &f.send(Req::new("GET", &format!("/volumes/{vol}")).admin())
            .await,
    );
    let brick = info["bricks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["path"].as_str().is_some()))
        .cloned()
        .expect("a brick");
    let mount = brick["path"]
        .as_str()
        .unwrap()
        .trim_end_matches("/brick")
        .to_string();
    let node = json_of(
        &f.send(
            Req::new(
                "GET",
                &format!("/nodes/{}", brick["node"].as_str().unwrap()),
            )
            .admin(),
        )
        .await,
    );
    let host = node["hostnames"]["manage"][0].as_str().unwrap().to_string();
    let cfg = CommandConfig::default();
    for (h, cmd) in [
        (host.as_str(), format!("umount {mount}")),
        ("node1", commands::volume_stop_force(&cfg, "r1")),
    ] {
        let out = f.mock.run_command(h, &cmd);
        assert_eq!(out.exit_status, 0, "{cmd}: {}", out.stderr);
    }
    // Without a body: a report only.
    let v = json_of(&f.send(Req::new("POST", "/db/reconcile").admin()).await);
    let kinds: Vec<(&str, bool)> = v["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["fixable"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        vec![("brick_not_mounted", true), ("volume_not_started", false)],
        "{v}"
    );
    assert_eq!(v["drifts"][0]["subject"], brick["id"]);
    assert_eq!(v["drifts"][0]["host"], json!(host));
    assert_eq!(v["drifts"][1]["subject"], json!("r1"));
    assert!(v["drifts"][1].get("node").is_none());

    let v = json_of(
        &f.send(
            Req::new("POST", "/db/reconcile")
                .admin()
                .body(r#"{"fix": true}"#),
        )
        .await,
    );
    assert_eq!(v["fixed"][0]["kind"], json!("brick_not_mounted"), "{v}");
    assert_eq!(v["drifts"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["drifts"][0]["kind"], json!("volume_not_started"));

    // A user token may not; a body that is not the request is refused.
    let a = f
        .send(Req::new("POST", "/db/reconcile").as_("user").body("{}"))
        .await;
    assert_eq!(
        (a.status, a.body.trim()),
        (StatusCode::UNAUTHORIZED, "Administrator access required")
    );
    let a = f
        .send(
            Req::new("POST", "/db/reconcile")
                .admin()
                .body(r#"{"fixx": true}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = f.send(Req::new("GET", "/db/reconcile").admin()).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn cleanup_of_pending_operations() {
    let f = fixture(8).await;
    let a = f
        .send(
            Req::new("POST", "/operations/pending/cleanup")
                .admin()
                .body(r#"{"operations":["xyz"]}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: operations: (0: xyz is not a valid UUID.).\n"
        )
    );
    let missing = "0123456789abcdef0123456789abcdef";
    let a = f
        .send(
            Req::new("POST", "/operations/pending/cleanup")
                .admin()
                .body(&json!({"operations": [missing]}).to_string()),
        )
        .await;
    assert_eq!(
        (a.status, a.body),
        (StatusCode::NOT_FOUND, format!("Id not found: {missing}\n"))
    );
    let a = f
        .send(Req::new("GET", &format!("/operations/pending/{missing}")).admin())
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = f
        .run(Req::new("POST", "/operations/pending/cleanup").body("{}"))
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = f.send(Req::new("GET", "/operations").admin()).await;
    assert_eq!(
        a.body,
        "{\"total\":0,\"in_flight\":0,\"stale\":0,\"failed\":0,\"new\":0}\n"
    );
}

#[tokio::test]
async fn missing_features_answer_clearly() {
    let f = fixture(8).await;
    let missing = "0123456789abcdef0123456789abcdef";
    let a = f.send(Req::new("GET", "/blockvolumes").admin()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "{\"blockvolumes\":[]}\n")
    );
    let a = f
        .send(
            Req::new("POST", "/blockvolumes")
                .admin()
                .body(r#"{"size":1}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to allocate new block volume: block volumes (gluster-block) are not supported by this version of Brickyard\n"
        )
    );
    let a = f
        .send(Req::new("POST", "/blockvolumes").admin().body("{}"))
        .await;
    assert_eq!(a.body, "validation failed: size: cannot be blank.\n");
    for (method, path, body) in [
        ("GET", format!("/blockvolumes/{missing}"), ""),
        ("DELETE", format!("/blockvolumes/{missing}"), ""),
        (
            "POST",
            format!("/blockvolumes/{missing}/expand"),
            r#"{"new_size":2}"#,
        ),
        ("POST", format!("/bricks/to-evict/{missing}"), ""),
        ("POST", format!("/volumes/{missing}/clone"), "{}"),
    ] {
        let a = f.send(Req::new(method, &path).admin().body(body)).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NOT_FOUND, "Id not found\n"),
            "{method} {path}"
        );
    }
    f.three_nodes().await;
    let vol = f.volume(1, "b1").await;
    let info = json_of(
        &f.send(Req::new("GET", &format!("/volumes/{vol}")).admin())
            .await,
    );
    let brick = info["bricks"][0]["id"]
        .as_str()
        .expect("brick id")
        .to_string();
    let a = f
        .send(
            Req::new("POST", &format!("/bricks/to-evict/{brick}"))
                .admin()
                .body(r#"{"healcheck":"disable"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body
            .starts_with("Failed to set up brick eviction: No Replacement was found for resource requested to be removed: brick "),
        "{}",
        a.body
    );
    let a = f
        .send(
            Req::new("POST", &format!("/bricks/to-evict/{brick}"))
                .admin()
                .body(r#"{"healcheck":"maybe"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}
