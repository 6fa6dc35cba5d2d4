//! The hook interface as the engine uses it (the Lua host implements the same trait).

use std::sync::{Arc, Mutex};

use brickyard::api::VolumeCreateRequest;
use brickyard::hooks::{Event, HookError, Hooks};
use brickyard::{EngineOptions, ErrorKind};

use crate::harness::*;

#[derive(Default)]
struct Policy {
    events: Mutex<Vec<String>>,
}

impl Hooks for Policy {
    fn pre_create(&self, mut req: VolumeCreateRequest) -> Result<VolumeCreateRequest, HookError> {
        if req.name == "forbidden" {
            return Err(HookError::Rejected {
                event: "volume.pre_create".into(),
                reason: "name not allowed here".into(),
            });
        }
        if req.name.is_empty() {
            req.name = "pvc_default".into();
        }
        Ok(req)
    }

    fn pre_expand(
        &self,
        volume: &brickyard::api::VolumeInfoResponse,
        size: i64,
    ) -> Result<(), HookError> {
        if volume.info.request.size + size > 100 {
            return Err(HookError::Rejected {
                event: "volume.pre_expand".into(),
                reason: "volumes stay under 100 GiB".into(),
            });
        }
        Ok(())
    }

    fn notify(&self, event: &Event) {
        self.events.lock().unwrap().push(event.name.to_string());
    }
}

#[tokio::test]
async fn hooks_veto_shape_and_hear_about_operations() {
    let policy = Arc::new(Policy::default());
    let mut opts = EngineOptions::in_memory();
    opts.hooks = Some(policy.clone());
    let b = bed_with(opts, 3, 1).await;
    let mut r = replica(1, 3);
    r.name = "forbidden".into();
    let e = b.engine.create_volume(r).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    assert_eq!(
        e.to_string(),
        "volume.pre_create hook rejected the request: name not allowed here"
    );
    let v = b.engine.create_volume(replica(10, 3)).await.unwrap();
    assert_eq!(v.info.request.name, "pvc_default");
    let e = b.engine.expand_volume(&v.info.id, 95).await.unwrap_err();
    assert!(e.to_string().contains("under 100 GiB"), "{e}");
    b.engine.delete_volume(&v.info.id).await.unwrap();
    b.mock.faults().fail_matching(
        |_, c| c.contains("lvcreate"),
        brickyard::executor::Fault::failed(),
        true,
    );
    assert!(b.engine.create_volume(replica(1, 3)).await.is_err());
    let events = policy.events.lock().unwrap().clone();
    assert_eq!(events.iter().filter(|e| *e == "node.post_add").count(), 3);
    assert_eq!(events.iter().filter(|e| *e == "device.post_add").count(), 3);
    let tail: Vec<&str> = events
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "volume.post_create",
            "volume.post_delete",
            "operation.failed"
        ]
    );
}

/// A site policy that keeps replacements off one host.
struct KeepOff {
    host: Mutex<String>,
    contexts: Mutex<Vec<serde_json::Value>>,
}

impl Hooks for KeepOff {
    fn has_placement_hooks(&self) -> bool {
        true
    }

    fn place(
        &self,
        request: &serde_json::Value,
        candidates: &[brickyard::hooks::DeviceCandidate],
    ) -> Result<Vec<brickyard::hooks::Verdict>, HookError> {
        self.contexts.lock().unwrap().push(request.clone());
        let replacing = request["operation"] == "replace";
        let host = self.host.lock().unwrap().clone();
        Ok(candidates
            .iter()
            .map(|c| {
                if replacing && c.manage_host == host {
                    brickyard::hooks::Verdict::Drop
                } else {
                    brickyard::hooks::Verdict::Keep(0.0)
                }
            })
            .collect())
    }
}

#[tokio::test]
async fn placement_hooks_choose_the_device_of_a_replacement_brick() {
    // Five nodes, a replica-3 volume: two free nodes could take an evicted brick, and
    // the policy forbids one of them for replacements (each of them in turn).
    for turn in 0..2 {
        let policy = Arc::new(KeepOff {
            host: Mutex::new(String::new()),
            contexts: Mutex::new(Vec::new()),
        });
        let mut opts = EngineOptions::in_memory();
        opts.hooks = Some(policy.clone());
        let b = bed_with(opts, 5, 1).await;
        let v = b.engine.create_volume(replica(2, 3)).await.unwrap();
        let st = b.engine.state();
        let host_of = |node: &str| st.nodes[node].info.hostnames.manage[0].clone();
        let used: Vec<String> = v.bricks.iter().map(|b| host_of(&b.node)).collect();
        let free: Vec<String> = (1..=5)
            .map(|n| format!("10.0.0.{n}"))
            .filter(|h| !used.contains(h))
            .collect();
        assert_eq!(free.len(), 2);
        let forbidden = free[turn].clone();
        *policy.host.lock().unwrap() = forbidden.clone();
        let victim = v.bricks[0].id.clone();
        b.engine
            .evict_brick(&victim, brickyard::engine::HealCheck::Enable)
            .await
            .unwrap();
        let st = b.engine.state();
        let hosts: Vec<String> = st
            .volumes
            .get(&v.info.id)
            .unwrap()
            .bricks
            .iter()
            .map(|id| {
                st.nodes[&st.bricks.get(id).unwrap().info.node]
                    .info
                    .hostnames
                    .manage[0]
                    .clone()
            })
            .collect();
        assert!(
            !hosts.contains(&forbidden),
            "the policy kept replacements off {forbidden}: {hosts:?}"
        );
        assert!(hosts.contains(&free[1 - turn]), "{hosts:?}");
        let contexts = policy.contexts.lock().unwrap();
        let replace = contexts
            .iter()
            .find(|c| c["operation"] == "replace")
            .expect("the hook was asked about the replacement");
        assert_eq!(replace["brick"], victim.as_str());
        assert_agree(&b.engine, &b.mock.nodes());
    }
}
