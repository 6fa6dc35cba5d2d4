//! StorageClass parameters, with the names and rules of Kubernetes' in-tree
//! `kubernetes.io/glusterfs` provisioner, so that an existing StorageClass only
//! needs its `provisioner:` line changed.
//!
//! Keys are compared case-insensitively; an unknown key is refused, except the
//! `csi.storage.k8s.io/` keys the external-provisioner adds itself.

use std::collections::HashMap;

use brickyard::api::{DisperseDurability, ReplicaDurability, VolumeDurabilityInfo};

use crate::backend::{self, Backend, CA_KEY};

/// The plugin name used in messages.
pub const PLUGIN: &str = crate::identity::PLUGIN_NAME;

/// Smallest and largest GID the in-tree provisioner allowed.
pub const GID_MIN: i64 = 2000;
/// See [`GID_MIN`].
pub const GID_MAX: i64 = 2_147_483_647;

/// The external-provisioner's `--extra-create-metadata` keys.
pub const PVC_NAME: &str = "csi.storage.k8s.io/pvc/name";
/// See [`PVC_NAME`].
pub const PVC_NAMESPACE: &str = "csi.storage.k8s.io/pvc/namespace";

/// How a volume is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeType {
    /// `replicate:N` (`replicate` alone: 3).
    Replicate(i64),
    /// `disperse:D:R`.
    Disperse(i64, i64),
    /// `none`: distribute only.
    None,
}

impl VolumeType {
    /// Heketi's `durability` for this type.
    pub fn durability(self) -> VolumeDurabilityInfo {
        match self {
            VolumeType::Replicate(n) => VolumeDurabilityInfo {
                kind: "replicate".into(),
                replicate: ReplicaDurability { replica: n },
                ..VolumeDurabilityInfo::default()
            },
            VolumeType::Disperse(data, redundancy) => VolumeDurabilityInfo {
                kind: "disperse".into(),
                disperse: DisperseDurability { data, redundancy },
                ..VolumeDurabilityInfo::default()
            },
            VolumeType::None => VolumeDurabilityInfo {
                kind: "none".into(),
                ..VolumeDurabilityInfo::default()
            },
        }
    }

    /// Raw bytes needed per byte of volume (`replicate:3` → 3, `disperse:4:2` → 1.5).
    pub fn raw_factor(self) -> f64 {
        match self {
            VolumeType::Replicate(n) => n.max(1) as f64,
            VolumeType::Disperse(d, r) => (d + r) as f64 / d.max(1) as f64,
            VolumeType::None => 1.0,
        }
    }
}

/// Where and how to reach the back end, from parameters and secrets.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendParams {
    /// `resturl`; `None` means the controller's default back end.
    pub url: Option<String>,
    /// `restuser`.
    pub user: Option<String>,
    /// The key: the secret's, else `restuserkey`.
    pub key: Option<String>,
    /// `restauthenabled` (default true).
    pub auth: bool,
    /// `restcacert`: the parameter's PEM text and the secret's, checked.
    pub ca_pem: Option<String>,
}

/// Everything a StorageClass says about a new volume.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvisionParams {
    /// The back end.
    pub backend: BackendParams,
    /// `clusterid`: allowed clusters (empty: any).
    pub clusters: Vec<String>,
    /// `volumetype`.
    pub volume_type: VolumeType,
    /// `gidMin`.
    pub gid_min: i64,
    /// `gidMax`.
    pub gid_max: i64,
    /// `volumeoptions`: gluster options, each `"key value"`.
    pub volume_options: Vec<String>,
    /// `volumenameprefix`.
    pub name_prefix: Option<String>,
    /// `snapfactor`.
    pub snap_factor: f32,
    /// PVC name and namespace from `--extra-create-metadata`, when given.
    pub pvc: Option<(String, String)>,
}

/// The key in a secret: entry `key`, else `restuserkey`, else the only entry other
/// than `restcacert`.
pub fn key_from_secrets(secrets: &HashMap<String, String>) -> Result<Option<String>, String> {
    for name in ["key", "restuserkey"] {
        if let Some(v) = secrets.get(name) {
            return Ok(Some(v.clone()));
        }
    }
    let others: HashMap<&String, &String> = secrets
        .iter()
        .filter(|(k, _)| k.as_str() != CA_KEY)
        .collect();
    if others.is_empty() {
        return Ok(None);
    }
    if others.len() == 1 {
        return Ok(others.values().next().map(|v| (*v).clone()));
    }
    let mut names: Vec<&str> = others.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    Err(format!(
        "the secret has entries {names:?} but none named \"key\": name the REST key's entry \"key\""
    ))
}

/// The CA certificates (PEM text) of the secret's `restcacert` entry, checked.
pub fn ca_from_secrets(secrets: &HashMap<String, String>) -> Result<Option<String>, String> {
    let Some(pem) = secrets.get(CA_KEY) else {
        return Ok(None);
    };
    backend::parse_ca(pem, &format!("the secret's entry {CA_KEY}"))?;
    Ok(Some(pem.clone()))
}

/// `restcacert` of the StorageClass's parameters and of the secret, checked, in one
/// PEM text.
fn ca_params(
    p: &HashMap<String, String>,
    secrets: &HashMap<String, String>,
) -> Result<Option<String>, String> {
    let from_class = match p.get(CA_KEY) {
        Some(pem) => {
            backend::parse_ca(pem, &format!("the StorageClass parameter {CA_KEY}"))?;
            Some(pem.clone())
        }
        None => None,
    };
    let from_secret = ca_from_secrets(secrets)?;
    Ok(match (from_class, from_secret) {
        (Some(a), Some(b)) => Some(format!("{}\n{b}", a.trim_end())),
        (a, b) => a.or(b),
    })
}

fn parse_gid(key: &str, value: &str) -> Result<i64, String> {
    let gid: i64 = value
        .trim()
        .parse()
        .map_err(|_| format!("failed to parse {key} {value:?}: not an integer"))?;
    if !(GID_MIN..=GID_MAX).contains(&gid) {
        return Err(format!(
            "{key} {gid} is outside the allowed range {GID_MIN}..{GID_MAX}"
        ));
    }
    Ok(gid)
}

fn parse_count(what: &str, s: &str) -> Result<i64, String> {
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("invalid volumetype: {what} count {s:?} is not an integer"))?;
    if n <= 0 {
        return Err(format!(
            "invalid volumetype: {what} count must be positive, got {n}"
        ));
    }
    Ok(n)
}

/// Parses `volumetype`.
pub fn parse_volume_type(value: &str) -> Result<VolumeType, String> {
    let parts: Vec<&str> = value.split(':').map(str::trim).collect();
    match parts.as_slice() {
        ["replicate"] => Ok(VolumeType::Replicate(3)),
        ["replicate", n] => Ok(VolumeType::Replicate(parse_count("replica", n)?)),
        ["disperse", d, r] => Ok(VolumeType::Disperse(
            parse_count("data", d)?,
            parse_count("redundancy", r)?,
        )),
        ["disperse", ..] => Err(format!(
            "invalid volumetype {value:?}: disperse needs data and redundancy counts, e.g. disperse:4:2"
        )),
        ["none"] => Ok(VolumeType::None),
        _ => Err(format!(
            "invalid volumetype {value:?}: expected replicate:N, disperse:D:R or none"
        )),
    }
}

/// The back end named by `parameters` (the keys shared by create and capacity).
fn backend_params(
    p: &HashMap<String, String>,
    secrets: &HashMap<String, String>,
) -> Result<BackendParams, String> {
    let auth = p
        .get("restauthenabled")
        .map(|v| v.trim().eq_ignore_ascii_case("true"))
        .unwrap_or(true);
    let user = p.get("restuser").cloned();
    if user.as_deref().is_some_and(|u| u.contains('/')) {
        return Err("restuser may not contain '/'".into());
    }
    let has_secret_name = p.contains_key("secretname") || p.contains_key("secretnamespace");
    if p.contains_key("secretname") != p.contains_key("secretnamespace") {
        return Err("secretName and secretNamespace must be given together".into());
    }
    let secret_key = key_from_secrets(secrets)?;
    if auth && has_secret_name && secret_key.is_none() {
        return Err(format!(
            "secretName/secretNamespace are read by the Kubernetes API, which {PLUGIN} does not use: \
             add csi.storage.k8s.io/provisioner-secret-name and csi.storage.k8s.io/provisioner-secret-namespace \
             (and the controller-expand-secret pair) naming the same Secret"
        ));
    }
    let url = p.get("resturl").map(|u| u.trim().to_string());
    if let Some(u) = &url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(format!("resturl {u:?} must start with http:// or https://"));
    }
    let key = secret_key.or_else(|| p.get("restuserkey").cloned());
    let ca_pem = ca_params(p, secrets)?;
    Ok(BackendParams {
        url,
        user: if auth { user } else { None },
        key: if auth { key } else { None },
        auth,
        ca_pem,
    })
}

const KNOWN: &[&str] = &[
    "resturl",
    "restcacert",
    "restuser",
    "restuserkey",
    "secretname",
    "secretnamespace",
    "restauthenabled",
    "clusterid",
    "gidmin",
    "gidmax",
    "volumetype",
    "volumeoptions",
    "volumenameprefix",
    "snapfactor",
];

/// Lower-cases the keys and refuses unknown ones.
fn normalise(parameters: &HashMap<String, String>) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in parameters {
        if k.starts_with("csi.storage.k8s.io/") {
            out.insert(k.clone(), v.clone());
            continue;
        }
        let lower = k.to_ascii_lowercase();
        if !KNOWN.contains(&lower.as_str()) {
            return Err(format!("invalid option {k:?} for volume plugin {PLUGIN}"));
        }
        out.insert(lower, v.clone());
    }
    Ok(out)
}

impl ProvisionParams {
    /// Parses and checks CreateVolume's `parameters` and `secrets`.
    pub fn parse(
        parameters: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<ProvisionParams, String> {
        let p = normalise(parameters)?;
        let backend = backend_params(&p, secrets)?;
        let clusters = p
            .get("clusterid")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let gid_min = p
            .get("gidmin")
            .map(|v| parse_gid("gidMin", v))
            .transpose()?
            .unwrap_or(GID_MIN);
        let gid_max = p
            .get("gidmax")
            .map(|v| parse_gid("gidMax", v))
            .transpose()?
            .unwrap_or(GID_MAX);
        if gid_min > gid_max {
            return Err(format!("gidMin {gid_min} is greater than gidMax {gid_max}"));
        }
        let volume_type = p
            .get("volumetype")
            .map(|v| parse_volume_type(v))
            .transpose()?
            .unwrap_or(VolumeType::Replicate(3));
        let volume_options = p
            .get("volumeoptions")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let name_prefix = match p.get("volumenameprefix").map(|s| s.trim()) {
            None | Some("") => None,
            Some(prefix) if prefix.contains('_') => {
                return Err(format!("volumenameprefix {prefix:?} may not contain '_'"));
            }
            Some(prefix)
                if !prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                return Err(format!(
                    "volumenameprefix {prefix:?} may only contain letters, digits and '-'"
                ));
            }
            Some(prefix) => Some(prefix.to_string()),
        };
        let snap_factor = match p.get("snapfactor") {
            None => 1.0,
            Some(v) => {
                let f: f32 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("failed to parse snapfactor {v:?}: not a number"))?;
                if !(1.0..=100.0).contains(&f) {
                    return Err(format!("snapfactor {f} must be between 1 and 100"));
                }
                f
            }
        };
        let pvc = match (p.get(PVC_NAME), p.get(PVC_NAMESPACE)) {
            (Some(n), Some(ns)) => Some((n.clone(), ns.clone())),
            _ => None,
        };
        Ok(ProvisionParams {
            backend,
            clusters,
            volume_type,
            gid_min,
            gid_max,
            volume_options,
            name_prefix,
            snap_factor,
            pvc,
        })
    }

    /// The gluster volume name for CSI name `csi_name`: deterministic, so a
    /// repeated CreateVolume finds the volume it made.
    /// With a prefix: `PREFIX_NAMESPACE_PVCNAME_<csi name>` (the in-tree provisioner
    /// used a random suffix); without: the CSI name.
    pub fn volume_name(&self, csi_name: &str) -> String {
        match (&self.name_prefix, &self.pvc) {
            (Some(prefix), Some((pvc, ns))) => {
                format!("{prefix}_{}_{}_{}", clean(ns), clean(pvc), clean(csi_name))
            }
            (Some(prefix), None) => format!("{prefix}_{}", clean(csi_name)),
            (None, _) => clean(csi_name),
        }
    }
}

/// Keeps `[A-Za-z0-9-]`, replaces anything else by `-` (Heketi's names allow
/// `[A-Za-z0-9_-]`; `_` separates the prefix's parts).
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The back end, clusters and volume type of GetCapacity's `parameters`. The
/// request carries no secrets: `secretName`/`secretNamespace` are ignored and the
/// key is `restuserkey` or the controller's own.
pub fn capacity_params(
    parameters: &HashMap<String, String>,
) -> Result<(BackendParams, Vec<String>, VolumeType), String> {
    let mut p = parameters.clone();
    p.retain(|k, _| {
        let l = k.to_ascii_lowercase();
        l != "secretname" && l != "secretnamespace"
    });
    let p = ProvisionParams::parse(&p, &HashMap::new())?;
    Ok((p.backend, p.clusters, p.volume_type))
}

/// Resolves [`BackendParams`] against the controller's default back end.
pub fn resolve_backend(p: &BackendParams, default: Option<&Backend>) -> Result<Backend, String> {
    let url = match (&p.url, default) {
        (Some(u), _) => u.clone(),
        (None, Some(d)) => d.url.clone(),
        (None, None) => {
            return Err(format!(
                "StorageClass for provisioner {PLUGIN} must contain 'resturl' parameter \
                 (or start the controller with --resturl)"
            ));
        }
    };
    if !p.auth {
        return Ok(Backend::new(&url, "", "").with_ca(p.ca_pem.clone()));
    }
    let same_backend = default.filter(|d| d.url == url.trim_end_matches('/'));
    let user = p
        .user
        .clone()
        .or_else(|| same_backend.map(|d| d.user.clone()))
        .unwrap_or_else(|| "admin".to_string());
    let key = p
        .key
        .clone()
        .or_else(|| {
            same_backend
                .filter(|d| d.user == user)
                .map(|d| d.key.clone())
        })
        .unwrap_or_default();
    Ok(Backend::new(&url, &user, &key).with_ca(p.ca_pem.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn in_tree_storage_class() {
        let p = ProvisionParams::parse(
            &map(&[
                ("resturl", "http://127.0.0.1:8081"),
                ("restuser", "admin"),
                ("restuserkey", "My Secret"),
                ("clusterid", "630372ccdc720a92c681fb928f27b53f, bb"),
                ("gidMin", "40000"),
                ("gidMax", "50000"),
                ("volumetype", "replicate:3"),
                ("volumeoptions", "client.ssl on, server.ssl on"),
                ("volumenameprefix", "dept-dev"),
                ("snapfactor", "10"),
                (PVC_NAME, "claim1"),
                (PVC_NAMESPACE, "default"),
            ]),
            &HashMap::new(),
        )
        .expect("valid");
        assert_eq!(p.backend.url.as_deref(), Some("http://127.0.0.1:8081"));
        assert_eq!(p.backend.key.as_deref(), Some("My Secret"));
        assert_eq!(p.clusters, vec!["630372ccdc720a92c681fb928f27b53f", "bb"]);
        assert_eq!((p.gid_min, p.gid_max), (40000, 50000));
        assert_eq!(p.volume_type, VolumeType::Replicate(3));
        assert_eq!(p.volume_options, vec!["client.ssl on", "server.ssl on"]);
        assert_eq!(p.snap_factor, 10.0);
        assert_eq!(
            p.volume_name("pvc-1f2e"),
            "dept-dev_default_claim1_pvc-1f2e"
        );
    }

    #[test]
    fn defaults() {
        let p = ProvisionParams::parse(&HashMap::new(), &HashMap::new()).expect("valid");
        assert_eq!(p.volume_type, VolumeType::Replicate(3));
        assert_eq!((p.gid_min, p.gid_max), (GID_MIN, GID_MAX));
        assert_eq!(p.snap_factor, 1.0);
        assert!(p.backend.auth);
        assert_eq!(p.volume_name("pvc-a.b"), "pvc-a-b");
    }

    #[test]
    fn volume_types() {
        assert_eq!(parse_volume_type("replicate"), Ok(VolumeType::Replicate(3)));
        assert_eq!(
            parse_volume_type("replicate:2"),
            Ok(VolumeType::Replicate(2))
        );
        assert_eq!(
            parse_volume_type("disperse:4:2"),
            Ok(VolumeType::Disperse(4, 2))
        );
        assert_eq!(parse_volume_type("none"), Ok(VolumeType::None));
        for bad in [
            "replicate:-1",
            "disperse:4",
            "disperse",
            "mirror",
            "replicate:x",
        ] {
            assert!(parse_volume_type(bad).is_err(), "{bad}");
        }
        assert_eq!(VolumeType::Disperse(4, 2).raw_factor(), 1.5);
    }

    #[test]
    fn refusals() {
        let bad = [
            (vec![("bogus", "1")], "invalid option \"bogus\""),
            (vec![("gidMin", "10")], "outside the allowed range"),
            (
                vec![("gidMin", "5000"), ("gidMax", "4000")],
                "greater than gidMax",
            ),
            (vec![("volumenameprefix", "a_b")], "may not contain '_'"),
            (vec![("snapfactor", "0.5")], "between 1 and 100"),
            (vec![("secretName", "s")], "must be given together"),
            (
                vec![("secretName", "s"), ("secretNamespace", "n")],
                "provisioner-secret-name",
            ),
            (vec![("resturl", "heketi:8080")], "must start with http"),
        ];
        for (pairs, text) in bad {
            let err = ProvisionParams::parse(&map(&pairs), &HashMap::new()).expect_err(text);
            assert!(err.contains(text), "{err:?} should contain {text:?}");
        }
    }

    #[test]
    fn secret_and_auth() {
        let secrets = map(&[("key", "from-secret")]);
        let p = ProvisionParams::parse(
            &map(&[
                ("secretName", "s"),
                ("secretNamespace", "n"),
                ("restuserkey", "plain"),
            ]),
            &secrets,
        )
        .expect("valid");
        assert_eq!(p.backend.key.as_deref(), Some("from-secret"));
        let off = ProvisionParams::parse(
            &map(&[
                ("restauthenabled", "false"),
                ("restuser", "admin"),
                ("restuserkey", "k"),
            ]),
            &HashMap::new(),
        )
        .expect("valid");
        let b = resolve_backend(&off.backend, None);
        assert!(b.is_err(), "no resturl and no default");
        let d = Backend::new("http://d:1", "admin", "dk");
        let b = resolve_backend(&off.backend, Some(&d)).expect("default url");
        assert_eq!((b.user.as_str(), b.key.as_str()), ("", ""));
        let on = ProvisionParams::parse(&HashMap::new(), &HashMap::new()).expect("valid");
        let b = resolve_backend(&on.backend, Some(&d)).expect("default");
        assert_eq!(b, d);
        assert!(key_from_secrets(&map(&[("a", "1"), ("b", "2")])).is_err());
        let (cap, _, _) = capacity_params(&map(&[("secretName", "s"), ("secretNamespace", "n")]))
            .expect("a capacity query ignores the secret's name");
        assert_eq!(cap.key, None);
        assert_eq!(
            key_from_secrets(&map(&[("only", "x")])),
            Ok(Some("x".into()))
        );
    }

    #[test]
    fn rest_ca_certificate_from_the_class_and_the_secret() {
        let pem = |name: &str| {
            rcgen::generate_simple_self_signed(vec![name.to_string()])
                .expect("certificate")
                .cert
                .pem()
        };
        let (a, b) = (pem("a"), pem("b"));
        // The CA entry is never taken for the key, even as the only entry.
        assert_eq!(key_from_secrets(&map(&[("restcacert", &a)])), Ok(None));
        assert_eq!(
            key_from_secrets(&map(&[("restcacert", &a), ("k", "x")])),
            Ok(Some("x".into()))
        );
        let p = ProvisionParams::parse(
            &map(&[("resturl", "https://h:1"), ("restcacert", &a)]),
            &map(&[("key", "k"), ("restcacert", &b)]),
        )
        .expect("valid");
        let both = p.backend.ca_pem.clone().expect("a CA");
        assert_eq!(
            crate::backend::parse_ca(&both, "x").expect("parses").len(),
            2
        );
        let backend = resolve_backend(&p.backend, None).expect("backend");
        assert_eq!(backend.ca_pem, both);
        assert_eq!(backend.key, "k");
        assert!(!format!("{backend:?}").contains("BEGIN"), "{backend:?}");
        let (cap, _, _) = capacity_params(&map(&[("restcacert", &a)])).expect("capacity");
        assert_eq!(cap.ca_pem.as_deref(), Some(a.as_str()));

        let no_cert = ProvisionParams::parse(
            &map(&[(
                "restcacert",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            )]),
            &HashMap::new(),
        )
        .expect_err("a key is not a certificate");
        assert!(
            no_cert.starts_with("the StorageClass parameter restcacert holds no certificate"),
            "{no_cert}"
        );
        let bad = ca_from_secrets(&map(&[("restcacert", &a.replace("MII", "M!I"))]))
            .expect_err("broken base64");
        assert!(
            bad.starts_with("the secret's entry restcacert is not valid PEM"),
            "{bad}"
        );
    }
}
