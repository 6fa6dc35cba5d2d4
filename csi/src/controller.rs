//! The Controller service: volumes on a Heketi-compatible server through the
//! `brickyard-cli` REST client.
//!
//! CreateVolume is idempotent by CSI name: the gluster volume's name is derived
//! from it (see [`ProvisionParams::volume_name`]), and a per-name lock makes
//! concurrent calls for one name create one volume. The names and GIDs of the
//! back end's volumes are cached (they never change), so each volume is fetched
//! once per controller lifetime to find a name or a free GID.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brickyard::api::{
    EntryState, VolumeCreateRequest, VolumeExpandRequest, VolumeInfoResponse, VolumeSnapshot,
};
use brickyard_cli::client::{Client, ClientError, TlsOptions};
use tonic::{Request, Response, Status};

use crate::backend::{self, Backend};
use crate::capability;
use crate::params::{self, ProvisionParams};
use crate::proto::controller_server::Controller;
use crate::proto::controller_service_capability::{self, rpc};
use crate::proto::validate_volume_capabilities_response::Confirmed;
use crate::proto::{
    CapacityRange, ControllerExpandVolumeRequest, ControllerExpandVolumeResponse,
    ControllerGetCapabilitiesRequest, ControllerGetCapabilitiesResponse,
    ControllerServiceCapability, CreateVolumeRequest, CreateVolumeResponse, DeleteVolumeRequest,
    DeleteVolumeResponse, GetCapacityRequest, GetCapacityResponse, ListVolumesRequest,
    ListVolumesResponse, ValidateVolumeCapabilitiesRequest, ValidateVolumeCapabilitiesResponse,
    Volume, list_volumes_response,
};
use crate::status;
use crate::volume_id::VolumeId;

/// One GiB in bytes.
pub const GIB: i64 = 1 << 30;

/// Volume context keys (what NodePublishVolume mounts).
pub mod context {
    /// The first storage host (`HOST` of `HOST:/VOL`).
    pub const SERVER: &str = "server";
    /// The gluster volume name.
    pub const VOLUME: &str = "volume";
    /// The other storage hosts, comma separated (Heketi's `backup-volfile-servers`).
    pub const BACKUP_SERVERS: &str = "backup-volfile-servers";
    /// The volume's GID (pods with that supplemental group can write).
    pub const GID: &str = "gid";
}

/// Settings of the controller.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// The back end for StorageClasses without `resturl`, ListVolumes and the probe.
    pub default_backend: Option<Backend>,
    /// Pause between polls of a pending operation.
    pub poll: Duration,
    /// How an `https://` back end's certificate is checked (`--tls-ca`).
    pub tls: TlsOptions,
}

/// What is known of a back end's volumes: id → (name, gid).
#[derive(Default)]
struct Known {
    volumes: HashMap<String, (String, i64)>,
    /// GIDs handed to creates still running.
    pending_gids: HashSet<i64>,
}

/// The Controller service.
#[derive(Clone)]
pub struct ControllerService {
    config: ControllerConfig,
    known: Arc<Mutex<HashMap<String, Known>>>,
    name_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl ControllerService {
    /// A controller with `config`.
    pub fn new(config: ControllerConfig) -> ControllerService {
        ControllerService {
            config,
            known: Arc::default(),
            name_locks: Arc::default(),
        }
    }

    fn client(&self, b: &Backend) -> Client {
        b.client(self.config.poll, &self.config.tls)
    }

    fn lock_known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the cache of `b`'s volumes up to date; returns id → (name, gid).
    async fn refresh(&self, b: &Backend) -> Result<HashMap<String, (String, i64)>, Status> {
        let client = self.client(b);
        let ids = backend::call(&client, "list volumes", |c| c.volume_list())
            .await?
            .volumes;
        let unknown: Vec<String> = {
            let known = self.lock_known();
            let k = known.get(&b.id());
            ids.iter()
                .filter(|id| k.is_none_or(|k| !k.volumes.contains_key(*id)))
                .cloned()
                .collect()
        };
        let mut found = Vec::new();
        for id in unknown {
            let what = format!("get volume {id}");
            let vid = id.clone();
            match backend::call_raw(&client, &what, move |c| c.volume_info(&vid)).await? {
                Ok(info) => found.push((id, (info.info.request.name, info.info.request.gid))),
                // Deleted since the list.
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(status::from_client(&what, &e)),
            }
        }
        let mut known = self.lock_known();
        let k = known.entry(b.id()).or_default();
        k.volumes.extend(found);
        let listed: HashSet<&String> = ids.iter().collect();
        k.volumes.retain(|id, _| listed.contains(id));
        Ok(k.volumes.clone())
    }

    /// The lowest GID of `[min, max]` that no volume and no running create uses.
    fn reserve_gid(
        &self,
        b: &Backend,
        used: &HashMap<String, (String, i64)>,
        min: i64,
        max: i64,
    ) -> Result<i64, Status> {
        let mut known = self.lock_known();
        let k = known.entry(b.id()).or_default();
        let taken: BTreeSet<i64> = used
            .values()
            .map(|(_, g)| *g)
            .chain(k.pending_gids.iter().copied())
            .filter(|g| (min..=max).contains(g))
            .collect();
        let mut gid = min;
        for t in &taken {
            if *t == gid {
                gid += 1;
            } else if *t > gid {
                break;
            }
        }
        if gid > max {
            return Err(Status::resource_exhausted(format!(
                "no free GID left in {min}..{max}: every one is used by a volume"
            )));
        }
        k.pending_gids.insert(gid);
        Ok(gid)
    }

    fn release_gid(&self, b: &Backend, gid: i64, created: Option<(String, String)>) {
        let mut known = self.lock_known();
        let k = known.entry(b.id()).or_default();
        k.pending_gids.remove(&gid);
        if let Some((id, name)) = created {
            k.volumes.insert(id, (name, gid));
        }
    }

    fn forget(&self, b: &Backend, id: &str) {
        if let Some(k) = self.lock_known().get_mut(&b.id()) {
            k.volumes.remove(id);
        }
    }

    fn name_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.name_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(key.to_string()).or_default().clone()
    }

    fn drop_name_lock(&self, key: &str) {
        let mut locks = self.name_locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks.get(key).is_some_and(|l| Arc::strong_count(l) == 1) {
            locks.remove(key);
        }
    }

    /// The back end of an existing volume: the key from `secrets`, else the
    /// controller's own when the volume is on its default back end.
    fn backend_of(
        &self,
        vid: &VolumeId,
        secrets: &HashMap<String, String>,
    ) -> Result<Backend, Status> {
        let key = params::key_from_secrets(secrets).map_err(status::invalid)?;
        let key = key.or_else(|| {
            self.config
                .default_backend
                .as_ref()
                .filter(|d| d.url == vid.url && d.user == vid.user)
                .map(|d| d.key.clone())
        });
        let ca = params::ca_from_secrets(secrets).map_err(status::invalid)?;
        Ok(vid.backend(&key.unwrap_or_default()).with_ca(ca))
    }

    async fn create(&self, req: CreateVolumeRequest) -> Result<Volume, Status> {
        if req.name.is_empty() {
            return Err(status::invalid("name is required"));
        }
        capability::check_all(&req.volume_capabilities)?;
        if req.volume_content_source.is_some() {
            return Err(status::invalid(
                "volume_content_source is not supported: this driver neither clones nor restores snapshots",
            ));
        }
        let size_gib = size_gib(req.capacity_range.as_ref())?;
        let p = ProvisionParams::parse(&req.parameters, &req.secrets).map_err(status::invalid)?;
        let b = params::resolve_backend(&p.backend, self.config.default_backend.as_ref())
            .map_err(status::invalid)?;
        let name = p.volume_name(&req.name);
        let lock_key = format!("{}|{name}", b.id());
        let lock = self.name_lock(&lock_key);
        let result = {
            let _guard = lock.lock().await;
            self.create_locked(&req.name, &name, size_gib, &p, &b).await
        };
        drop(lock);
        self.drop_name_lock(&lock_key);
        result
    }

    async fn create_locked(
        &self,
        csi_name: &str,
        name: &str,
        size_gib: i64,
        p: &ProvisionParams,
        b: &Backend,
    ) -> Result<Volume, Status> {
        let client = self.client(b);
        let volumes = self.refresh(b).await?;
        if let Some(id) = find_by_name(&volumes, name) {
            return self.existing(&client, b, &id, csi_name, size_gib).await;
        }
        let gid = self.reserve_gid(b, &volumes, p.gid_min, p.gid_max)?;
        let request = VolumeCreateRequest {
            size: size_gib,
            clusters: p.clusters.clone(),
            name: name.to_string(),
            durability: p.volume_type.durability(),
            gid,
            glustervolumeoptions: p.volume_options.clone(),
            block: false,
            snapshot: VolumeSnapshot {
                enable: true,
                factor: p.snap_factor,
            },
        };
        let what = format!("create volume {name} ({size_gib} GiB) for {csi_name}");
        let answer = backend::call_raw(&client, &what, move |c| c.volume_create(&request)).await;
        match answer {
            Ok(Ok(info)) => {
                self.release_gid(b, gid, Some((info.info.id.clone(), name.to_string())));
                Ok(csi_volume(&info, b))
            }
            Ok(Err(e)) => {
                self.release_gid(b, gid, None);
                // A create of this name that an earlier controller started may have
                // finished meanwhile: answer with that volume.
                if status::is_name_taken(&e) {
                    let volumes = self.refresh(b).await?;
                    if let Some(id) = find_by_name(&volumes, name) {
                        return self.existing(&client, b, &id, csi_name, size_gib).await;
                    }
                }
                Err(status::from_client(&what, &e))
            }
            Err(e) => {
                self.release_gid(b, gid, None);
                Err(e)
            }
        }
    }

    /// The volume already made for `csi_name`, if its size is the one asked for.
    async fn existing(
        &self,
        client: &Client,
        b: &Backend,
        id: &str,
        csi_name: &str,
        size_gib: i64,
    ) -> Result<Volume, Status> {
        let vid = id.to_string();
        let info = backend::call(client, &format!("get volume {id}"), move |c| {
            c.volume_info(&vid)
        })
        .await?;
        let have = info.info.request.size;
        if have != size_gib {
            return Err(Status::already_exists(format!(
                "volume {csi_name} exists with {have} GiB, not the {size_gib} GiB asked for"
            )));
        }
        Ok(csi_volume(&info, b))
    }

    /// Bytes of raw free space usable for volumes of `parameters`.
    async fn capacity(&self, req: &GetCapacityRequest) -> Result<i64, Status> {
        if req
            .volume_capabilities
            .iter()
            .any(|c| capability::unsupported(c).is_some())
        {
            return Ok(0);
        }
        let (bp, clusters, volume_type) =
            params::capacity_params(&req.parameters).map_err(status::invalid)?;
        let b = params::resolve_backend(&bp, self.config.default_backend.as_ref())
            .map_err(status::invalid)?;
        let client = self.client(&b);
        let free_kib = backend::call(&client, "read the topology", move |c| {
            let mut free: u64 = 0;
            for cid in c.cluster_list()?.clusters {
                if !clusters.is_empty() && !clusters.contains(&cid) {
                    continue;
                }
                let cluster = c.cluster_info(&cid)?;
                if !cluster.file {
                    continue;
                }
                for nid in &cluster.nodes {
                    let node = c.node_info(nid)?;
                    if node.state != EntryState::Online {
                        continue;
                    }
                    for d in node
                        .devices
                        .iter()
                        .filter(|d| d.state == EntryState::Online)
                    {
                        free = free.saturating_add(d.info.storage.free);
                    }
                }
            }
            Ok::<u64, ClientError>(free)
        })
        .await?;
        let bytes = (free_kib as f64) * 1024.0 / volume_type.raw_factor();
        Ok(bytes.min(i64::MAX as f64) as i64)
    }
}

fn find_by_name(volumes: &HashMap<String, (String, i64)>, name: &str) -> Option<String> {
    volumes
        .iter()
        .find(|(_, (n, _))| n == name)
        .map(|(id, _)| id.clone())
}

/// The size in whole GiB for a capacity range: `required_bytes` rounded up (1 GiB
/// when unset), within `limit_bytes`.
pub fn size_gib(range: Option<&CapacityRange>) -> Result<i64, Status> {
    let (required, limit) = range
        .map(|r| (r.required_bytes, r.limit_bytes))
        .unwrap_or((0, 0));
    if required < 0 || limit < 0 {
        return Err(status::invalid(format!(
            "capacity_range may not be negative (required_bytes {required}, limit_bytes {limit})"
        )));
    }
    if limit > 0 && required > limit {
        return Err(Status::out_of_range(format!(
            "required_bytes {required} exceeds limit_bytes {limit}"
        )));
    }
    let gib = if required == 0 {
        1
    } else {
        required / GIB + i64::from(required % GIB != 0)
    };
    if limit > 0 && gib.saturating_mul(GIB) > limit {
        return Err(Status::out_of_range(format!(
            "volumes come in whole GiB: {gib} GiB is the smallest that holds {required} bytes, \
             more than limit_bytes {limit}"
        )));
    }
    Ok(gib)
}

/// The CSI view of a Heketi volume.
pub fn csi_volume(info: &VolumeInfoResponse, b: &Backend) -> Volume {
    let mount = &info.info.mount.glusterfs;
    let (server, volume) = match mount.mount_point.rsplit_once(':') {
        Some((h, v)) => (h.to_string(), v.to_string()),
        None => (
            mount.hosts.first().cloned().unwrap_or_default(),
            info.info.request.name.clone(),
        ),
    };
    let mut ctx = HashMap::new();
    ctx.insert(context::SERVER.to_string(), server);
    ctx.insert(context::VOLUME.to_string(), volume);
    if let Some(backup) = mount.options.get("backup-volfile-servers")
        && !backup.is_empty()
    {
        ctx.insert(context::BACKUP_SERVERS.to_string(), backup.clone());
    }
    if info.info.request.gid != 0 {
        ctx.insert(context::GID.to_string(), info.info.request.gid.to_string());
    }
    Volume {
        capacity_bytes: info.info.request.size.saturating_mul(GIB),
        volume_id: VolumeId::new(&info.info.id, b).to_string(),
        volume_context: ctx,
        content_source: None,
        accessible_topology: Vec::new(),
    }
}

fn rpc_capability(t: rpc::Type) -> ControllerServiceCapability {
    ControllerServiceCapability {
        r#type: Some(controller_service_capability::Type::Rpc(
            controller_service_capability::Rpc { r#type: t as i32 },
        )),
    }
}

#[tonic::async_trait]
impl Controller for ControllerService {
    async fn create_volume(
        &self,
        request: Request<CreateVolumeRequest>,
    ) -> Result<Response<CreateVolumeResponse>, Status> {
        let volume = self.create(request.into_inner()).await?;
        Ok(Response::new(CreateVolumeResponse {
            volume: Some(volume),
        }))
    }

    /// Deleting a volume that does not exist (or an id this driver cannot have
    /// made) succeeds.
    async fn delete_volume(
        &self,
        request: Request<DeleteVolumeRequest>,
    ) -> Result<Response<DeleteVolumeResponse>, Status> {
        let req = request.into_inner();
        if req.volume_id.is_empty() {
            return Err(status::invalid("volume_id is required"));
        }
        let Some(vid) = VolumeId::parse(&req.volume_id) else {
            return Ok(Response::new(DeleteVolumeResponse {}));
        };
        let b = self.backend_of(&vid, &req.secrets)?;
        let client = self.client(&b);
        let what = format!("delete volume {}", vid.id);
        let id = vid.id.clone();
        match backend::call_raw(&client, &what, move |c| c.volume_delete(&id)).await? {
            Ok(()) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Err(status::from_client(&what, &e)),
        }
        self.forget(&b, &vid.id);
        Ok(Response::new(DeleteVolumeResponse {}))
    }

    async fn validate_volume_capabilities(
        &self,
        request: Request<ValidateVolumeCapabilitiesRequest>,
    ) -> Result<Response<ValidateVolumeCapabilitiesResponse>, Status> {
        let req = request.into_inner();
        if req.volume_id.is_empty() {
            return Err(status::invalid("volume_id is required"));
        }
        if req.volume_capabilities.is_empty() {
            return Err(status::invalid("volume_capabilities is required"));
        }
        for cap in &req.volume_capabilities {
            capability::check_shape(cap)?;
        }
        let vid = VolumeId::parse(&req.volume_id)
            .ok_or_else(|| Status::not_found(format!("volume {} does not exist", req.volume_id)))?;
        let b = self.backend_of(&vid, &req.secrets)?;
        let id = vid.id.clone();
        backend::call(
            &self.client(&b),
            &format!("get volume {}", vid.id),
            move |c| c.volume_info(&id),
        )
        .await?;
        let refused: Vec<String> = req
            .volume_capabilities
            .iter()
            .filter_map(capability::unsupported)
            .collect();
        let answer = if refused.is_empty() {
            ValidateVolumeCapabilitiesResponse {
                confirmed: Some(Confirmed {
                    volume_context: req.volume_context,
                    volume_capabilities: req.volume_capabilities,
                    parameters: req.parameters,
                }),
                message: String::new(),
            }
        } else {
            ValidateVolumeCapabilitiesResponse {
                confirmed: None,
                message: refused.join("; "),
            }
        };
        Ok(Response::new(answer))
    }

    /// The default back end's volumes, by id; `next_token` is the id the next
    /// page starts at (a token whose volume was deleted meanwhile still works).
    async fn list_volumes(
        &self,
        request: Request<ListVolumesRequest>,
    ) -> Result<Response<ListVolumesResponse>, Status> {
        let req = request.into_inner();
        if req.max_entries < 0 {
            return Err(status::invalid(format!(
                "max_entries may not be negative, got {}",
                req.max_entries
            )));
        }
        let token = req.starting_token;
        if !token.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Status::aborted(format!(
                "starting_token {token:?} was not made by this driver"
            )));
        }
        let b = self.config.default_backend.clone().ok_or_else(|| {
            Status::failed_precondition(
                "ListVolumes lists the controller's default back end: start the controller with --resturl",
            )
        })?;
        let client = self.client(&b);
        let mut ids = backend::call(&client, "list volumes", |c| c.volume_list())
            .await?
            .volumes;
        ids.sort();
        let start = ids.partition_point(|id| id.as_str() < token.as_str());
        if !token.is_empty() && start == ids.len() {
            // Past the end: nothing left (the token's volume and all after it are gone).
            return Ok(Response::new(ListVolumesResponse::default()));
        }
        let max = if req.max_entries == 0 {
            usize::MAX
        } else {
            req.max_entries as usize
        };
        let end = start.saturating_add(max).min(ids.len());
        let mut entries = Vec::with_capacity(end - start);
        for id in &ids[start..end] {
            let what = format!("get volume {id}");
            let vid = id.clone();
            match backend::call_raw(&client, &what, move |c| c.volume_info(&vid)).await? {
                Ok(info) => entries.push(list_volumes_response::Entry {
                    volume: Some(csi_volume(&info, &b)),
                    status: None,
                }),
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(status::from_client(&what, &e)),
            }
        }
        let next_token = ids.get(end).cloned().unwrap_or_default();
        Ok(Response::new(ListVolumesResponse {
            entries,
            next_token,
        }))
    }

    /// Free space of the online devices of the StorageClass's clusters, divided
    /// by what the volume type needs per byte (3 for `replicate:3`).
    async fn get_capacity(
        &self,
        request: Request<GetCapacityRequest>,
    ) -> Result<Response<GetCapacityResponse>, Status> {
        let available_capacity = self.capacity(request.get_ref()).await?;
        Ok(Response::new(GetCapacityResponse {
            available_capacity,
            maximum_volume_size: None,
            minimum_volume_size: None,
        }))
    }

    async fn controller_get_capabilities(
        &self,
        _request: Request<ControllerGetCapabilitiesRequest>,
    ) -> Result<Response<ControllerGetCapabilitiesResponse>, Status> {
        Ok(Response::new(ControllerGetCapabilitiesResponse {
            capabilities: vec![
                rpc_capability(rpc::Type::CreateDeleteVolume),
                rpc_capability(rpc::Type::ListVolumes),
                rpc_capability(rpc::Type::GetCapacity),
                rpc_capability(rpc::Type::ExpandVolume),
            ],
        }))
    }

    /// Heketi's volume expand; a GlusterFS mount sees the new size at once, so no
    /// node expansion is needed.
    async fn controller_expand_volume(
        &self,
        request: Request<ControllerExpandVolumeRequest>,
    ) -> Result<Response<ControllerExpandVolumeResponse>, Status> {
        let req = request.into_inner();
        if req.volume_id.is_empty() {
            return Err(status::invalid("volume_id is required"));
        }
        let Some(range) = req.capacity_range.as_ref() else {
            return Err(status::invalid("capacity_range is required"));
        };
        if let Some(cap) = &req.volume_capability {
            capability::check(cap)?;
        }
        let want = size_gib(Some(range))?;
        let vid = VolumeId::parse(&req.volume_id)
            .ok_or_else(|| Status::not_found(format!("volume {} does not exist", req.volume_id)))?;
        let b = self.backend_of(&vid, &req.secrets)?;
        let client = self.client(&b);
        let id = vid.id.clone();
        let info = backend::call(&client, &format!("get volume {}", vid.id), move |c| {
            c.volume_info(&id)
        })
        .await?;
        let have = info.info.request.size;
        let size = if have >= want {
            have
        } else {
            let id = vid.id.clone();
            let what = format!("expand volume {} by {} GiB", vid.id, want - have);
            let body = VolumeExpandRequest {
                expand_size: want - have,
            };
            backend::call(&client, &what, move |c| c.volume_expand(&id, &body))
                .await?
                .info
                .request
                .size
        };
        Ok(Response::new(ControllerExpandVolumeResponse {
            capacity_bytes: size.saturating_mul(GIB),
            node_expansion_required: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(required: i64, limit: i64) -> CapacityRange {
        CapacityRange {
            required_bytes: required,
            limit_bytes: limit,
        }
    }

    #[test]
    fn sizes_round_up_to_gib() {
        assert_eq!(size_gib(None).expect("default"), 1);
        assert_eq!(size_gib(Some(&range(1, 0))).expect("1 byte"), 1);
        assert_eq!(size_gib(Some(&range(GIB, 0))).expect("1 GiB"), 1);
        assert_eq!(size_gib(Some(&range(GIB + 1, 0))).expect("1 GiB + 1"), 2);
        assert_eq!(size_gib(Some(&range(0, 5 * GIB))).expect("limit only"), 1);
        assert_eq!(
            size_gib(Some(&range(GIB + 1, GIB + 10)))
                .expect_err("limit")
                .code(),
            tonic::Code::OutOfRange
        );
        assert_eq!(
            size_gib(Some(&range(-1, 0))).expect_err("negative").code(),
            tonic::Code::InvalidArgument
        );
    }
}
