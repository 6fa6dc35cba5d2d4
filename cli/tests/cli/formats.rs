//! Human and `--json` output against the transcript's exact bytes.

use crate::support::{Canned, Fake, fixture, run};
use crate::transcript::{self, CLUSTER, VOLUME};

#[test]
fn volume_info_matches_transcript() {
    let fake = transcript::server();
    let r = run(&fake, &["volume", "info", VOLUME]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("volume_info.txt"));
    assert_eq!(r.stderr, "");
}

#[test]
fn volume_info_json_is_compact_without_newline() {
    let fake = transcript::server();
    let r = run(&fake, &["volume", "info", VOLUME, "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("volume_info.json"));
}

#[test]
fn volume_list_matches_transcript() {
    let fake = transcript::server();
    let r = run(&fake, &["volume", "list"]);
    assert_eq!(r.stdout, fixture("volume_list.txt"));
    assert_eq!(r.code, 0);
}

#[test]
fn cluster_list_text_and_json_match_transcript() {
    let fake = transcript::server();
    let r = run(&fake, &["cluster", "list"]);
    assert_eq!(r.stdout, fixture("cluster_list.txt"));
    let r = run(&fake, &["--json", "cluster", "list"]);
    assert_eq!(r.stdout, fixture("cluster_list.json"));
}

#[test]
fn topology_info_matches_transcript() {
    let fake = transcript::server();
    let r = run(&fake, &["topology", "info"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("topology_info.txt"));
    // Brickyard's one-request route first; Heketi answers 404, so the Go client's
    // TopologyInfo() follows: clusters, each cluster, its volumes, its nodes.
    assert_eq!(
        fake.calls(),
        vec![
            "GET /topology".to_string(),
            "GET /clusters".to_string(),
            format!("GET /clusters/{CLUSTER}"),
            format!("GET /volumes/{VOLUME}"),
            format!("GET /nodes/{}", transcript::NODES[0]),
            format!("GET /nodes/{}", transcript::NODES[1]),
            format!("GET /nodes/{}", transcript::NODES[2]),
        ]
    );
}

#[test]
fn topology_info_takes_one_request_where_the_server_has_the_topology_route() {
    // The JSON of the per-item answers, as `GET /topology` gives it.
    let per_item = transcript::server();
    let json = run(&per_item, &["--json", "topology", "info"]);
    assert_eq!(json.code, 0, "{json:?}");
    let fake = Fake::start();
    fake.get_json("/topology", &json.stdout);
    let r = run(&fake, &["topology", "info"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("topology_info.txt"));
    assert_eq!(fake.calls(), vec!["GET /topology".to_string()]);
}

/// The topology answer is read as it arrives: a failed answer still shows the server's
/// message, and a cut or malformed one a clear error, not a partial text.
#[test]
fn topology_info_reports_bad_topology_answers() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/topology",
        vec![Canned::new(500, "database is locked")],
    );
    let r = run(&fake, &["topology", "info"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("database is locked"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");

    let fake = Fake::start();
    fake.get_json(
        "/topology",
        r#"{"clusters":[{"id":"c1","volumes":[{"name":"v"#,
    );
    let r = run(&fake, &["topology", "info"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("unable to parse the server's answer"),
        "{r:?}"
    );
    assert!(r.stdout.is_empty(), "{r:?}");
}

#[test]
fn volume_create_posts_heketi_cli_request_and_prints_info() {
    let fake = transcript::server();
    fake.on("POST", "/volumes", vec![Canned::accepted("q1")]);
    fake.on(
        "GET",
        "/queue/q1",
        vec![Canned::see_other(&format!("/volumes/{VOLUME}"))],
    );
    let r = run(&fake, &["volume", "create", "--size=1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("volume_info.txt"));
    let post = &fake.requests()[0];
    assert_eq!(post.path, "/volumes");
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        post.body,
        r#"{"size":1,"name":"","durability":{"type":"replicate","replicate":{"replica":3},"disperse":{"data":4,"redundancy":2}},"snapshot":{"enable":false,"factor":0}}"#
    );
}

#[test]
fn volume_create_flags_take_both_cobra_syntaxes() {
    let fake = transcript::server();
    fake.on("POST", "/volumes", vec![Canned::accepted("q1")]);
    fake.on(
        "GET",
        "/queue/q1",
        vec![Canned::see_other(&format!("/volumes/{VOLUME}"))],
    );
    let r = run(
        &fake,
        &[
            "volume",
            "create",
            "--size",
            "5",
            "--durability=disperse",
            "--snapshot-factor",
            "1.5",
            "--clusters=a,b",
            "--gluster-volume-options=x 1,y 2",
            "--gid=7",
            "--block",
            "--name",
            "v1",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let body: serde_json::Value = serde_json::from_str(&fake.requests()[0].body).expect("json");
    assert_eq!(body["size"], 5);
    assert_eq!(body["name"], "v1");
    assert_eq!(body["durability"]["type"], "disperse");
    assert_eq!(body["clusters"], serde_json::json!(["a", "b"]));
    assert_eq!(
        body["glustervolumeoptions"],
        serde_json::json!(["x 1", "y 2"])
    );
    assert_eq!(body["gid"], 7);
    assert_eq!(body["block"], true);
    assert_eq!(
        body["snapshot"],
        serde_json::json!({"enable": true, "factor": 1.5})
    );
}

#[test]
fn node_info_pads_device_lines() {
    let fake = transcript::server();
    let r = run(&fake, &["node", "info", transcript::NODES[0]]);
    assert_eq!(r.code, 0, "{r:?}");
    let expected = format!(
        "Node Id: {n}\nState: online\nCluster Id: {CLUSTER}\nZone: 2\nManagement Hostname: 127.0.0.12\nStorage Hostname: 127.0.0.12\nDevices:\n\
         Id:8761bef11940f1bd418d552b99e8e29e   Name:/dev/sdb            State:online    Size (GiB):500     Used (GiB):1       Free (GiB):498     Bricks:1       \n",
        n = transcript::NODES[0]
    );
    assert_eq!(r.stdout, expected);
}

#[test]
fn cluster_info_and_node_list_texts() {
    let fake = transcript::server();
    let r = run(&fake, &["cluster", "info", CLUSTER]);
    let n = transcript::NODES;
    assert_eq!(
        r.stdout,
        format!(
            "Cluster id: {CLUSTER}\nNodes:\n{}\n{}\n{}\nVolumes:\n{VOLUME}\nBlock: true\n\nFile: true\n",
            n[0], n[1], n[2]
        )
    );
    let r = run(&fake, &["node", "list"]);
    assert_eq!(
        r.stdout,
        format!(
            "Id:{}\tCluster:{CLUSTER}\nId:{}\tCluster:{CLUSTER}\nId:{}\tCluster:{CLUSTER}\n",
            n[0], n[1], n[2]
        )
    );
}

#[test]
fn dry_run_prints_the_plan_table() {
    let fake = transcript::server();
    fake.on(
        "POST",
        "/volumes/plan",
        vec![Canned::json(
            200,
            r#"{"cluster":"c1","sets":[[{"device":"d1","node":"n1","host":"h1","size":1048576,"tp_size":1048576,"metadata_size":8192,"arbiter":false},{"device":"d2","node":"n2","host":"h2","size":16384,"tp_size":16384,"metadata_size":8192,"arbiter":true}]]}"#,
        )],
    );
    let r = run(&fake, &["volume", "create", "--size=1", "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .starts_with("Dry run: no volume created\nCluster: c1\nBrick sets: 1  Bricks: 2\n"),
        "{}",
        r.stdout
    );
    let rows: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("1 ")).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains("d1") && rows[0].contains("h1") && rows[0].ends_with("data"));
    assert!(rows[1].contains("0.02") && rows[1].ends_with("arbiter"));
    assert_eq!(fake.calls(), vec!["POST /volumes/plan".to_string()]);
}

#[test]
fn db_reconcile_prints_a_table_or_the_report_as_json() {
    let report = r#"{
    "drifts": [
        {"kind": "fstab_line_missing", "cluster": "c1", "node": "n1", "host": "h1", "subject": "b1",
         "detail": "no fstab line mounts /dev/mapper/vg_d1-brick_b1", "fixable": true, "fix_error": "mount failed"},
        {"kind": "volume_missing", "cluster": "c1", "subject": "vol_x", "detail": "gone", "fixable": false}
    ],
    "fixed": [
        {"kind": "brick_not_mounted", "cluster": "c1", "node": "n2", "host": "h2", "subject": "b2",
         "detail": "not mounted", "fixable": true}
    ],
    "skipped": [],
    "clusters": 1,
    "nodes": 3
}"#;
    let fake = crate::support::Fake::start();
    fake.on(
        "POST",
        "/db/reconcile",
        vec![Canned::json(200, report), Canned::json(200, report)],
    );
    let r = run(&fake, &["db", "reconcile", "--fix"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "Fixed (1):\n\
         KIND               HOST  SUBJECT\n\
         brick_not_mounted  h2    b2\n    not mounted\n\
         \n\
         Drift (2; 0 fixable with --fix, 2 need a person; 1 cluster(s), 3 node(s) compared):\n\
         KIND                HOST  SUBJECT  FIX\n\
         fstab_line_missing  h1    b1       failed\n    no fstab line mounts /dev/mapper/vg_d1-brick_b1\n    fix failed: mount failed\n\
         volume_missing      -     vol_x    a person\n    gone\n"
    );
    let sent = fake.requests();
    assert_eq!(sent[0].body, r#"{"fix":true}"#);
    let r = run(&fake, &["db", "reconcile", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["drifts"][1]["kind"], "volume_missing");
    assert_eq!(fake.requests()[1].body, r#"{"fix":false}"#);
}
