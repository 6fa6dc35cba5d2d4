//! The Identity service: name, version, capabilities, and a probe that asks the
//! controller's default back end `GET /hello`.

use std::time::Duration;

use brickyard_cli::client::TlsOptions;
use tonic::{Request, Response, Status};

use crate::backend::{self, Backend};
use crate::proto::identity_server::Identity;
use crate::proto::plugin_capability::{self, service, volume_expansion};
use crate::proto::{
    GetPluginCapabilitiesRequest, GetPluginCapabilitiesResponse, GetPluginInfoRequest,
    GetPluginInfoResponse, PluginCapability, ProbeRequest, ProbeResponse,
};

/// The CSI plugin name (`CSIDriver` object name, `provisioner:` of a StorageClass).
pub const PLUGIN_NAME: &str = "brickyard.gluster.io";

/// The Identity service.
#[derive(Clone, Debug)]
pub struct IdentityService {
    /// Whether the controller service runs in this process.
    pub controller: bool,
    /// The back end the probe checks (controller mode with `--resturl`).
    pub backend: Option<Backend>,
    /// How often a pending operation is polled.
    pub poll: Duration,
    /// How an `https://` back end's certificate is checked.
    pub tls: TlsOptions,
}

#[tonic::async_trait]
impl Identity for IdentityService {
    async fn get_plugin_info(
        &self,
        _request: Request<GetPluginInfoRequest>,
    ) -> Result<Response<GetPluginInfoResponse>, Status> {
        Ok(Response::new(GetPluginInfoResponse {
            name: PLUGIN_NAME.to_string(),
            vendor_version: env!("CARGO_PKG_VERSION").to_string(),
            manifest: Default::default(),
        }))
    }

    async fn get_plugin_capabilities(
        &self,
        _request: Request<GetPluginCapabilitiesRequest>,
    ) -> Result<Response<GetPluginCapabilitiesResponse>, Status> {
        let mut capabilities = Vec::new();
        if self.controller {
            capabilities.push(PluginCapability {
                r#type: Some(plugin_capability::Type::Service(
                    plugin_capability::Service {
                        r#type: service::Type::ControllerService as i32,
                    },
                )),
            });
        }
        capabilities.push(PluginCapability {
            r#type: Some(plugin_capability::Type::VolumeExpansion(
                plugin_capability::VolumeExpansion {
                    r#type: volume_expansion::Type::Online as i32,
                },
            )),
        });
        Ok(Response::new(GetPluginCapabilitiesResponse {
            capabilities,
        }))
    }

    /// Ready when the default back end answers `GET /hello`; `UNAVAILABLE` when
    /// it cannot be reached. A node plugin (no back end) is always ready.
    async fn probe(
        &self,
        _request: Request<ProbeRequest>,
    ) -> Result<Response<ProbeResponse>, Status> {
        if let Some(b) = &self.backend {
            let client = b.client(self.poll, &self.tls);
            let what = format!("probe of the back end at {}", b.url);
            backend::call(&client, &what, |c| c.hello()).await?;
        }
        Ok(Response::new(ProbeResponse { ready: Some(true) }))
    }
}
