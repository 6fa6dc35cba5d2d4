//! The Node service: mounts a volume where the kubelet asks
//! (`mount -t glusterfs HOST:/VOL TARGET -o backup-volfile-servers=…`), unmounts,
//! and reports usage from statvfs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::capability;
use crate::controller::context;
use crate::mounter::{MountError, MountSpec, Mounter, same_source};
use crate::proto::node_server::Node;
use crate::proto::node_service_capability::{self, rpc};
use crate::proto::volume_usage::Unit;
use crate::proto::{
    NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse, NodeGetInfoRequest,
    NodeGetInfoResponse, NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse,
    NodePublishVolumeRequest, NodePublishVolumeResponse, NodeServiceCapability,
    NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse, VolumeUsage,
};
use crate::status;

/// The Node service.
#[derive(Clone)]
pub struct NodeService {
    node_id: String,
    mounter: Arc<dyn Mounter>,
}

impl NodeService {
    /// The node service of node `node_id`, mounting with `mounter`.
    pub fn new(node_id: String, mounter: Arc<dyn Mounter>) -> NodeService {
        NodeService { node_id, mounter }
    }
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
/// `auto_unmount` and `log-level=ERROR` (as the in-tree plugin mounted).
pub fn mount_options(req: &NodePublishVolumeRequest) -> Vec<String> {
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
        let spec = MountSpec {
            source: source.clone(),
            target: target.clone(),
            fstype: "glusterfs".to_string(),
            options: mount_options(&req),
        };
        let read_only = spec.options.iter().any(|o| o == "ro");
        let what = format!("mount {source} on {}", target.display());
        if let Some(m) = self
            .mounter
            .mounted(&target)
            .await
            .map_err(|e| mount_status(&what, &e))?
        {
            if same_source(&m.source, &source) && m.read_only == read_only {
                return Ok(Response::new(NodePublishVolumeResponse {}));
            }
            return Err(Status::already_exists(format!(
                "{} already has {} mounted{}: not {source}{}",
                target.display(),
                m.source,
                if m.read_only { " read-only" } else { "" },
                if read_only { " read-only" } else { "" },
            )));
        }
        tokio::fs::create_dir_all(&target)
            .await
            .map_err(|e| Status::internal(format!("create {}: {e}", target.display())))?;
        self.mounter
            .mount(&spec)
            .await
            .map_err(|e| mount_status(&what, &e))?;
        Ok(Response::new(NodePublishVolumeResponse {}))
    }

    /// Unmounts (when mounted) and removes the target directory; succeeds when
    /// there is nothing left to do.
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
            self.mounter
                .unmount(&target)
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
        Ok(Response::new(NodeUnpublishVolumeResponse {}))
    }

    async fn node_get_volume_stats(
        &self,
        request: Request<NodeGetVolumeStatsRequest>,
    ) -> Result<Response<NodeGetVolumeStatsResponse>, Status> {
        let req = request.into_inner();
        let volume_id = required(&req.volume_id, "volume_id")?;
        let path = PathBuf::from(required(&req.volume_path, "volume_path")?);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Err(Status::not_found(format!(
                "volume path {} does not exist",
                path.display()
            )));
        }
        let what = format!("stats of {}", path.display());
        if self
            .mounter
            .mounted(&path)
            .await
            .map_err(|e| mount_status(&what, &e))?
            .is_none()
        {
            return Err(Status::not_found(format!(
                "volume {volume_id} is not mounted at {}",
                path.display()
            )));
        }
        let usage = tokio::task::spawn_blocking(move || usage_of(&path))
            .await
            .map_err(|e| Status::internal(format!("{what}: {e}")))?
            .map_err(|e| {
                if e == nix::errno::Errno::ENOTCONN {
                    Status::unavailable(format!(
                        "{what}: {e} (the gluster client lost its servers)"
                    ))
                } else {
                    Status::internal(format!("{what}: {e}"))
                }
            })?;
        Ok(Response::new(NodeGetVolumeStatsResponse {
            usage,
            volume_condition: None,
        }))
    }

    async fn node_get_capabilities(
        &self,
        _request: Request<NodeGetCapabilitiesRequest>,
    ) -> Result<Response<NodeGetCapabilitiesResponse>, Status> {
        Ok(Response::new(NodeGetCapabilitiesResponse {
            capabilities: vec![NodeServiceCapability {
                r#type: Some(node_service_capability::Type::Rpc(
                    node_service_capability::Rpc {
                        r#type: rpc::Type::GetVolumeStats as i32,
                    },
                )),
            }],
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
