//! CSI conformance suite: every RPC the driver offers, over its unix socket with a
//! tonic client, against a real `brickyard serve` (mock executor) — results,
//! idempotency, error codes, pagination and concurrent creates.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use brickyard_csi::backend::Backend;
use brickyard_csi::mounter::SystemMounter;
use brickyard_csi::proto::controller_service_capability;
use brickyard_csi::proto::node_service_capability;
use brickyard_csi::proto::plugin_capability;
use brickyard_csi::proto::volume_capability::access_mode::Mode as AccessMode;
use brickyard_csi::proto::volume_usage::Unit;
use brickyard_csi::proto::*;
use brickyard_csi::server::Mode;
use support::*;
use tonic::Code;

fn code<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(s) => s.code(),
    }
}

async fn controller_driver(rest: &RestServer) -> Driver {
    Driver::start(
        Mode::Controller,
        Some(rest.backend()),
        Arc::new(FakeMounter::default()),
    )
    .await
}

// ----- identity -----

#[tokio::test]
async fn identity_info_capabilities_and_probe() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let info = d
        .identity
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "brickyard.gluster.io");
    assert_eq!(info.vendor_version, env!("CARGO_PKG_VERSION"));

    let caps = d
        .identity
        .get_plugin_capabilities(GetPluginCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner()
        .capabilities;
    let controller = plugin_capability::Type::Service(plugin_capability::Service {
        r#type: plugin_capability::service::Type::ControllerService as i32,
    });
    let online = plugin_capability::Type::VolumeExpansion(plugin_capability::VolumeExpansion {
        r#type: plugin_capability::volume_expansion::Type::Online as i32,
    });
    let types: Vec<_> = caps.into_iter().filter_map(|c| c.r#type).collect();
    assert!(types.contains(&controller), "{types:?}");
    assert!(types.contains(&online), "{types:?}");

    let probe = d
        .identity
        .probe(ProbeRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(probe.ready, Some(true));
    d.stop().await;

    // A back end that cannot be reached: the probe says UNAVAILABLE.
    let gone = Backend::new("http://127.0.0.1:1", "admin", SECRET);
    let mut d = Driver::start(
        Mode::Controller,
        Some(gone),
        Arc::new(FakeMounter::default()),
    )
    .await;
    assert_eq!(
        code(d.identity.probe(ProbeRequest {}).await),
        Code::Unavailable
    );
    d.stop().await;

    // A node plugin: no controller capability, always ready, no Controller service.
    let mut d = Driver::start(Mode::Node, None, Arc::new(FakeMounter::default())).await;
    let caps = d
        .identity
        .get_plugin_capabilities(GetPluginCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner()
        .capabilities;
    assert!(!caps.iter().any(|c| c.r#type.as_ref() == Some(&controller)));
    assert_eq!(
        d.identity
            .probe(ProbeRequest {})
            .await
            .unwrap()
            .into_inner()
            .ready,
        Some(true)
    );
    assert_eq!(
        code(
            d.controller
                .controller_get_capabilities(ControllerGetCapabilitiesRequest {})
                .await
        ),
        Code::Unimplemented
    );
    d.stop().await;
}

// ----- controller -----

#[tokio::test]
async fn controller_capabilities() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let caps = d
        .controller
        .controller_get_capabilities(ControllerGetCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner()
        .capabilities;
    let rpcs: HashSet<i32> = caps
        .iter()
        .filter_map(|c| {
            c.r#type
                .as_ref()
                .map(|controller_service_capability::Type::Rpc(r)| r.r#type)
        })
        .collect();
    use controller_service_capability::rpc::Type;
    let want: HashSet<i32> = [
        Type::CreateDeleteVolume,
        Type::ListVolumes,
        Type::GetCapacity,
        Type::ExpandVolume,
    ]
    .iter()
    .map(|t| *t as i32)
    .collect();
    assert_eq!(rpcs, want);
    // Not offered: answered UNIMPLEMENTED.
    assert_eq!(
        code(
            d.controller
                .controller_publish_volume(ControllerPublishVolumeRequest::default())
                .await
        ),
        Code::Unimplemented
    );
    assert_eq!(
        code(
            d.controller
                .create_snapshot(CreateSnapshotRequest::default())
                .await
        ),
        Code::Unimplemented
    );
    d.stop().await;
}

#[tokio::test]
async fn create_volume_rounds_up_and_is_idempotent() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let mut req = create_req("pvc-idem", GIB + 1, &rest);
    req.parameters.insert("gidMin".into(), "40000".into());
    req.parameters.insert("gidMax".into(), "40010".into());
    let v = d
        .controller
        .create_volume(req.clone())
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(
        v.capacity_bytes,
        2 * GIB,
        "rounded up to whole GiB, reported as created"
    );
    let ctx = &v.volume_context;
    assert_eq!(ctx.get("volume").map(String::as_str), Some("pvc-idem"));
    let hosts = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];
    let server = ctx.get("server").expect("server");
    assert!(hosts.contains(&server.as_str()), "{ctx:?}");
    let backups: Vec<&str> = ctx["backup-volfile-servers"].split(',').collect();
    assert_eq!(backups.len(), 2, "{ctx:?}");
    assert!(!backups.contains(&server.as_str()));
    assert_eq!(ctx.get("gid").map(String::as_str), Some("40000"));

    // On the back end: a 2 GiB replica-3 volume of that name and GID, snapshots on.
    let heketi_id = v.volume_id.split('/').next().unwrap().to_string();
    let info = rest.client().volume_info(&heketi_id).unwrap();
    assert_eq!(info.info.request.size, 2);
    assert_eq!(info.info.request.name, "pvc-idem");
    assert_eq!(info.info.request.gid, 40000);
    assert_eq!(info.info.request.durability.replicate.replica, 3);
    assert!(info.info.request.snapshot.enable);

    // Same name and capacity: the same volume, nothing new on the back end.
    let again = d
        .controller
        .create_volume(req.clone())
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(again.volume_id, v.volume_id);
    assert_eq!(again.capacity_bytes, v.capacity_bytes);
    assert_eq!(rest.client().volume_list().unwrap().volumes.len(), 1);
    // A restarted controller (empty caches) finds it too.
    d.stop().await;
    let mut d = controller_driver(&rest).await;
    let again = d
        .controller
        .create_volume(req.clone())
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(again.volume_id, v.volume_id);

    // Same name, other capacity: ALREADY_EXISTS.
    let mut bigger = req.clone();
    bigger.capacity_range = Some(CapacityRange {
        required_bytes: 5 * GIB,
        limit_bytes: 0,
    });
    assert_eq!(
        code(d.controller.create_volume(bigger).await),
        Code::AlreadyExists
    );

    // The next volume gets the next GID.
    let mut second = req.clone();
    second.name = "pvc-idem-2".into();
    let v2 = d
        .controller
        .create_volume(second)
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(
        v2.volume_context.get("gid").map(String::as_str),
        Some("40001")
    );
    assert_eq!(rest.client().volume_list().unwrap().volumes.len(), 2);
    d.stop().await;
}

#[tokio::test]
async fn create_volume_errors() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let ok = create_req("pvc-err", GIB, &rest);

    let mut r = ok.clone();
    r.name.clear();
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "no name"
    );

    let mut r = ok.clone();
    r.volume_capabilities.clear();
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "no capabilities"
    );

    let mut r = ok.clone();
    r.volume_capabilities = vec![block_cap()];
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "block"
    );

    let mut r = ok.clone();
    r.volume_capabilities = vec![mount_cap(AccessMode::Unknown)];
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "no mode"
    );

    let mut r = ok.clone();
    r.parameters
        .insert("volumetype".into(), "disperse:4".into());
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "volumetype"
    );

    let mut r = ok.clone();
    r.parameters.insert("nonsense".into(), "1".into());
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "unknown key"
    );

    let mut r = ok.clone();
    r.capacity_range = Some(CapacityRange {
        required_bytes: GIB + 1,
        limit_bytes: GIB + 2,
    });
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::OutOfRange,
        "limit"
    );

    let mut r = ok.clone();
    r.volume_content_source = Some(VolumeContentSource::default());
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::InvalidArgument,
        "clone"
    );

    // 3 × 500 GiB of devices: 1000 GiB replica 3 does not fit.
    let r = create_req("pvc-huge", 1000 * GIB, &rest);
    let e = d.controller.create_volume(r).await.unwrap_err();
    assert_eq!(
        e.code(),
        Code::ResourceExhausted,
        "no space: {}",
        e.message()
    );

    // Wrong key: the back end refuses the token.
    let mut r = ok.clone();
    r.parameters.insert("restuserkey".into(), "wrong".into());
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::Unauthenticated,
        "bad key"
    );

    // Unreachable back end.
    let mut r = ok.clone();
    r.parameters
        .insert("resturl".into(), "http://127.0.0.1:1".into());
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::Unavailable,
        "unreachable"
    );

    // A GID range with no free GID left.
    let mut r = ok.clone();
    r.parameters.insert("gidMin".into(), "3000".into());
    r.parameters.insert("gidMax".into(), "3000".into());
    d.controller.create_volume(r.clone()).await.unwrap();
    r.name = "pvc-err-2".into();
    assert_eq!(
        code(d.controller.create_volume(r).await),
        Code::ResourceExhausted,
        "no GID"
    );

    // None of the failures left a volume behind.
    assert_eq!(rest.client().volume_list().unwrap().volumes.len(), 1);
    d.stop().await;
}

#[tokio::test]
async fn create_volume_with_the_in_tree_parameters() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let cluster = rest.client().cluster_list().unwrap().clusters[0].clone();
    let mut r = create_req("pvc-7a1b", 3 * GIB, &rest);
    r.volume_capabilities = vec![
        mount_cap(AccessMode::SingleNodeWriter),
        mount_cap(AccessMode::MultiNodeReaderOnly),
    ];
    r.parameters = map(&[
        ("resturl", &rest.url),
        ("restuser", "admin"),
        // Key from the provisioner secret (csi.storage.k8s.io/provisioner-secret-*).
        ("restauthenabled", "true"),
        ("clusterid", &cluster),
        ("volumetype", "disperse:2:1"),
        (
            "volumeoptions",
            "performance.quick-read off, performance.io-cache off",
        ),
        ("volumenameprefix", "dept-dev"),
        ("snapfactor", "10"),
        ("gidMin", "40000"),
        ("csi.storage.k8s.io/pvc/name", "claim1"),
        ("csi.storage.k8s.io/pvc/namespace", "default"),
    ]);
    r.secrets = map(&[("key", SECRET)]);
    let v = d
        .controller
        .create_volume(r)
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(v.capacity_bytes, 3 * GIB);
    let id = v.volume_id.split('/').next().unwrap().to_string();
    let info = rest.client().volume_info(&id).unwrap();
    assert_eq!(info.info.request.name, "dept-dev_default_claim1_pvc-7a1b");
    assert_eq!(info.info.cluster, cluster);
    assert_eq!(info.info.request.durability.kind, "disperse");
    assert_eq!(info.info.request.durability.disperse.data, 2);
    assert_eq!(info.info.request.durability.disperse.redundancy, 1);
    assert_eq!(info.info.request.snapshot.factor, 10.0);
    // (The answer may carry empty entries besides the options; only the options matter.)
    let options: Vec<&str> = info
        .info
        .request
        .glustervolumeoptions
        .iter()
        .map(String::as_str)
        .filter(|o| !o.is_empty())
        .collect();
    assert_eq!(
        options,
        vec!["performance.quick-read off", "performance.io-cache off"]
    );
    // No such cluster: the back end says so, INVALID_ARGUMENT or NOT_FOUND, not a crash.
    let mut r = create_req("pvc-nocluster", GIB, &rest);
    r.parameters.insert(
        "clusterid".into(),
        "00000000000000000000000000000000".into(),
    );
    let c = code(d.controller.create_volume(r).await);
    assert!(matches!(c, Code::NotFound | Code::InvalidArgument), "{c:?}");
    d.stop().await;
}

#[tokio::test]
async fn concurrent_creates_of_one_name_make_one_volume() {
    let rest = RestServer::start();
    let d = controller_driver(&rest).await;
    // Through a proxy that counts the creates the back end receives: one, not
    // one per call refused as a duplicate name.
    let proxy = CountingProxy::start(&rest.url, "POST /volumes ").await;
    let mut req = create_req("pvc-race", GIB, &rest);
    req.parameters.insert("resturl".into(), proxy.url.clone());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut c = d.controller.clone();
        let r = req.clone();
        tasks.push(tokio::spawn(async move { c.create_volume(r).await }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        let v = t
            .await
            .unwrap()
            .expect("every create succeeds")
            .into_inner()
            .volume
            .unwrap();
        ids.insert(v.volume_id);
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(rest.client().volume_list().unwrap().volumes.len(), 1);
    assert_eq!(proxy.count(), 1, "POST /volumes sent to the back end");

    // Concurrent creates of different names get different GIDs.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let mut c = d.controller.clone();
        let mut r = create_req(&format!("pvc-gid-{i}"), GIB, &rest);
        r.parameters.insert("gidMin".into(), "45000".into());
        tasks.push(tokio::spawn(async move { c.create_volume(r).await }));
    }
    let mut gids = HashSet::new();
    for t in tasks {
        let v = t
            .await
            .unwrap()
            .expect("create")
            .into_inner()
            .volume
            .unwrap();
        gids.insert(v.volume_context["gid"].clone());
    }
    let want: HashSet<String> = (45000..45004).map(|g: i64| g.to_string()).collect();
    assert_eq!(gids, want);
    d.stop().await;
}

/// Two controllers (a leader change while a create runs) race on one name: the
/// back end refuses the second create; that controller answers with the first
/// one's volume or ALREADY_EXISTS (the CO retries), never a second volume.
#[tokio::test]
async fn two_controllers_racing_on_one_name_make_one_volume() {
    let rest = RestServer::start();
    let a = controller_driver(&rest).await;
    let b = controller_driver(&rest).await;
    let req = create_req("pvc-leader", GIB, &rest);
    let (mut ca, mut cb) = (a.controller.clone(), b.controller.clone());
    let (ra, rb) = tokio::join!(ca.create_volume(req.clone()), cb.create_volume(req.clone()));
    let mut ids = HashSet::new();
    for r in [ra, rb] {
        match r {
            Ok(v) => {
                ids.insert(v.into_inner().volume.unwrap().volume_id);
            }
            Err(s) => assert_eq!(s.code(), Code::AlreadyExists, "{s:?}"),
        }
    }
    // The CO's retry gets the one volume from either controller.
    for c in [&mut ca, &mut cb] {
        let v = c
            .create_volume(req.clone())
            .await
            .unwrap()
            .into_inner()
            .volume
            .unwrap();
        ids.insert(v.volume_id);
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(rest.client().volume_list().unwrap().volumes.len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn delete_volume() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let v = d
        .controller
        .create_volume(create_req("pvc-del", GIB, &rest))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    let del = DeleteVolumeRequest {
        volume_id: v.volume_id.clone(),
        secrets: map(&[("key", SECRET)]),
    };
    d.controller.delete_volume(del.clone()).await.unwrap();
    assert!(rest.client().volume_list().unwrap().volumes.is_empty());
    // Again, and an id that never existed, and one this driver cannot have made: all succeed.
    d.controller.delete_volume(del.clone()).await.unwrap();
    let unknown = format!("0123456789abcdef0123456789abcdef/admin/{}", rest.url);
    d.controller
        .delete_volume(DeleteVolumeRequest {
            volume_id: unknown,
            secrets: Default::default(),
        })
        .await
        .unwrap();
    d.controller
        .delete_volume(DeleteVolumeRequest {
            volume_id: "foreign-id".into(),
            secrets: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(
        code(
            d.controller
                .delete_volume(DeleteVolumeRequest::default())
                .await
        ),
        Code::InvalidArgument
    );
    // The name is free again: a create makes a new volume.
    let again = d
        .controller
        .create_volume(create_req("pvc-del", GIB, &rest))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_ne!(again.volume_id, v.volume_id);
    // Without secrets, the controller's own key for its default back end is used.
    d.controller
        .delete_volume(DeleteVolumeRequest {
            volume_id: again.volume_id,
            secrets: Default::default(),
        })
        .await
        .unwrap();
    assert!(rest.client().volume_list().unwrap().volumes.is_empty());

    // A back end that cannot be reached: UNAVAILABLE (the CO retries), not success.
    let gone = "0123456789abcdef0123456789abcdef/admin/http://127.0.0.1:1".to_string();
    assert_eq!(
        code(
            d.controller
                .delete_volume(DeleteVolumeRequest {
                    volume_id: gone,
                    secrets: Default::default()
                })
                .await
        ),
        Code::Unavailable
    );
    d.stop().await;
}

#[tokio::test]
async fn expand_volume() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let v = d
        .controller
        .create_volume(create_req("pvc-grow", GIB, &rest))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    let expand = |bytes: i64| ControllerExpandVolumeRequest {
        volume_id: v.volume_id.clone(),
        capacity_range: Some(CapacityRange {
            required_bytes: bytes,
            limit_bytes: 0,
        }),
        ..Default::default()
    };
    let r = d
        .controller
        .controller_expand_volume(expand(2 * GIB + 5))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.capacity_bytes, 3 * GIB);
    assert!(!r.node_expansion_required);
    let id = v.volume_id.split('/').next().unwrap().to_string();
    assert_eq!(rest.client().volume_info(&id).unwrap().info.request.size, 3);
    // Again, and smaller: nothing changes.
    for bytes in [3 * GIB, GIB] {
        let r = d
            .controller
            .controller_expand_volume(expand(bytes))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.capacity_bytes, 3 * GIB);
    }
    assert_eq!(rest.client().volume_info(&id).unwrap().info.request.size, 3);

    let mut r = expand(GIB);
    r.capacity_range = None;
    assert_eq!(
        code(d.controller.controller_expand_volume(r).await),
        Code::InvalidArgument
    );
    let mut r = expand(GIB);
    r.volume_id = format!("0123456789abcdef0123456789abcdef/admin/{}", rest.url);
    assert_eq!(
        code(d.controller.controller_expand_volume(r).await),
        Code::NotFound
    );
    let mut r = expand(GIB);
    r.volume_id = "foreign".into();
    assert_eq!(
        code(d.controller.controller_expand_volume(r).await),
        Code::NotFound
    );
    let mut r = expand(GIB);
    r.volume_capability = Some(block_cap());
    assert_eq!(
        code(d.controller.controller_expand_volume(r).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(
            d.controller
                .controller_expand_volume(expand(5000 * GIB))
                .await
        ),
        Code::ResourceExhausted
    );
    d.stop().await;
}

#[tokio::test]
async fn validate_volume_capabilities() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let v = d
        .controller
        .create_volume(create_req("pvc-val", GIB, &rest))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    let req = |caps: Vec<VolumeCapability>| ValidateVolumeCapabilitiesRequest {
        volume_id: v.volume_id.clone(),
        volume_context: v.volume_context.clone(),
        volume_capabilities: caps,
        ..Default::default()
    };
    let ok = d
        .controller
        .validate_volume_capabilities(req(vec![
            mount_cap(AccessMode::SingleNodeWriter),
            mount_cap(AccessMode::MultiNodeMultiWriter),
        ]))
        .await
        .unwrap()
        .into_inner();
    let confirmed = ok.confirmed.expect("confirmed");
    assert_eq!(confirmed.volume_capabilities.len(), 2);
    assert_eq!(confirmed.volume_context, v.volume_context);

    let no = d
        .controller
        .validate_volume_capabilities(req(vec![block_cap()]))
        .await
        .unwrap()
        .into_inner();
    assert!(no.confirmed.is_none());
    assert!(no.message.contains("block"), "{}", no.message);

    assert_eq!(
        code(d.controller.validate_volume_capabilities(req(vec![])).await),
        Code::InvalidArgument
    );
    let mut r = req(vec![mount_cap(AccessMode::SingleNodeWriter)]);
    r.volume_id = format!("0123456789abcdef0123456789abcdef/admin/{}", rest.url);
    assert_eq!(
        code(d.controller.validate_volume_capabilities(r).await),
        Code::NotFound
    );
    d.stop().await;
}

#[tokio::test]
async fn list_volumes_pages() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let mut made = HashSet::new();
    for i in 0..5 {
        let v = d
            .controller
            .create_volume(create_req(&format!("pvc-list-{i}"), GIB, &rest))
            .await
            .unwrap()
            .into_inner()
            .volume
            .unwrap();
        made.insert(v.volume_id);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = d
            .controller
            .list_volumes(ListVolumesRequest {
                max_entries: 2,
                starting_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.entries.len() <= 2);
        pages += 1;
        for e in page.entries {
            let v = e.volume.unwrap();
            assert_eq!(v.capacity_bytes, GIB);
            assert!(v.volume_context.contains_key("server"));
            seen.push(v.volume_id);
        }
        if page.next_token.is_empty() {
            break;
        }
        token = page.next_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5, "no duplicates: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), made);

    // Everything at once.
    let all = d
        .controller
        .list_volumes(ListVolumesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.entries.len(), 5);
    assert!(all.next_token.is_empty());

    assert_eq!(
        code(
            d.controller
                .list_volumes(ListVolumesRequest {
                    max_entries: 0,
                    starting_token: "no!".into()
                })
                .await
        ),
        Code::Aborted
    );
    assert_eq!(
        code(
            d.controller
                .list_volumes(ListVolumesRequest {
                    max_entries: -1,
                    starting_token: String::new()
                })
                .await
        ),
        Code::InvalidArgument
    );
    d.stop().await;

    // Without a default back end there is nothing to list.
    let mut d = Driver::start(Mode::Controller, None, Arc::new(FakeMounter::default())).await;
    assert_eq!(
        code(
            d.controller
                .list_volumes(ListVolumesRequest::default())
                .await
        ),
        Code::FailedPrecondition
    );
    d.stop().await;
}

#[tokio::test]
async fn get_capacity() {
    let rest = RestServer::start();
    let mut d = controller_driver(&rest).await;
    let cap = |params: &[(&str, &str)], caps: Vec<VolumeCapability>| GetCapacityRequest {
        volume_capabilities: caps,
        parameters: map(params),
        accessible_topology: None,
    };
    let none = d
        .controller
        .get_capacity(cap(&[("volumetype", "none")], vec![]))
        .await
        .unwrap()
        .into_inner()
        .available_capacity;
    let replica3 = d
        .controller
        .get_capacity(cap(
            &[("volumetype", "replicate:3")],
            vec![mount_cap(AccessMode::MultiNodeMultiWriter)],
        ))
        .await
        .unwrap()
        .into_inner()
        .available_capacity;
    // Three 500 GiB devices, less LVM metadata.
    assert!(none > 1400 * GIB && none <= 1500 * GIB, "{none}");
    assert!((replica3 - none / 3).abs() <= 1, "{replica3} vs {none}");
    let block = d
        .controller
        .get_capacity(cap(&[], vec![block_cap()]))
        .await
        .unwrap()
        .into_inner()
        .available_capacity;
    assert_eq!(block, 0);
    let other_cluster = d
        .controller
        .get_capacity(cap(
            &[("clusterid", "00000000000000000000000000000000")],
            vec![],
        ))
        .await
        .unwrap()
        .into_inner()
        .available_capacity;
    assert_eq!(other_cluster, 0);
    // Space used by a volume is no longer available.
    d.controller
        .create_volume(create_req("pvc-cap", 100 * GIB, &rest))
        .await
        .unwrap();
    let after = d
        .controller
        .get_capacity(cap(&[("volumetype", "none")], vec![]))
        .await
        .unwrap()
        .into_inner()
        .available_capacity;
    assert!(after <= none - 300 * GIB, "{after} vs {none}");
    assert_eq!(
        code(
            d.controller
                .get_capacity(cap(&[("volumetype", "mirror")], vec![]))
                .await
        ),
        Code::InvalidArgument
    );
    assert_eq!(
        code(
            d.controller
                .get_capacity(cap(&[("resturl", "http://127.0.0.1:1")], vec![]))
                .await
        ),
        Code::Unavailable
    );
    d.stop().await;
}

// ----- node -----

fn publish_req(target: &Path, readonly: bool) -> NodePublishVolumeRequest {
    NodePublishVolumeRequest {
        volume_id: "0123456789abcdef0123456789abcdef/admin/http://heketi:8080".into(),
        target_path: target.display().to_string(),
        volume_capability: Some(mount_cap(AccessMode::MultiNodeMultiWriter)),
        readonly,
        volume_context: map(&[
            ("server", "10.0.0.1"),
            ("volume", "vol_0123"),
            ("backup-volfile-servers", "10.0.0.2,10.0.0.3"),
            ("gid", "2000"),
        ]),
        ..Default::default()
    }
}

#[tokio::test]
async fn node_publish_unpublish_and_stats() {
    let mounter = Arc::new(FakeMounter::default());
    let mut d = Driver::start(Mode::Node, None, mounter.clone()).await;
    let target = d.dir.path("pods/p1/mount");
    let req = publish_req(&target, false);

    d.node.node_publish_volume(req.clone()).await.unwrap();
    let spec = mounter.spec(&target).expect("mounted");
    assert_eq!(spec.source, "10.0.0.1:/vol_0123");
    assert_eq!(spec.fstype, "glusterfs");
    // The client logs to a file of its own in the driver's log directory.
    let log = d.dir.path("logs").join(format!(
        "{}.log",
        target
            .display()
            .to_string()
            .trim_start_matches('/')
            .replace('/', "-")
    ));
    assert_eq!(
        spec.options,
        vec![
            "backup-volfile-servers=10.0.0.2:10.0.0.3".to_string(),
            "auto_unmount".to_string(),
            "log-level=ERROR".to_string(),
            format!("log-file={}", log.display()),
        ]
    );
    assert!(d.dir.path("logs").is_dir(), "the log directory is made");
    std::fs::write(
        &log,
        "[2026-11-28 11:15:02.1] E [fuse-bridge.c] a client error\n",
    )
    .unwrap();
    // Again: already mounted there, nothing done.
    d.node.node_publish_volume(req.clone()).await.unwrap();
    assert_eq!(mounter.calls().len(), 1, "{:?}", mounter.calls());
    // The same target read-only, or another volume there: ALREADY_EXISTS.
    assert_eq!(
        code(d.node.node_publish_volume(publish_req(&target, true)).await),
        Code::AlreadyExists
    );
    let mut other = req.clone();
    other
        .volume_context
        .insert("volume".into(), "vol_other".into());
    assert_eq!(
        code(d.node.node_publish_volume(other).await),
        Code::AlreadyExists
    );

    // Stats of the mounted path (statvfs of the directory).
    let stats = d
        .node
        .node_get_volume_stats(NodeGetVolumeStatsRequest {
            volume_id: req.volume_id.clone(),
            volume_path: target.display().to_string(),
            staging_target_path: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let bytes = stats
        .usage
        .iter()
        .find(|u| u.unit == Unit::Bytes as i32)
        .expect("bytes");
    assert!(bytes.total > 0 && bytes.available <= bytes.total && bytes.used <= bytes.total);
    assert!(stats.usage.iter().any(|u| u.unit == Unit::Inodes as i32));

    d.node
        .node_unpublish_volume(NodeUnpublishVolumeRequest {
            volume_id: req.volume_id.clone(),
            target_path: target.display().to_string(),
        })
        .await
        .unwrap();
    assert!(mounter.spec(&target).is_none());
    assert!(!target.exists(), "the target directory is removed");
    assert!(!log.exists(), "the mount's client log is removed");
    // Again: nothing to do, success.
    d.node
        .node_unpublish_volume(NodeUnpublishVolumeRequest {
            volume_id: req.volume_id.clone(),
            target_path: target.display().to_string(),
        })
        .await
        .unwrap();
    assert_eq!(
        mounter.calls(),
        vec![
            format!("mount 10.0.0.1:/vol_0123 {}", target.display()),
            format!("umount {}", target.display())
        ]
    );

    // Read-only publish: `ro` first; a read-only access mode means read-only too.
    let ro_target = d.dir.path("pods/p2/mount");
    d.node
        .node_publish_volume(publish_req(&ro_target, true))
        .await
        .unwrap();
    assert_eq!(mounter.spec(&ro_target).unwrap().options[0], "ro");
    let rox_target = d.dir.path("pods/p3/mount");
    let mut rox = publish_req(&rox_target, false);
    rox.volume_capability = Some(mount_cap(AccessMode::MultiNodeReaderOnly));
    d.node.node_publish_volume(rox).await.unwrap();
    assert_eq!(mounter.spec(&rox_target).unwrap().options[0], "ro");

    // Stats: a path that does not exist, and one that is not mounted: NOT_FOUND.
    for path in [d.dir.path("nowhere"), d.dir.0.clone()] {
        let r = d
            .node
            .node_get_volume_stats(NodeGetVolumeStatsRequest {
                volume_id: req.volume_id.clone(),
                volume_path: path.display().to_string(),
                staging_target_path: String::new(),
            })
            .await;
        assert_eq!(code(r), Code::NotFound, "{}", path.display());
    }
    assert_eq!(
        code(
            d.node
                .node_get_volume_stats(NodeGetVolumeStatsRequest::default())
                .await
        ),
        Code::InvalidArgument
    );
    d.stop().await;
}

#[tokio::test]
async fn node_errors_and_info() {
    let mounter = Arc::new(FakeMounter::default());
    let mut d = Driver::start(Mode::Node, None, mounter.clone()).await;
    let target = d.dir.path("pods/e/mount");
    let ok = publish_req(&target, false);

    let mut r = ok.clone();
    r.target_path.clear();
    assert_eq!(
        code(d.node.node_publish_volume(r).await),
        Code::InvalidArgument,
        "no target"
    );
    let mut r = ok.clone();
    r.volume_id.clear();
    assert_eq!(
        code(d.node.node_publish_volume(r).await),
        Code::InvalidArgument,
        "no id"
    );
    let mut r = ok.clone();
    r.volume_capability = None;
    assert_eq!(
        code(d.node.node_publish_volume(r).await),
        Code::InvalidArgument,
        "no capability"
    );
    let mut r = ok.clone();
    r.volume_capability = Some(block_cap());
    assert_eq!(
        code(d.node.node_publish_volume(r).await),
        Code::InvalidArgument,
        "block"
    );
    let mut r = ok.clone();
    r.volume_context.clear();
    assert_eq!(
        code(d.node.node_publish_volume(r).await),
        Code::InvalidArgument,
        "no context"
    );
    assert_eq!(
        code(
            d.node
                .node_unpublish_volume(NodeUnpublishVolumeRequest::default())
                .await
        ),
        Code::InvalidArgument
    );

    // The storage servers cannot be reached: UNAVAILABLE; another mount failure: INTERNAL.
    *mounter.fail_with.lock().unwrap() = Some(
        "Mount failed. Check the log file for more details.\n[glusterfsd-mgmt] failed to fetch volume file (key:vol_0123)".into(),
    );
    assert_eq!(
        code(d.node.node_publish_volume(ok.clone()).await),
        Code::Unavailable
    );
    *mounter.fail_with.lock().unwrap() = Some("mount: permission denied".into());
    assert_eq!(
        code(d.node.node_publish_volume(ok.clone()).await),
        Code::Internal
    );
    // A failure that leaves a dead mount at the target (the real run's missing
    // volume): it is unmounted, so the kubelet's retry mounts again instead of
    // finding "the same volume already mounted" there.
    *mounter.fail_mounted.lock().unwrap() = true;
    let calls_before = mounter.calls().len();
    assert_eq!(
        code(d.node.node_publish_volume(ok.clone()).await),
        Code::Internal
    );
    assert!(mounter.spec(&target).is_none(), "the dead mount is left");
    assert_eq!(
        mounter.calls()[calls_before..],
        [
            format!("mount 10.0.0.1:/vol_0123 {}", target.display()),
            format!("umount {}", target.display())
        ]
    );
    *mounter.fail_mounted.lock().unwrap() = false;
    *mounter.fail_with.lock().unwrap() = None;
    assert!(mounter.spec(&target).is_none());

    let info = d
        .node
        .node_get_info(NodeGetInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.node_id, "node-1");
    let caps = d
        .node
        .node_get_capabilities(NodeGetCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner()
        .capabilities;
    let rpcs: Vec<i32> = caps
        .iter()
        .filter_map(|c| {
            c.r#type
                .as_ref()
                .map(|node_service_capability::Type::Rpc(r)| r.r#type)
        })
        .collect();
    assert_eq!(
        rpcs,
        vec![
            node_service_capability::rpc::Type::GetVolumeStats as i32,
            node_service_capability::rpc::Type::VolumeCondition as i32
        ]
    );
    // No staging: NodeStageVolume is not offered.
    assert_eq!(
        code(
            d.node
                .node_stage_volume(NodeStageVolumeRequest::default())
                .await
        ),
        Code::Unimplemented
    );
    d.stop().await;
}

fn stats_req(target: &Path) -> NodeGetVolumeStatsRequest {
    NodeGetVolumeStatsRequest {
        volume_id: publish_req(target, false).volume_id,
        volume_path: target.display().to_string(),
        staging_target_path: String::new(),
    }
}

/// A node driver with the volume of [`publish_req`] published at a target, and that
/// target.
async fn published(tag: &str) -> (Arc<FakeMounter>, Driver, std::path::PathBuf) {
    let mounter = Arc::new(FakeMounter::default());
    let mut d = Driver::start(Mode::Node, None, mounter.clone()).await;
    let target = d.dir.path(&format!("pods/{tag}/mount"));
    d.node
        .node_publish_volume(publish_req(&target, false))
        .await
        .unwrap();
    (mounter, d, target)
}

/// A mount whose glusterfs client died (the mount table still shows it, every access
/// fails with ENOTCONN): NodeGetVolumeStats reports an abnormal volume condition
/// saying so instead of failing; a healthy mount's condition is normal.
#[tokio::test]
async fn the_stats_of_a_stale_mount_are_an_abnormal_condition() {
    let (mounter, mut d, target) = published("stale-stats").await;
    let healthy = d
        .node
        .node_get_volume_stats(stats_req(&target))
        .await
        .unwrap()
        .into_inner();
    assert!(!healthy.usage.is_empty());
    assert_eq!(
        healthy.volume_condition,
        Some(VolumeCondition {
            abnormal: false,
            message: String::new()
        })
    );
    mounter.kill_client(&target);
    let stale = d
        .node
        .node_get_volume_stats(stats_req(&target))
        .await
        .expect("the stats of a stale mount are an abnormal condition, not an error")
        .into_inner();
    assert!(stale.usage.is_empty(), "{:?}", stale.usage);
    let condition = stale.volume_condition.expect("a volume condition");
    assert!(condition.abnormal);
    assert!(
        condition.message.contains(&format!(
            "at {}: the mount is stale (ENOTCONN: Transport endpoint is not connected)",
            target.display()
        )) && condition.message.contains("NodePublishVolume"),
        "{}",
        condition.message
    );
    d.stop().await;
}

/// A publish onto a stale mount of the same volume unmounts it and mounts again (it
/// used to answer "already published" and leave the pod a dead mount); a plain umount
/// that fails on it is followed by `umount -l`. A healthy mount is left alone.
#[tokio::test]
async fn a_publish_onto_a_stale_mount_mounts_again() {
    let (mounter, mut d, target) = published("stale-pub").await;
    let t = target.display();
    let req = publish_req(&target, false);
    mounter.kill_client(&target);
    let before = mounter.calls().len();
    d.node.node_publish_volume(req.clone()).await.unwrap();
    assert_eq!(
        mounter.calls()[before..],
        [
            format!("umount {t}"),
            format!("mount 10.0.0.1:/vol_0123 {t}")
        ]
    );
    assert!(
        mounter
            .spec(&target)
            .expect("mounted")
            .options
            .contains(&"auto_unmount".to_string())
    );
    let again = d
        .node
        .node_get_volume_stats(stats_req(&target))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.volume_condition.expect("condition").abnormal);
    // A healthy mount: nothing done.
    let before = mounter.calls().len();
    d.node.node_publish_volume(req.clone()).await.unwrap();
    assert_eq!(mounter.calls().len(), before);

    *mounter.stale_refuses_umount.lock().unwrap() = true;
    mounter.kill_client(&target);
    let before = mounter.calls().len();
    d.node.node_publish_volume(req.clone()).await.unwrap();
    assert_eq!(
        mounter.calls()[before..],
        [
            format!("umount {t}"),
            format!("umount -l {t}"),
            format!("mount 10.0.0.1:/vol_0123 {t}")
        ]
    );
    assert!(mounter.stale.lock().unwrap().is_empty());
    d.stop().await;
}

/// An unpublish of a stale mount that a plain umount refuses detaches it lazily and
/// cleans up as usual (it used to fail, and the kubelet retried forever).
#[tokio::test]
async fn an_unpublish_removes_a_stale_mount() {
    let (mounter, mut d, target) = published("stale-unpub").await;
    let t = target.display();
    *mounter.stale_refuses_umount.lock().unwrap() = true;
    mounter.kill_client(&target);
    let before = mounter.calls().len();
    d.node
        .node_unpublish_volume(NodeUnpublishVolumeRequest {
            volume_id: publish_req(&target, false).volume_id,
            target_path: t.to_string(),
        })
        .await
        .expect("unpublish of a stale mount");
    assert_eq!(
        mounter.calls()[before..],
        [format!("umount {t}"), format!("umount -l {t}")]
    );
    assert!(mounter.spec(&target).is_none());
    assert!(!target.exists(), "the target directory is removed");
    d.stop().await;
}

/// The real mounter's command path: `mount` is a script that records its
/// arguments (and refuses `auto_unmount`, as an old glusterfs client does).
#[tokio::test]
async fn system_mounter_runs_mount_with_the_right_arguments() {
    let scripts = Scratch::new("mnt");
    let log = scripts.path("calls.log");
    let mount = scripts.path("mount");
    let umount = scripts.path("umount");
    let mountinfo = scripts.path("mountinfo");
    std::fs::write(&mountinfo, "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n").unwrap();
    std::fs::write(
        &mount,
        format!(
            "#!/bin/sh\necho \"mount $*\" >> {log}\ncase \"$*\" in *auto_unmount*) echo 'unknown option auto_unmount' >&2; exit 32;; esac\nexit 0\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::write(
        &umount,
        format!("#!/bin/sh\necho \"umount $*\" >> {}\n", log.display()),
    )
    .unwrap();
    for f in [&mount, &umount] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mounter = SystemMounter {
        mount_program: mount.clone(),
        umount_program: umount.clone(),
        mountinfo: mountinfo.clone(),
    };
    let mut d = Driver::start(Mode::Node, None, Arc::new(mounter)).await;
    let target = d.dir.path("pods/real/mount");
    d.node
        .node_publish_volume(publish_req(&target, true))
        .await
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    let t = target.display();
    let client_log = brickyard_csi::node::log_file(&d.dir.path("logs"), &target);
    let l = client_log.display();
    assert_eq!(
        calls,
        format!(
            "mount -t glusterfs -o ro,backup-volfile-servers=10.0.0.2:10.0.0.3,auto_unmount,log-level=ERROR,log-file={l} 10.0.0.1:/vol_0123 {t}\n\
             mount -t glusterfs -o ro,backup-volfile-servers=10.0.0.2:10.0.0.3,log-level=ERROR,log-file={l} 10.0.0.1:/vol_0123 {t}\n"
        )
    );
    // The kernel now shows the mount: unpublish runs umount.
    std::fs::write(
        &mountinfo,
        format!("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n90 22 0:50 / {t} ro,relatime - fuse.glusterfs 10.0.0.1:vol_0123 ro\n"),
    )
    .unwrap();
    d.node
        .node_publish_volume(publish_req(&target, true))
        .await
        .unwrap();
    d.node
        .node_unpublish_volume(NodeUnpublishVolumeRequest {
            volume_id: "v".into(),
            target_path: t.to_string(),
        })
        .await
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().count(),
        3,
        "no second mount when mounted: {calls}"
    );
    assert_eq!(calls.lines().last().unwrap(), format!("umount {t}"));
    // A stale mount a plain umount refused is detached with `umount -l`.
    let lazy = SystemMounter {
        mount_program: mount.clone(),
        umount_program: umount.clone(),
        mountinfo: mountinfo.clone(),
    };
    brickyard_csi::mounter::Mounter::unmount_lazy(&lazy, &target)
        .await
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls.lines().last().unwrap(), format!("umount -l {t}"));

    // A mount that fails as mount.glusterfs does: the client's log says why, and the
    // error carries its end (the program itself only points at the file).
    let failing = scripts.path("mount-fails");
    std::fs::write(
        &failing,
        format!("#!/bin/sh\necho \"mount $*\" >> {}\n", log.display())
            + "for o in $(echo \"$4\" | tr , ' '); do case $o in log-file=*) f=${o#log-file=};; esac; done\n\
         echo '[2026-11-28 11:15:02.1] E [MSGID: 114058] [client-handshake.c:1201:client_query_portmap_cbk] 0-vol_0123-client-0: failed to get the port number for remote subvolume' >> \"$f\"\n\
         echo \"Mount failed. Check the log file $f for more details.\" >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    d.stop().await;
    let mut d = Driver::start(
        Mode::Node,
        None,
        Arc::new(SystemMounter {
            mount_program: failing,
            umount_program: umount.clone(),
            mountinfo: mountinfo.clone(),
        }),
    )
    .await;
    let target = d.dir.path("pods/fails/mount");
    let err = d
        .node
        .node_publish_volume(publish_req(&target, false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    // Tried once: the failure is not about auto_unmount.
    let attempts = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("pods/fails/mount"))
        .count();
    assert_eq!(attempts, 1, "{}", std::fs::read_to_string(&log).unwrap());
    let client_log = brickyard_csi::node::log_file(&d.dir.path("logs"), &target);
    assert!(
        err.message().contains(&format!(
            "end of the client log {}:\n[2026-11-28 11:15:02.1] E [MSGID: 114058]",
            client_log.display()
        )) && err.message().contains("failed to get the port number"),
        "{}",
        err.message()
    );

    // mount.glusterfs missing: FAILED_PRECONDITION naming the package.
    let missing = SystemMounter {
        mount_program: scripts.path("no-such-mount"),
        umount_program: umount,
        mountinfo,
    };
    d.stop().await;
    let mut d = Driver::start(Mode::Node, None, Arc::new(missing)).await;
    let target = d.dir.path("pods/none/mount");
    let err = d
        .node
        .node_publish_volume(publish_req(&target, false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("glusterfs-client"),
        "{}",
        err.message()
    );
    d.stop().await;
}

/// A child process killed if the test ends early.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `brickyard-csi csi …` (the image's `brickyard csi`): flags, environment,
/// socket, a create through it, clean shutdown on SIGTERM.
#[tokio::test]
async fn the_binary_serves_the_driver() {
    let rest = RestServer::start();
    let dir = Scratch::new("bin");
    let socket = dir.path("csi.sock");
    let log = dir.path("csi.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = KillOnDrop(
        std::process::Command::new(bin())
            .args([
                "csi",
                "--mode",
                "controller",
                "--restuser",
                "admin",
                "--poll-interval-ms",
                "20",
            ])
            .arg(format!("--endpoint=unix://{}", socket.display()))
            .arg(format!("--resturl={}", rest.url))
            .env("BRICKYARD_CSI_RESTUSERKEY", SECRET)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("Listening on")
    {
        if let Ok(Some(s)) = child.0.try_wait() {
            panic!(
                "brickyard-csi csi exited ({s}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(std::time::Instant::now() < deadline, "no 'Listening on'");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let channel = connect(&socket).await;
    let mut identity = brickyard_csi::proto::identity_client::IdentityClient::new(channel.clone());
    let mut controller = brickyard_csi::proto::controller_client::ControllerClient::new(channel);
    let info = identity
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "brickyard.gluster.io");
    assert_eq!(
        identity
            .probe(ProbeRequest {})
            .await
            .unwrap()
            .into_inner()
            .ready,
        Some(true)
    );
    // A StorageClass without resturl or key: the controller's defaults.
    let mut req = create_req("pvc-bin", GIB, &rest);
    req.parameters.clear();
    let v = controller
        .create_volume(req)
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert!(
        v.volume_id.ends_with(&format!("/admin/{}", rest.url)),
        "{}",
        v.volume_id
    );
    let listed = controller
        .list_volumes(ListVolumesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.entries.len(), 1);

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.0.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    // Running calls get 5 s; an idle connection left open does not hold the exit.
    let t0 = std::time::Instant::now();
    let exit = child.0.wait().unwrap();
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(9),
        "{:?}",
        t0.elapsed()
    );
    assert!(
        exit.success(),
        "{exit}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(!socket.exists(), "the socket is removed on shutdown");

    // Refusals: a node plugin without --node-id, a TCP endpoint, an unknown flag.
    for (args, text) in [
        (
            vec!["csi", "--mode", "node", "--endpoint", "unix:///tmp/x.sock"],
            "--node-id is required",
        ),
        (
            vec![
                "csi",
                "--mode",
                "controller",
                "--endpoint",
                "tcp://127.0.0.1:9000",
            ],
            "unix:///ABSOLUTE/PATH",
        ),
        (vec!["csi", "--bogus"], "--bogus"),
    ] {
        let out = std::process::Command::new(bin())
            .args(&args)
            .env_remove("NODE_ID")
            .env_remove("CSI_ENDPOINT")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(text), "{args:?}: {err}");
    }
}

/// `brickyard-csi csi ARGS` on a socket in `dir`, once it says `Listening on`; or
/// its exit status and output when it stops first.
async fn spawn_driver(
    dir: &Scratch,
    args: &[String],
) -> Result<(KillOnDrop, std::path::PathBuf), (std::process::ExitStatus, String)> {
    let socket = dir.path("csi.sock");
    let log = dir.path("csi.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = KillOnDrop(
        std::process::Command::new(bin())
            .arg("csi")
            .args(args)
            .arg(format!("--endpoint=unix://{}", socket.display()))
            .env_remove("BRICKYARD_CSI_TLS_CA")
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("Listening on") {
            return Ok((child, socket));
        }
        if let Ok(Some(s)) = child.0.try_wait() {
            return Err((s, std::fs::read_to_string(&log).unwrap_or_default()));
        }
        assert!(std::time::Instant::now() < deadline, "no 'Listening on'");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A back end on HTTPS with a certificate made in the test: the driver started with
/// `--tls-ca CA` probes, creates, expands and deletes through it (the StorageClass's
/// `resturl` and the default back end); without the CA (or with another CA) every call
/// is UNAVAILABLE and names `--tls-ca`; a `--tls-ca` file without a certificate stops
/// the driver at start-up.
#[tokio::test]
async fn an_https_back_end_is_trusted_through_tls_ca() {
    let certs = Scratch::new("pki");
    let pki = Pki::new(&certs);
    let rest = RestServer::start_tls(&pki);
    assert!(rest.url.starts_with("https://127.0.0.1:"), "{}", rest.url);

    let dir = Scratch::new("tls");
    let (_child, socket) = spawn_driver(
        &dir,
        &[
            "--mode=controller".into(),
            "--poll-interval-ms=20".into(),
            format!("--tls-ca={}", pki.ca.display()),
            format!("--resturl={}", rest.url),
            "--restuser=admin".into(),
            format!("--restuserkey={SECRET}"),
        ],
    )
    .await
    .unwrap_or_else(|(s, log)| panic!("driver exited ({s}): {log}"));
    let channel = connect(&socket).await;
    let mut identity = brickyard_csi::proto::identity_client::IdentityClient::new(channel.clone());
    let mut controller = brickyard_csi::proto::controller_client::ControllerClient::new(channel);
    let ready = identity.probe(ProbeRequest {}).await.unwrap().into_inner();
    assert_eq!(ready.ready, Some(true));
    let v = controller
        .create_volume(create_req("pvc-tls", GIB, &rest))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert!(
        v.volume_id.ends_with(&format!("/admin/{}", rest.url)),
        "{}",
        v.volume_id
    );
    let expanded = controller
        .controller_expand_volume(ControllerExpandVolumeRequest {
            volume_id: v.volume_id.clone(),
            capacity_range: Some(CapacityRange {
                required_bytes: 2 * GIB,
                limit_bytes: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(expanded.capacity_bytes, 2 * GIB);
    let ca_client = || {
        let tls = brickyard_cli::client::TlsOptions::load(false, std::slice::from_ref(&pki.ca))
            .expect("ca loads");
        brickyard_cli::client::Client::new(
            brickyard_cli::client::ClientConfig::new(rest.url.clone(), "admin", SECRET)
                .with_tls(tls),
        )
    };
    assert_eq!(ca_client().volume_list().unwrap().volumes.len(), 1);

    // The same back end without the CA: UNAVAILABLE, naming the driver's option.
    let untrusted = Driver::start(
        Mode::Controller,
        Some(rest.backend()),
        Arc::new(FakeMounter::default()),
    )
    .await;
    let mut c = untrusted.controller.clone();
    let err = c
        .create_volume(create_req("pvc-tls-2", GIB, &rest))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        err.message().contains("is not trusted")
            && err.message().contains("--tls-ca FILE")
            && !err.message().contains("--tls-cert"),
        "{}",
        err.message()
    );
    let mut i = untrusted.identity.clone();
    assert_eq!(code(i.probe(ProbeRequest {}).await), Code::Unavailable);
    untrusted.stop().await;

    // Another CA is no better.
    let other_dir = Scratch::new("pki2");
    let other = Pki::new(&other_dir);
    let dir2 = Scratch::new("tls2");
    let (_child2, socket2) = spawn_driver(
        &dir2,
        &[
            "--mode=controller".into(),
            format!("--tls-ca={}", other.ca.display()),
            format!("--resturl={}", rest.url),
            format!("--restuserkey={SECRET}"),
        ],
    )
    .await
    .unwrap_or_else(|(s, log)| panic!("driver exited ({s}): {log}"));
    let mut c2 =
        brickyard_csi::proto::controller_client::ControllerClient::new(connect(&socket2).await);
    let err = c2
        .delete_volume(DeleteVolumeRequest {
            volume_id: v.volume_id.clone(),
            secrets: map(&[("key", SECRET)]),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    // (The other CA has the same name: rustls finds the issuer, not its signature.)
    assert!(
        err.message().contains("is not trusted (BadSignature)"),
        "{}",
        err.message()
    );
    assert_eq!(ca_client().volume_list().unwrap().volumes.len(), 1);

    // With the CA the delete goes through.
    controller
        .delete_volume(DeleteVolumeRequest {
            volume_id: v.volume_id.clone(),
            secrets: map(&[("key", SECRET)]),
        })
        .await
        .unwrap();
    assert!(ca_client().volume_list().unwrap().volumes.is_empty());

    // A --tls-ca file that holds no certificate: the driver does not start.
    let not_pem = dir.path("not-a-ca.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let dir3 = Scratch::new("tls3");
    let (status, log) = match spawn_driver(
        &dir3,
        &[
            "--mode=controller".into(),
            format!("--tls-ca={}", not_pem.display()),
        ],
    )
    .await
    {
        Ok(_) => panic!("the driver started with a --tls-ca file without a certificate"),
        Err(e) => e,
    };
    assert!(!status.success());
    assert!(
        log.contains(&format!(
            "Error: --tls-ca {}: no certificate in it",
            not_pem.display()
        )),
        "{log}"
    );
}

/// A back end on HTTPS signed by a private CA, with the driver started without
/// `--tls-ca`: the CA's PEM text in the StorageClass parameter `restcacert` makes
/// CreateVolume and GetCapacity trust it, in the secret's entry `restcacert` (next to
/// the key) DeleteVolume and ControllerExpandVolume; without it they are UNAVAILABLE;
/// text that is not a certificate is INVALID_ARGUMENT naming where it came from.
#[tokio::test]
async fn an_https_back_end_is_trusted_through_restcacert() {
    let certs = Scratch::new("pki-sc");
    let pki = Pki::new(&certs);
    let ca = std::fs::read_to_string(&pki.ca).unwrap();
    let rest = RestServer::start_tls(&pki);
    let d = Driver::start(Mode::Controller, None, Arc::new(FakeMounter::default())).await;
    let mut c = d.controller.clone();

    // Without the CA: not trusted.
    let err = c
        .create_volume(create_req("pvc-ca", GIB, &rest))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(err.message().contains("restcacert"), "{}", err.message());

    let mut req = create_req("pvc-ca", GIB, &rest);
    req.parameters.insert("restcacert".into(), ca.clone());
    let v = c
        .create_volume(req.clone())
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    let capacity = c
        .get_capacity(GetCapacityRequest {
            parameters: req.parameters.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(capacity.available_capacity > 0);

    let key_only = map(&[("key", SECRET)]);
    let with_ca = map(&[("key", SECRET), ("restcacert", &ca)]);
    let expand =
        |secrets: &std::collections::HashMap<String, String>| ControllerExpandVolumeRequest {
            volume_id: v.volume_id.clone(),
            capacity_range: Some(CapacityRange {
                required_bytes: 2 * GIB,
                limit_bytes: 0,
            }),
            secrets: secrets.clone(),
            ..Default::default()
        };
    assert_eq!(
        code(c.controller_expand_volume(expand(&key_only)).await),
        Code::Unavailable
    );
    let expanded = c
        .controller_expand_volume(expand(&with_ca))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(expanded.capacity_bytes, 2 * GIB);

    // Not a certificate: INVALID_ARGUMENT, saying where and what.
    let mut bad = req.clone();
    bad.name = "pvc-ca-bad".into();
    bad.parameters
        .insert("restcacert".into(), "not a certificate".into());
    let err = c.create_volume(bad).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(
        err.message()
            .starts_with("the StorageClass parameter restcacert holds no certificate"),
        "{}",
        err.message()
    );
    let broken = ca.replace("MII", "M!I");
    let err = c
        .delete_volume(DeleteVolumeRequest {
            volume_id: v.volume_id.clone(),
            secrets: map(&[("key", SECRET), ("restcacert", &broken)]),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(
        err.message()
            .starts_with("the secret's entry restcacert is not valid PEM"),
        "{}",
        err.message()
    );
    assert_eq!(rest_volumes(&rest, &pki), 1);

    assert_eq!(
        code(
            c.delete_volume(DeleteVolumeRequest {
                volume_id: v.volume_id.clone(),
                secrets: key_only.clone(),
            })
            .await
        ),
        Code::Unavailable
    );
    c.delete_volume(DeleteVolumeRequest {
        volume_id: v.volume_id.clone(),
        secrets: with_ca,
    })
    .await
    .unwrap();
    assert_eq!(rest_volumes(&rest, &pki), 0);
    d.stop().await;
}

/// How many volumes the HTTPS back end has.
fn rest_volumes(rest: &RestServer, pki: &Pki) -> usize {
    let tls = brickyard_cli::client::TlsOptions::load(false, std::slice::from_ref(&pki.ca))
        .expect("ca loads");
    brickyard_cli::client::Client::new(
        brickyard_cli::client::ClientConfig::new(rest.url.clone(), "admin", SECRET).with_tls(tls),
    )
    .volume_list()
    .unwrap()
    .volumes
    .len()
}
