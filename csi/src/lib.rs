//! A Container Storage Interface (CSI v1) driver for GlusterFS volumes provisioned
//! by Brickyard or any Heketi-compatible server (plugin `brickyard.gluster.io`).
//!
//! - [`identity`], [`controller`], [`node`]: the three CSI services.
//! - [`controller`] talks to the back end with `brickyard-cli`'s blocking REST
//!   client ([`backend`]) on tokio's blocking pool.
//! - [`params`]: StorageClass parameters with the in-tree glusterfs provisioner's
//!   names; [`volume_id`]: what a CSI volume id holds.
//! - [`mounter`]: `mount -t glusterfs` behind a trait tests substitute.
//! - [`server`], [`command`]: the unix-socket gRPC server and `brickyard csi`.

pub mod backend;
pub mod capability;
pub mod command;
pub mod controller;
pub mod identity;
pub mod mounter;
pub mod node;
pub mod params;
pub mod proto;
pub mod server;
pub mod status;
pub mod volume_id;
