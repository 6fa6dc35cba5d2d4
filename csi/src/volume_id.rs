//! The CSI volume id: `<heketi volume id>/<rest user>/<rest url>`.
//!
//! DeleteVolume and ControllerExpandVolume get no StorageClass parameters, so the
//! id says which back end holds the volume (the in-tree provisioner read them
//! back from the StorageClass; a CSI controller has no Kubernetes API access).
//! The key is never part of the id: it comes from the request's secrets or from
//! the controller's own configuration. An empty user means authentication off.

use crate::backend::Backend;

/// A parsed volume id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeId {
    /// Heketi's volume id.
    pub id: String,
    /// JWT issuer, empty when authentication is disabled.
    pub user: String,
    /// REST URL of the back end.
    pub url: String,
}

impl VolumeId {
    /// The id of volume `id` on `backend`.
    pub fn new(id: &str, backend: &Backend) -> VolumeId {
        VolumeId {
            id: id.to_string(),
            user: backend.user.clone(),
            url: backend.url.clone(),
        }
    }

    /// Parses a CSI volume id; `None` for anything this driver cannot have made.
    pub fn parse(s: &str) -> Option<VolumeId> {
        let mut parts = s.splitn(3, '/');
        let id = parts.next()?;
        let user = parts.next()?;
        let url = parts.next()?;
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric());
        let url_ok = url.starts_with("http://") || url.starts_with("https://");
        (id_ok && url_ok).then(|| VolumeId {
            id: id.to_string(),
            user: user.to_string(),
            url: url.to_string(),
        })
    }

    /// The back end of this volume, authenticated with `key`.
    pub fn backend(&self, key: &str) -> Backend {
        Backend::new(
            &self.url,
            &self.user,
            if self.user.is_empty() { "" } else { key },
        )
    }
}

impl std::fmt::Display for VolumeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.id, self.user, self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let b = Backend::new("http://heketi.storage:8080/", "admin", "k");
        let id = VolumeId::new("0123abcd", &b);
        let text = id.to_string();
        assert_eq!(text, "0123abcd/admin/http://heketi.storage:8080");
        assert_eq!(VolumeId::parse(&text), Some(id));
        let no_auth = VolumeId::parse("ab//https://h:1/x").expect("parses");
        assert_eq!(no_auth.user, "");
        assert_eq!(no_auth.url, "https://h:1/x");
        assert_eq!(no_auth.backend("secret").key, "");
    }

    #[test]
    fn refuses_foreign_ids() {
        for bad in [
            "",
            "abc",
            "abc/admin",
            "a b/admin/http://h",
            "/admin/http://h",
            "ab/admin/ftp://h",
        ] {
            assert_eq!(VolumeId::parse(bad), None, "{bad:?}");
        }
    }
}
