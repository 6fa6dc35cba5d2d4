//! Heketi's volume clone on the nodes: a temporary gluster snapshot of the source,
//! cloned into a new volume, then dropped (heketi/heketi: executors/cmdexec/volume.go
//! `VolumeClone`, snapshot.go).
//!
//! Gluster makes the clone's bricks itself: one thin snapshot LV per brick, in the
//! source brick's thin pool, named `<clone volume id without dashes>_<n>` and mounted at
//! `/run/gluster/snaps/<same>/brick<position>`, outside the fstab.

use super::{
    CloneRequest, ClonedVolume, CommandExecutor, ExecError, ExecErrorKind, Executor, GlusterVolume,
    Host, ThinPoolUsage, Transport, commands, validate,
};

/// `  12.50  3.01` (`lvs --noheadings --options=data_percent,metadata_percent`).
pub(super) fn parse_pool_usage(out: &str) -> Option<ThinPoolUsage> {
    let mut words = out.split_whitespace().map(|w| w.parse::<f64>().ok());
    let (Some(Some(data_percent)), Some(Some(metadata_percent)), None) =
        (words.next(), words.next(), words.next())
    else {
        return None;
    };
    Some(ThinPoolUsage {
        data_percent,
        metadata_percent,
    })
}

impl<T: Transport> CommandExecutor<T> {
    /// One `--xml` gluster command whose `opRet` must be 0.
    async fn gluster_xml_ok(&self, host: &str, command: &str) -> Result<(), ExecError> {
        let out = self.gluster_xml(host, command).await?;
        super::cmd::ok_or_failed(out, host, command).map(drop)
    }

    pub(super) async fn clone_volume(
        &self,
        host: &Host,
        req: &CloneRequest,
    ) -> Result<ClonedVolume, ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "volume name", &req.source)?;
        validate::name(h, "volume name", &req.clone)?;
        validate::name(h, "snapshot name", &req.snapshot)?;
        let create = commands::snapshot_create(self.config(), &req.snapshot, &req.source);
        self.gluster_xml_ok(h, &create).await?;
        let cloned = self.clone_from_snapshot(host, req).await;
        // Heketi: "we do not want activated snapshots sticking around" (deferred delete).
        let deleted = self.delete_snapshot(h, &req.snapshot).await;
        match cloned {
            Ok(volume) => Ok(ClonedVolume {
                volume,
                snapshot_left: deleted.err().map(|e| e.to_string()),
            }),
            Err(e) => {
                if let Err(d) = deleted {
                    tracing::warn!(host = h, error = %d, "temporary snapshot not deleted");
                }
                Err(e)
            }
        }
    }

    /// `activate`, `clone`, `deactivate`, `start` the clone, read it back.
    async fn clone_from_snapshot(
        &self,
        host: &Host,
        req: &CloneRequest,
    ) -> Result<GlusterVolume, ExecError> {
        let h = host.manage.as_str();
        let cfg = &self.config();
        self.gluster_xml_ok(h, &commands::snapshot_activate(cfg, &req.snapshot))
            .await?;
        let cloned = self
            .gluster_xml_ok(h, &commands::snapshot_clone(cfg, &req.clone, &req.snapshot))
            .await;
        if let Err(e) = self
            .gluster_xml_ok(h, &commands::snapshot_deactivate(cfg, &req.snapshot))
            .await
        {
            tracing::warn!(host = h, error = %e, "temporary snapshot not deactivated");
        }
        cloned?;
        // Heketi deletes a clone that does not start at once; that would leave its bricks
        // (gluster's LVs, unknown to the caller) behind. The caller reads the clone's
        // bricks first and then deletes it with them.
        self.gluster_xml_ok(h, &commands::volume_start_xml(cfg, &req.clone))
            .await?;
        match self.volume_info(host, &req.clone).await? {
            Some(v) => Ok(v),
            None => Err(ExecError::new(
                ExecErrorKind::NotFound,
                h,
                &commands::volume_info(cfg, Some(&req.clone)),
                Some(0),
                format!("volume {} does not exist after its clone", req.clone),
            )),
        }
    }

    pub(super) async fn pool_usage(
        &self,
        host: &str,
        vg_id: &str,
        pool: &str,
    ) -> Result<ThinPoolUsage, ExecError> {
        let cmd = commands::thin_pool_usage(self.config(), &format!("vg_{vg_id}/{pool}"));
        let out = self
            .run(host, &cmd, self.config().brick_destroy_timeout)
            .await?;
        parse_pool_usage(&out.stdout).ok_or_else(|| {
            ExecError::new(
                ExecErrorKind::BadOutput,
                host,
                &cmd,
                Some(0),
                format!("expected two percentages, got {:?}", out.stdout.trim()),
            )
        })
    }

    /// `snapshot delete`; "does not exist" becomes [`ExecErrorKind::NotFound`].
    pub(super) async fn delete_snapshot(
        &self,
        host: &str,
        snapshot: &str,
    ) -> Result<(), ExecError> {
        let cmd = commands::snapshot_delete(self.config(), snapshot);
        self.gluster_xml_ok(host, &cmd).await.map_err(|mut e| {
            if e.kind == ExecErrorKind::Failed && e.stderr.contains("does not exist") {
                e.kind = ExecErrorKind::NotFound;
            }
            e
        })
    }
}

#[cfg(all(test, feature = "mock"))]
mod tests {
    use super::super::*;

    const GIB: u64 = 1024 * 1024;

    fn brick(i: usize, id: &str) -> BrickRequest {
        BrickRequest {
            vg_id: format!("d{}", i + 1),
            brick_id: id.into(),
            size: GIB,
            tp_size: 2 * GIB,
            pool_metadata_size: 53248,
            gid: 0,
            format: BrickFormat::Normal,
            snapshot: None,
        }
    }

    /// Three peered nodes with `/dev/sdb` as `vg_d<i>`, and a started 2 × 3 volume
    /// `src` (two bricks per node). Returns the hosts and the source's bricks per host.
    async fn with_source(e: &MockExecutor) -> (Vec<Host>, Vec<(Host, BrickRequest)>) {
        let hosts: Vec<Host> = (1..=3)
            .map(|i| Host::new(format!("m{i}"), format!("s{i}")))
            .collect();
        for h in &hosts {
            e.mock().add_node(&h.manage, &h.storage);
        }
        for (i, h) in hosts.iter().enumerate() {
            if i > 0 {
                e.peer_probe(&hosts[0], h).await.unwrap();
            }
            e.device_setup(h, "/dev/sdb", &format!("d{}", i + 1), false)
                .await
                .unwrap();
        }
        let mut bricks = Vec::new();
        for set in 0..2 {
            for (i, h) in hosts.iter().enumerate() {
                let b = brick(i, &format!("b{set}{i}"));
                e.brick_create(h, &b).await.unwrap();
                bricks.push((h.clone(), b));
            }
        }
        let req = VolumeRequest {
            name: "src".into(),
            bricks: bricks
                .iter()
                .map(|(h, b)| BrickLocation {
                    storage_host: h.storage.clone(),
                    path: b.brick_path(),
                })
                .collect(),
            durability: VolumeDurability::Replicate {
                replica: 3,
                arbiter: false,
            },
            options: vec!["user.heketi.id abc".into()],
        };
        e.volume_create(&hosts[0], &req).await.unwrap();
        (hosts, bricks)
    }

    fn request() -> CloneRequest {
        CloneRequest {
            source: "src".into(),
            clone: "cl".into(),
            snapshot: "tmpsnap_t1".into(),
        }
    }

    /// The nodes without their directories (glusterd keeps `/run/gluster/snaps`).
    fn without_dirs(mut nodes: Vec<MockNodeState>) -> Vec<MockNodeState> {
        for n in &mut nodes {
            n.dirs.clear();
        }
        nodes
    }

    fn lvs(e: &MockExecutor, manage: &str) -> Vec<(String, String)> {
        let n = e.mock().node(manage).unwrap();
        let mut v: Vec<(String, String)> = n
            .vgs
            .iter()
            .flat_map(|vg| &vg.thin_pools)
            .flat_map(|tp| {
                tp.thin_lvs
                    .iter()
                    .map(|lv| (tp.name.clone(), lv.name.clone()))
            })
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn clone_runs_heketis_commands_and_leaves_an_independent_volume() {
        let e = MockExecutor::new();
        let (hosts, src_bricks) = with_source(&e).await;
        e.clear_commands();
        let cloned = e.volume_clone(&hosts[0], &request()).await.unwrap();
        assert_eq!(cloned.snapshot_left, None);
        let g = "gluster --mode=script --timeout=600";
        let want: Vec<String> = vec![
            format!("{g} --xml snapshot create tmpsnap_t1 src no-timestamp"),
            format!("{g} --xml snapshot activate tmpsnap_t1"),
            format!("{g} --xml snapshot clone cl tmpsnap_t1"),
            format!("{g} --xml snapshot deactivate tmpsnap_t1"),
            format!("{g} --xml volume start cl"),
            format!("{g} volume info cl --xml"),
            format!("{g} --xml snapshot delete tmpsnap_t1"),
        ];
        let got: Vec<String> = e.commands().into_iter().map(|(_, c)| c).collect();
        assert_eq!(got, want);

        let v = cloned.volume;
        assert_eq!(v.status, "Started");
        assert_eq!(v.type_name, "Distributed-Replicate");
        let prefix = v.id.replace('-', "");
        let want_bricks: Vec<String> = (0..6)
            .map(|k| {
                format!(
                    "s{}:/run/gluster/snaps/{prefix}/brick{}/brick",
                    k % 3 + 1,
                    k + 1
                )
            })
            .collect();
        assert_eq!(v.bricks, want_bricks);
        assert!(e.mock().snapshots("m1").is_empty());
        // m1 holds positions 0 and 3: its clone LVs are <id>_0 and <id>_1, each in the
        // thin pool of the source brick at the same position.
        let mut want_lvs = vec![
            ("tp_b00".to_string(), "brick_b00".to_string()),
            ("tp_b00".to_string(), clone_lv_name(&v.id, 0)),
            ("tp_b10".to_string(), "brick_b10".to_string()),
            ("tp_b10".to_string(), clone_lv_name(&v.id, 1)),
        ];
        want_lvs.sort();
        assert_eq!(lvs(&e, "m1"), want_lvs);
        let m1 = e.mock().node("m1").unwrap();
        assert_eq!(m1.fstab.len(), 2, "glusterd mounts clone bricks itself");
        assert!(
            m1.mounts
                .iter()
                .any(|m| m.dir == format!("/run/gluster/snaps/{prefix}/brick1"))
        );

        // Deleting the source keeps the pools the clone lives in.
        e.volume_destroy(&hosts[0], "src").await.unwrap();
        for (h, b) in &src_bricks {
            assert!(!e.brick_destroy(h, b).await.unwrap(), "pool must stay");
        }
        assert_eq!(lvs(&e, "m1").len(), 2);
        // Then the clone: its bricks named as gluster names them; the pools go with them.
        e.volume_destroy(&hosts[0], "cl").await.unwrap();
        for (k, (h, b)) in src_bricks.iter().enumerate() {
            let path = &v.bricks[k][v.bricks[k].find(':').unwrap() + 1..];
            let clone_brick = BrickRequest {
                brick_id: format!("c{k}"),
                snapshot: Some(SnapshotLv {
                    lv_name: clone_lv_name(&v.id, k / 3),
                    tp_name: b.tp_name(),
                    mount_dir: path.strip_suffix("/brick").unwrap().to_string(),
                }),
                ..b.clone()
            };
            assert!(e.brick_destroy(h, &clone_brick).await.unwrap());
        }
        for h in &hosts {
            let n = e.mock().node(&h.manage).unwrap();
            assert!(lvs(&e, &h.manage).is_empty());
            assert!(n.mounts.is_empty());
            assert_eq!(n.vgs[0].free_kib(), n.vgs[0].total_kib());
        }
    }

    #[tokio::test]
    async fn a_full_thin_pool_fails_the_snapshot_and_leaves_nothing() {
        let e = MockExecutor::new();
        let (hosts, _) = with_source(&e).await;
        let before = e.mock().nodes();
        e.mock().set_thin_pool_full("m3", "vg_d3", "tp_b12", true);
        let usage = e.thin_pool_usage(&hosts[2], "d3", "tp_b12").await.unwrap();
        assert!(usage.full(), "{usage:?}");
        assert!(
            !e.thin_pool_usage(&hosts[2], "d3", "tp_b02")
                .await
                .unwrap()
                .full()
        );
        let err = e.volume_clone(&hosts[0], &request()).await.unwrap_err();
        assert!(err.stderr.contains("Commit failed on s3"), "{err}");
        assert_eq!(without_dirs(e.mock().nodes()), without_dirs(before));
        assert!(e.mock().snapshots("m1").is_empty());
    }

    #[test]
    fn pool_usage_is_read_from_lvs() {
        let u = super::parse_pool_usage("  12.50 3.01\n").unwrap();
        assert_eq!((u.data_percent, u.metadata_percent), (12.5, 3.01));
        assert!(!u.full());
        assert!(super::parse_pool_usage("  100.00 3.01\n").unwrap().full());
        assert!(super::parse_pool_usage("\n").is_none());
        assert!(super::parse_pool_usage(" 1 2 3").is_none());
        assert!(super::parse_pool_usage(" x 2").is_none());
        assert_eq!(
            commands::thin_pool_usage(&CommandConfig::default(), "vg_d1/tp_b1"),
            "/usr/sbin/lvm lvs --noheadings --options=data_percent,metadata_percent vg_d1/tp_b1"
        );
    }

    #[tokio::test]
    async fn a_failed_clone_deletes_the_snapshot() {
        let e = MockExecutor::new();
        let (hosts, _) = with_source(&e).await;
        let mut req = request();
        req.clone = "src".into();
        let before = e.mock().nodes();
        let err = e.volume_clone(&hosts[0], &req).await.unwrap_err();
        assert!(err.stderr.contains("already exists"), "{err}");
        assert_eq!(without_dirs(e.mock().nodes()), without_dirs(before));
        assert!(e.mock().snapshots("m1").is_empty());
        assert_eq!(
            e.snapshot_destroy(&hosts[0], "tmpsnap_t1")
                .await
                .unwrap_err()
                .kind,
            ExecErrorKind::NotFound
        );
    }
}
