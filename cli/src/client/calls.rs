//! One method per API call heketi-cli makes (`heketi/heketi:client/api/go-client/*.go`),
//! with the Go client's expected status codes.

use brickyard::api::{
    AdminStatus, BlockVolumeCreateRequest, BlockVolumeExpandRequest, BlockVolumeInfo,
    BlockVolumeListResponse, BrickEvictOptions, ClusterFlags, ClusterInfoResponse,
    ClusterListResponse, DeviceAddRequest, DeviceDeleteOptions, DeviceInfoResponse, LogLevelInfo,
    NodeAddRequest, NodeInfoResponse, OperationsInfo, PendingOperationDetails,
    PendingOperationListResponse, PendingOperationsCleanRequest, StateRequest, Tags,
    TagsChangeRequest, TopologyCluster, TopologyInfoResponse, VolumeBlockRestrictionRequest,
    VolumeCloneRequest, VolumeCreateRequest, VolumeExpandRequest, VolumeInfoResponse,
    VolumeListResponse,
};

use super::{Client, ClientError, VolumePlan};

const OK: &[u16] = &[200];
const CREATED: &[u16] = &[201];
const NO_CONTENT: &[u16] = &[204];

impl Client {
    /// `GET /hello`.
    pub fn hello(&self) -> Result<String, ClientError> {
        self.call("GET", "/hello", None, OK)
    }

    // ----- clusters -----

    /// `POST /clusters` → 201.
    pub fn cluster_create(&self, req: &ClusterFlags) -> Result<ClusterInfoResponse, ClientError> {
        self.call_json("POST", "/clusters", Some(&Self::body(req)?), CREATED)
    }

    /// `GET /clusters`.
    pub fn cluster_list(&self) -> Result<ClusterListResponse, ClientError> {
        self.call_json("GET", "/clusters", None, OK)
    }

    /// `GET /clusters/{id}`.
    pub fn cluster_info(&self, id: &str) -> Result<ClusterInfoResponse, ClientError> {
        self.call_json("GET", &format!("/clusters/{id}"), None, OK)
    }

    /// `DELETE /clusters/{id}` → 200.
    pub fn cluster_delete(&self, id: &str) -> Result<(), ClientError> {
        self.call("DELETE", &format!("/clusters/{id}"), None, OK)
            .map(drop)
    }

    /// `POST /clusters/{id}/flags` → 200.
    pub fn cluster_set_flags(&self, id: &str, req: &ClusterFlags) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call("POST", &format!("/clusters/{id}/flags"), Some(&body), OK)
            .map(drop)
    }

    // ----- nodes -----

    /// `POST /nodes` → 202 … 303 → the new node.
    pub fn node_add(&self, req: &NodeAddRequest) -> Result<NodeInfoResponse, ClientError> {
        self.call_json("POST", "/nodes", Some(&Self::body(req)?), OK)
    }

    /// `GET /nodes/{id}`.
    pub fn node_info(&self, id: &str) -> Result<NodeInfoResponse, ClientError> {
        self.call_json("GET", &format!("/nodes/{id}"), None, OK)
    }

    /// `DELETE /nodes/{id}` → 202 … 204.
    pub fn node_delete(&self, id: &str) -> Result<(), ClientError> {
        self.call("DELETE", &format!("/nodes/{id}"), None, NO_CONTENT)
            .map(drop)
    }

    /// `POST /nodes/{id}/state` → 202 … 204.
    pub fn node_state(&self, id: &str, req: &StateRequest) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call(
            "POST",
            &format!("/nodes/{id}/state"),
            Some(&body),
            NO_CONTENT,
        )
        .map(drop)
    }

    /// `POST /nodes/{id}/tags` → 200 with the resulting tag map.
    pub fn node_set_tags(&self, id: &str, req: &TagsChangeRequest) -> Result<Tags, ClientError> {
        let body = Self::body(req)?;
        let text = self.call("POST", &format!("/nodes/{id}/tags"), Some(&body), OK)?;
        Ok(parse_tags(&text))
    }

    // ----- devices -----

    /// `POST /devices` → 202 … 204 (the new device id is not returned).
    pub fn device_add(&self, req: &DeviceAddRequest) -> Result<(), ClientError> {
        self.call("POST", "/devices", Some(&Self::body(req)?), NO_CONTENT)
            .map(drop)
    }

    /// `GET /devices/{id}`.
    pub fn device_info(&self, id: &str) -> Result<DeviceInfoResponse, ClientError> {
        self.call_json("GET", &format!("/devices/{id}"), None, OK)
    }

    /// `DELETE /devices/{id}` → 202 … 204; options are sent only when given.
    pub fn device_delete(
        &self,
        id: &str,
        opts: Option<&DeviceDeleteOptions>,
    ) -> Result<(), ClientError> {
        let body = opts.map(Self::body).transpose()?;
        self.call(
            "DELETE",
            &format!("/devices/{id}"),
            body.as_deref(),
            NO_CONTENT,
        )
        .map(drop)
    }

    /// `POST /devices/{id}/state` → 202 … 204.
    pub fn device_state(&self, id: &str, req: &StateRequest) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call(
            "POST",
            &format!("/devices/{id}/state"),
            Some(&body),
            NO_CONTENT,
        )
        .map(drop)
    }

    /// `GET /devices/{id}/resync` → 202 … 204.
    pub fn device_resync(&self, id: &str) -> Result<(), ClientError> {
        self.call("GET", &format!("/devices/{id}/resync"), None, NO_CONTENT)
            .map(drop)
    }

    /// `POST /devices/{id}/tags` → 200 with the resulting tag map.
    pub fn device_set_tags(&self, id: &str, req: &TagsChangeRequest) -> Result<Tags, ClientError> {
        let body = Self::body(req)?;
        let text = self.call("POST", &format!("/devices/{id}/tags"), Some(&body), OK)?;
        Ok(parse_tags(&text))
    }

    // ----- volumes -----

    /// `POST /volumes` → 202 … 303 → the new volume.
    pub fn volume_create(
        &self,
        req: &VolumeCreateRequest,
    ) -> Result<VolumeInfoResponse, ClientError> {
        self.call_json("POST", "/volumes", Some(&Self::body(req)?), OK)
    }

    /// `POST /volumes/plan` → 200: where a create would place bricks (Brickyard extension).
    pub fn volume_plan(&self, req: &VolumeCreateRequest) -> Result<VolumePlan, ClientError> {
        self.call_json("POST", "/volumes/plan", Some(&Self::body(req)?), OK)
    }

    /// `GET /volumes`.
    pub fn volume_list(&self) -> Result<VolumeListResponse, ClientError> {
        self.call_json("GET", "/volumes", None, OK)
    }

    /// `GET /volumes/{id}`.
    pub fn volume_info(&self, id: &str) -> Result<VolumeInfoResponse, ClientError> {
        self.call_json("GET", &format!("/volumes/{id}"), None, OK)
    }

    /// `POST /volumes/{id}/expand` → 202 … 303 → the volume.
    pub fn volume_expand(
        &self,
        id: &str,
        req: &VolumeExpandRequest,
    ) -> Result<VolumeInfoResponse, ClientError> {
        let body = Self::body(req)?;
        self.call_json("POST", &format!("/volumes/{id}/expand"), Some(&body), OK)
    }

    /// `DELETE /volumes/{id}` → 202 … 204.
    pub fn volume_delete(&self, id: &str) -> Result<(), ClientError> {
        self.call("DELETE", &format!("/volumes/{id}"), None, NO_CONTENT)
            .map(drop)
    }

    /// `POST /volumes/{id}/clone` → 202 … 303 → the clone.
    pub fn volume_clone(
        &self,
        id: &str,
        req: &VolumeCloneRequest,
    ) -> Result<VolumeInfoResponse, ClientError> {
        let body = Self::body(req)?;
        self.call_json("POST", &format!("/volumes/{id}/clone"), Some(&body), OK)
    }

    /// `POST /volumes/{id}/block-restriction` → 202 … 303 → the volume.
    pub fn volume_set_block_restriction(
        &self,
        id: &str,
        req: &VolumeBlockRestrictionRequest,
    ) -> Result<VolumeInfoResponse, ClientError> {
        let body = Self::body(req)?;
        self.call_json(
            "POST",
            &format!("/volumes/{id}/block-restriction"),
            Some(&body),
            OK,
        )
    }

    // ----- block volumes -----

    /// `POST /blockvolumes` → 202 … 303 → the new block volume.
    pub fn block_volume_create(
        &self,
        req: &BlockVolumeCreateRequest,
    ) -> Result<BlockVolumeInfo, ClientError> {
        self.call_json("POST", "/blockvolumes", Some(&Self::body(req)?), OK)
    }

    /// `GET /blockvolumes`.
    pub fn block_volume_list(&self) -> Result<BlockVolumeListResponse, ClientError> {
        self.call_json("GET", "/blockvolumes", None, OK)
    }

    /// `GET /blockvolumes/{id}`.
    pub fn block_volume_info(&self, id: &str) -> Result<BlockVolumeInfo, ClientError> {
        self.call_json("GET", &format!("/blockvolumes/{id}"), None, OK)
    }

    /// `DELETE /blockvolumes/{id}` → 202 … 204.
    pub fn block_volume_delete(&self, id: &str) -> Result<(), ClientError> {
        self.call("DELETE", &format!("/blockvolumes/{id}"), None, NO_CONTENT)
            .map(drop)
    }

    /// `POST /blockvolumes/{id}/expand` → 202 … 303 → the block volume.
    pub fn block_volume_expand(
        &self,
        id: &str,
        req: &BlockVolumeExpandRequest,
    ) -> Result<BlockVolumeInfo, ClientError> {
        let body = Self::body(req)?;
        self.call_json(
            "POST",
            &format!("/blockvolumes/{id}/expand"),
            Some(&body),
            OK,
        )
    }

    // ----- bricks -----

    /// `POST /bricks/to-evict/{id}` → 202 … 204; options are sent only when given.
    pub fn brick_evict(
        &self,
        id: &str,
        opts: Option<&BrickEvictOptions>,
    ) -> Result<(), ClientError> {
        let body = opts.map(Self::body).transpose()?;
        self.call(
            "POST",
            &format!("/bricks/to-evict/{id}"),
            body.as_deref(),
            NO_CONTENT,
        )
        .map(drop)
    }

    // ----- replacements (Brickyard extras) -----

    /// `POST /devices/{id}/replace` → 202 … 303 → the new device.
    pub fn device_replace(
        &self,
        id: &str,
        name: &str,
        healcheck: &str,
    ) -> Result<DeviceInfoResponse, ClientError> {
        let body = serde_json::json!({"name": name, "healcheck": healcheck}).to_string();
        self.call_json(
            "POST",
            &format!("/devices/{id}/replace"),
            Some(body.as_bytes()),
            OK,
        )
    }

    /// `POST /nodes/{id}/replace` → 202 … 303 → the new node.
    pub fn node_replace(
        &self,
        id: &str,
        hostnames: &brickyard::api::HostAddresses,
        devices: &[String],
        healcheck: &str,
    ) -> Result<NodeInfoResponse, ClientError> {
        let body =
            serde_json::json!({"hostnames": hostnames, "devices": devices, "healcheck": healcheck})
                .to_string();
        self.call_json(
            "POST",
            &format!("/nodes/{id}/replace"),
            Some(body.as_bytes()),
            OK,
        )
    }

    // ----- db, logging, operations, admin -----

    /// `GET /db/dump`: the raw (indented JSON) body.
    pub fn db_dump(&self) -> Result<String, ClientError> {
        self.call("GET", "/db/dump", None, OK)
    }

    /// `GET /db/check`: the raw (indented JSON) body.
    pub fn db_check(&self) -> Result<String, ClientError> {
        self.call("GET", "/db/check", None, OK)
    }

    /// `POST /db/reconcile` `{"fix": …}` (Brickyard extra): the raw (indented JSON) body.
    pub fn db_reconcile(&self, fix: bool) -> Result<String, ClientError> {
        let body = Self::body(&serde_json::json!({ "fix": fix }))?;
        self.call("POST", "/db/reconcile", Some(&body), OK)
    }

    /// `GET /internal/state/examine/gluster`: the raw body.
    pub fn state_examine_gluster(&self) -> Result<String, ClientError> {
        self.call("GET", "/internal/state/examine/gluster", None, OK)
    }

    /// `GET /internal/logging`.
    pub fn log_level_get(&self) -> Result<LogLevelInfo, ClientError> {
        self.call_json("GET", "/internal/logging", None, OK)
    }

    /// `POST /internal/logging` → 200.
    pub fn log_level_set(&self, req: &LogLevelInfo) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call("POST", "/internal/logging", Some(&body), OK)
            .map(drop)
    }

    /// `GET /operations`.
    pub fn operations_info(&self) -> Result<OperationsInfo, ClientError> {
        self.call_json("GET", "/operations", None, OK)
    }

    /// `GET /operations/pending`.
    pub fn pending_operation_list(&self) -> Result<PendingOperationListResponse, ClientError> {
        self.call_json("GET", "/operations/pending", None, OK)
    }

    /// `GET /operations/pending/{id}`.
    pub fn pending_operation_details(
        &self,
        id: &str,
    ) -> Result<PendingOperationDetails, ClientError> {
        self.call_json("GET", &format!("/operations/pending/{id}"), None, OK)
    }

    /// `POST /operations/pending/cleanup` → 202 … 204 (or a direct 200).
    pub fn pending_operation_cleanup(
        &self,
        req: &PendingOperationsCleanRequest,
    ) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call(
            "POST",
            "/operations/pending/cleanup",
            Some(&body),
            &[200, 204],
        )
        .map(drop)
    }

    /// `GET /admin`.
    pub fn admin_status_get(&self) -> Result<AdminStatus, ClientError> {
        self.call_json("GET", "/admin", None, OK)
    }

    /// `POST /admin` → 204 (or 200).
    pub fn admin_status_set(&self, req: &AdminStatus) -> Result<(), ClientError> {
        let body = Self::body(req)?;
        self.call("POST", "/admin", Some(&body), &[200, 204])
            .map(drop)
    }

    // ----- topology -----

    /// The whole topology: Brickyard's `GET /topology` (one request), or, from a server
    /// without it (Heketi answers `404`), one request per cluster, volume and node as
    /// the Go client does ([`Client::topology_info_per_item`]).
    pub fn topology_info(&self) -> Result<TopologyInfoResponse, ClientError> {
        match self.call_json("GET", "/topology", None, OK) {
            Err(ClientError::Server { status: 404, .. }) => self.topology_info_per_item(),
            other => other,
        }
    }

    /// The topology as `topology info` prints it ([`crate::output::TopologyText`]),
    /// read from the same answers as [`Client::topology_info`].
    pub fn topology_text(&self) -> Result<crate::output::TopologyText, ClientError> {
        match self.get_json_streamed("/topology", OK) {
            Err(ClientError::Server { status: 404, .. }) => {
                let t = self.topology_info_per_item()?;
                Ok(serde_json::from_value(serde_json::to_value(t)?)?)
            }
            other => other,
        }
    }

    /// The topology as the Go client builds it (Heketi has no topology route):
    /// `GET /clusters`, then each cluster, its volumes (kept when their
    /// `cluster` matches) and its nodes. Block volumes are not fetched.
    pub fn topology_info_per_item(&self) -> Result<TopologyInfoResponse, ClientError> {
        let list = self.cluster_list()?;
        let mut clusters = Vec::with_capacity(list.clusters.len());
        for id in &list.clusters {
            let info = self.cluster_info(id)?;
            let mut cluster = TopologyCluster {
                id: info.id.clone(),
                block: info.block,
                file: info.file,
                ..TopologyCluster::default()
            };
            for vid in &info.volumes {
                let volume = self.volume_info(vid)?;
                if volume.info.cluster == info.id {
                    cluster.volumes.push(volume);
                }
            }
            for nid in &info.nodes {
                cluster.nodes.push(self.node_info(nid)?);
            }
            clusters.push(cluster);
        }
        Ok(TopologyInfoResponse { clusters })
    }
}

/// The tags POST answers with the resulting map; the Go client ignores the body,
/// so an unparsable one is not an error.
fn parse_tags(text: &str) -> Tags {
    serde_json::from_str(text).unwrap_or_default()
}
