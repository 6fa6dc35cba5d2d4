//! Which volume capabilities a GlusterFS volume offers: a mounted file system
//! (`fs_type` empty or `glusterfs`) in any single- or multi-node access mode.
//! Block access is refused.

use tonic::Status;

use crate::proto::VolumeCapability;
use crate::proto::volume_capability::access_mode::Mode;
use crate::proto::volume_capability::{AccessType, MountVolume};

/// Why a capability is not offered, as a message for the CO.
pub fn unsupported(cap: &VolumeCapability) -> Option<String> {
    match &cap.access_type {
        Some(AccessType::Block(_)) => {
            return Some(
                "block access type is not supported: GlusterFS volumes are mounted file systems"
                    .into(),
            );
        }
        Some(AccessType::Mount(MountVolume { fs_type, .. }))
            if !fs_type.is_empty() && fs_type != "glusterfs" =>
        {
            return Some(format!(
                "fs_type {fs_type:?} is not supported: volumes are glusterfs"
            ));
        }
        _ => {}
    }
    let mode = cap
        .access_mode
        .as_ref()
        .map(|m| Mode::try_from(m.mode).unwrap_or(Mode::Unknown))
        .unwrap_or(Mode::Unknown);
    match mode {
        Mode::SingleNodeWriter
        | Mode::SingleNodeReaderOnly
        | Mode::MultiNodeReaderOnly
        | Mode::MultiNodeSingleWriter
        | Mode::MultiNodeMultiWriter => None,
        other => Some(format!(
            "access mode {} is not supported",
            other.as_str_name()
        )),
    }
}

/// Checks the shape of one capability (`INVALID_ARGUMENT` when a required part
/// is missing), then that it is offered (`INVALID_ARGUMENT` too).
pub fn check(cap: &VolumeCapability) -> Result<(), Status> {
    check_shape(cap)?;
    match unsupported(cap) {
        Some(why) => Err(Status::invalid_argument(why)),
        None => Ok(()),
    }
}

/// A capability must name an access type and an access mode.
pub fn check_shape(cap: &VolumeCapability) -> Result<(), Status> {
    if cap.access_type.is_none() {
        return Err(Status::invalid_argument(
            "volume capability lacks an access type (mount or block)",
        ));
    }
    if cap.access_mode.is_none() {
        return Err(Status::invalid_argument(
            "volume capability lacks an access mode",
        ));
    }
    Ok(())
}

/// Checks a non-empty list of capabilities.
pub fn check_all(caps: &[VolumeCapability]) -> Result<(), Status> {
    if caps.is_empty() {
        return Err(Status::invalid_argument("volume_capabilities is required"));
    }
    caps.iter().try_for_each(check)
}

/// Whether `cap` asks for read-only access.
pub fn read_only(cap: &VolumeCapability) -> bool {
    let mode = cap
        .access_mode
        .as_ref()
        .map(|m| Mode::try_from(m.mode).unwrap_or(Mode::Unknown))
        .unwrap_or(Mode::Unknown);
    matches!(mode, Mode::SingleNodeReaderOnly | Mode::MultiNodeReaderOnly)
}

/// The mount flags a capability carries.
pub fn mount_flags(cap: &VolumeCapability) -> Vec<String> {
    match &cap.access_type {
        Some(AccessType::Mount(m)) => m.mount_flags.clone(),
        _ => Vec::new(),
    }
}
