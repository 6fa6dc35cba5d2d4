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
