//! The Node service: mounts a volume where the kubelet asks
//! (`mount -t glusterfs HOST:/VOL TARGET -o backup-volfile-servers=…`), unmounts,
//! and reports usage from statvfs.
//!
//! A stale mount (its glusterfs client died: every access fails with `ENOTCONN`) is
//! repaired where the kubelet can act on it: a publish onto it unmounts it and mounts
//! again, an unpublish removes it (lazily when a plain `umount` fails), and the volume
//! stats report it as an abnormal volume condition (capability `VOLUME_CONDITION`).
//!
//! Each mount's FUSE client logs to its own file in the log directory, named after
//! the target as glusterfs would name it; a failed mount's error carries the end of
//! that log (mount.glusterfs itself only says "Mount failed. Check the log file"), and
//! an unpublish removes it, so the node does not keep a log per pod ever mounted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::capability;
use crate::controller::context;
use crate::mounter::{MountError, MountHealth, MountSpec, Mounter, same_source};
use crate::proto::node_server::Node;
use crate::proto::node_service_capability::{self, rpc};
use crate::proto::volume_usage::Unit;
use crate::proto::{
    NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse, NodeGetInfoRequest,
    NodeGetInfoResponse, NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse,
    NodePublishVolumeRequest, NodePublishVolumeResponse, NodeServiceCapability,
    NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse, VolumeCondition, VolumeUsage,
};
use crate::status;

/// The FUSE clients' log directory by default (glusterfs's own).
pub const DEFAULT_LOG_DIR: &str = "/var/log/glusterfs";

/// At most this much of a failed mount's client log goes into the error.
const LOG_TAIL_LINES: usize = 15;

/// The Node service.
#[derive(Clone)]
pub struct NodeService {
    node_id: String,
    mounter: Arc<dyn Mounter>,
    log_dir: PathBuf,
}

impl NodeService {
    /// The node service of node `node_id`, mounting with `mounter`; the FUSE clients
    /// log into `log_dir`.
    pub fn new(node_id: String, mounter: Arc<dyn Mounter>, log_dir: PathBuf) -> NodeService {
        NodeService {
            node_id,
            mounter,
            log_dir,
        }
    }

    /// Unmounts `target`; when a plain unmount fails and the mount does not answer
    /// (stale or hung), detaches it lazily (`umount -l`) instead.
    async fn unmount(&self, target: &Path) -> Result<(), MountError> {
        let Err(e) = self.mounter.unmount(target).await else {
            return Ok(());
        };
        let health = self.mounter.health(target).await;
        let Some(problem) = health.problem() else {
            return Err(e);
        };
        tracing::warn!(
            "unmount of {} failed ({e}); {problem}: detaching it lazily",
            target.display()
        );
        self.mounter.unmount_lazy(target).await
    }
}

/// The client log of the mount at `target` in `log_dir`: the target's path with `/`
/// turned into `-` (`/var/lib/kubelet/pods/P/…/mount` →
/// `var-lib-kubelet-pods-P-…-mount.log`), as glusterfs names it by default.
pub fn log_file(log_dir: &Path, target: &Path) -> PathBuf {
    let path = target.to_string_lossy();
    let name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c == '/' { '-' } else { c })
        .collect();
    log_dir.join(format!("{name}.log"))
}

/// The last lines of `log` (empty when it cannot be read).
async fn log_tail(log: &Path) -> String {
    let text = tokio::fs::read_to_string(log).await.unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

fn mount_status(what: &str, e: &MountError) -> Status {
    let message = format!("{what}: {e}");
    match e {
        MountError::NotInstalled { .. } => Status::failed_precondition(message),
        _ if e.is_unreachable() => Status::unavailable(message),
        _ => Status::internal(message),
    }
}

/// The mount options for a publish: `ro` when read-only, the capability's mount
/// flags, the backup volfile servers (`:` separated, as mount.glusterfs wants),
/// `auto_unmount`, `log-level=ERROR` (as the in-tree plugin mounted) and the
/// client's `log-file`.
pub fn mount_options(req: &NodePublishVolumeRequest, log: &Path) -> Vec<String> {
    let cap = req.volume_capability.as_ref();
    let read_only = req.readonly || cap.is_some_and(capability::read_only);
    let mut options = Vec::new();
    if read_only {
        options.push("ro".to_string());
    }
    if let Some(cap) = cap {
        for flag in capability::mount_flags(cap) {
            if !options.contains(&flag) {
                options.push(flag);
            }
        }
    }
    if let Some(backup) = req.volume_context.get(context::BACKUP_SERVERS) {
        let hosts: Vec<&str> = backup
            .split([',', ':'])
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        if !hosts.is_empty() {
            options.push(format!("backup-volfile-servers={}", hosts.join(":")));
        }
    }
    options.push("auto_unmount".to_string());
    options.push("log-level=ERROR".to_string());
    options.push(format!("log-file={}", log.display()));
    options
}

fn required<'a>(value: &'a str, name: &str) -> Result<&'a str, Status> {
    if value.is_empty() {
        Err(status::invalid(format!("{name} is required")))
    } else {
        Ok(value)
    }
}

#[tonic::async_trait]
impl Node for NodeService {
    async fn node_publish_volume(
        &self,
        request: Request<NodePublishVolumeRequest>,
    ) -> Result<Response<NodePublishVolumeResponse>, Status> {
        let req = request.into_inner();
        let volume_id = required(&req.volume_id, "volume_id")?;
        let target = PathBuf::from(required(&req.target_path, "target_path")?);
        let cap = req
            .volume_capability
            .as_ref()
            .ok_or_else(|| status::invalid("volume_capability is required"))?;
        capability::check(cap)?;
        let server = req
            .volume_context
            .get(context::SERVER)
            .filter(|s| !s.is_empty());
        let volume = req
            .volume_context
            .get(context::VOLUME)
            .filter(|s| !s.is_empty());
        let (Some(server), Some(volume)) = (server, volume) else {
            return Err(status::invalid(format!(
                "volume_context of {volume_id} lacks '{}' and '{}': was the volume made by this driver?",
                context::SERVER,
                context::VOLUME
            )));
        };
        let source = format!("{server}:/{volume}");
        let log = log_file(&self.log_dir, &target);
        let spec = MountSpec {
            source: source.clone(),
            target: target.clone(),
            fstype: "glusterfs".to_string(),
            options: mount_options(&req, &log),
        };
        let read_only = spec.options.iter().any(|o| o == "ro");
        let what = format!("mount {source} on {}", target.display());
        if let Some(m) = self
            .mounter
            .mounted(&target)
            .await
            .map_err(|e| mount_status(&what, &e))?
        {
            if !(same_source(&m.source, &source) && m.read_only == read_only) {
                return Err(Status::already_exists(format!(
                    "{} already has {} mounted{}: not {source}{}",
                    target.display(),
                    m.source,
                    if m.read_only { " read-only" } else { "" },
                    if read_only { " read-only" } else { "" },
                )));
            }
            // Already mounted: done, unless its client is gone (a stale mount every
            // access fails on), which is unmounted and mounted again.
            let health = self.mounter.health(&target).await;
            let MountHealth::Stale(_) = health else {
                return Ok(Response::new(NodePublishVolumeResponse {}));
            };
            tracing::warn!(
                "{source} at {}: {}; mounting it again",
                target.display(),
                health.problem().unwrap_or_default()
            );
            self.unmount(&target).await.map_err(|e| {
                mount_status(
                    &format!(
                        "unmount the stale mount of {source} at {}",
                        target.display()
                    ),
                    &e,
                )
            })?;
        }
        tokio::fs::create_dir_all(&target)
            .await
            .map_err(|e| Status::internal(format!("create {}: {e}", target.display())))?;
        if let Err(e) = tokio::fs::create_dir_all(&self.log_dir).await {
            tracing::warn!(
                "cannot create the log directory {}: {e}",
                self.log_dir.display()
            );
        }
        if let Err(e) = self.mounter.mount(&spec).await {
            let status = mount_status(&what, &e);
            // A client that died after the kernel mount was made leaves a dead mount of
            // this very source: the next publish would take it for done.
            match self.mounter.mounted(&target).await {
                Ok(Some(_)) => {
                    if let Err(u) = self.unmount(&target).await {
                        tracing::warn!(
                            "cannot unmount what the failed mount left at {}: {u}",
                            target.display()
                        );
                    }
                }
                Ok(None) => {}
                Err(m) => tracing::warn!("cannot read the mounts: {m}"),
            }
            let tail = log_tail(&log).await;
            if tail.is_empty() {
                return Err(status);
            }
            return Err(Status::new(
                status.code(),
                format!(
                    "{}\nend of the client log {}:\n{tail}",
                    status.message(),
                    log.display()
                ),
            ));
        }
        Ok(Response::new(NodePublishVolumeResponse {}))
    }

    /// Unmounts (when mounted; lazily when a stale mount refuses a plain unmount) and
    /// removes the target directory and the mount's client log; succeeds when there is
    /// nothing left to do.
    async fn node_unpublish_volume(
        &self,
        request: Request<NodeUnpublishVolumeRequest>,
    ) -> Result<Response<NodeUnpublishVolumeResponse>, Status> {
        let req = request.into_inner();
        required(&req.volume_id, "volume_id")?;
        let target = PathBuf::from(required(&req.target_path, "target_path")?);
        let what = format!("unmount {}", target.display());
        if self
            .mounter
            .mounted(&target)
            .await
            .map_err(|e| mount_status(&what, &e))?
            .is_some()
        {
            self.unmount(&target)
                .await
                .map_err(|e| mount_status(&what, &e))?;
        }
        match tokio::fs::remove_dir(&target).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Status::internal(format!(
                    "remove {}: {e}",
                    target.display()
                )));
            }
        }
        let log = log_file(&self.log_dir, &target);
        match tokio::fs::remove_file(&log).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot remove the client log {}: {e}", log.display()),
        }
        Ok(Response::new(NodeUnpublishVolumeResponse {}))
    }

    async fn node_get_volume_stats(
        &self,
        request: Request<NodeGetVolumeStatsRequest>,
    ) -> Result<Response<NodeGetVolumeStatsResponse>, Status> {
        let req = request.into_inner();
        let volume_id = required(&req.volume_id, "volume_id")?;
        let path = PathBuf::from(required(&req.volume_path, "volume_path")?);
        let what = format!("stats of {}", path.display());
        // The mount table first: a stale mount point fails even a stat.
        if self
            .mounter
            .mounted(&path)
            .await
            .map_err(|e| mount_status(&what, &e))?
            .is_none()
        {
            if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
                return Err(Status::not_found(format!(
                    "volume path {} does not exist",
                    path.display()
                )));
            }
            return Err(Status::not_found(format!(
                "volume {volume_id} is not mounted at {}",
                path.display()
            )));
        }
        let abnormal = |problem: String| {
            Response::new(NodeGetVolumeStatsResponse {
                usage: Vec::new(),
                volume_condition: Some(VolumeCondition {
                    abnormal: true,
                    message: format!(
                        "volume {volume_id} at {}: {problem}; a new NodePublishVolume of it \
                         (restart the pod) mounts it again",
                        path.display()
                    ),
                }),
            })
        };
        if let Some(problem) = self.mounter.health(&path).await.problem() {
            return Ok(abnormal(problem));
        }
        let stat_path = path.clone();
        let usage = match tokio::task::spawn_blocking(move || usage_of(&stat_path))
            .await
            .map_err(|e| Status::internal(format!("{what}: {e}")))?
        {
            Ok(usage) => usage,
            // The client died since the probe.
            Err(e) if crate::mounter::is_stale_errno(e) => {
                return Ok(abnormal(
                    MountHealth::Stale(e).problem().unwrap_or_default(),
                ));
            }
            Err(e) => return Err(Status::internal(format!("{what}: {e}"))),
        };
        Ok(Response::new(NodeGetVolumeStatsResponse {
            usage,
            volume_condition: Some(VolumeCondition {
                abnormal: false,
                message: String::new(),
            }),
        }))
    }

    async fn node_get_capabilities(
        &self,
        _request: Request<NodeGetCapabilitiesRequest>,
    ) -> Result<Response<NodeGetCapabilitiesResponse>, Status> {
        Ok(Response::new(NodeGetCapabilitiesResponse {
            capabilities: [rpc::Type::GetVolumeStats, rpc::Type::VolumeCondition]
                .into_iter()
                .map(|t| NodeServiceCapability {
                    r#type: Some(node_service_capability::Type::Rpc(
                        node_service_capability::Rpc { r#type: t as i32 },
                    )),
                })
                .collect(),
        }))
    }

    async fn node_get_info(
        &self,
        _request: Request<NodeGetInfoRequest>,
    ) -> Result<Response<NodeGetInfoResponse>, Status> {
        Ok(Response::new(NodeGetInfoResponse {
            node_id: self.node_id.clone(),
            max_volumes_per_node: 0,
            accessible_topology: None,
        }))
    }
}

/// Bytes and inodes of the file system at `path`.
pub fn usage_of(path: &Path) -> Result<Vec<VolumeUsage>, nix::errno::Errno> {
    let s = nix::sys::statvfs::statvfs(path)?;
    let frsize = s.fragment_size() as i64;
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let total = clamp(s.blocks() as u64).saturating_mul(frsize);
    let free = clamp(s.blocks_free() as u64).saturating_mul(frsize);
    let available = clamp(s.blocks_available() as u64).saturating_mul(frsize);
    let inodes = clamp(s.files() as u64);
    let inodes_free = clamp(s.files_free() as u64);
    Ok(vec![
        VolumeUsage {
            available,
            total,
            used: total.saturating_sub(free),
            unit: Unit::Bytes as i32,
        },
        VolumeUsage {
            available: inodes_free,
            total: inodes,
            used: inodes.saturating_sub(inodes_free),
            unit: Unit::Inodes as i32,
        },
    ])
}
