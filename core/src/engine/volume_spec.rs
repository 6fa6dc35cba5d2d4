//! Turns a `VolumeCreateRequest` into a validated volume specification, with Heketi's
//! checks, texts and defaults (heketi-api.md §5.5).

use crate::api::{
    DisperseDurability, GIB, ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo,
    VolumeSnapshot,
};
use crate::error::{Error, Result};
use crate::placement::{Durability, PlacementRequest, TagRule, ZoneChecking};

use super::options::EngineOptions;
use super::validate::{Fields, is_valid_volume_name, parse_go_bool};

pub(crate) const OPT_ARBITER: &str = "user.heketi.arbiter";
pub(crate) const OPT_AVERAGE_FILE_SIZE: &str = "user.heketi.average-file-size";
pub(crate) const OPT_ZONE_CHECKING: &str = "user.heketi.zone-checking";
pub(crate) const OPT_TAG_MATCH: &str = "user.heketi.device-tag-match";

/// A validated volume request.
#[derive(Clone, Debug)]
pub(crate) struct VolumeSpec {
    pub size_gib: u64,
    pub name: String,
    pub clusters: Vec<String>,
    pub durability: Durability,
    /// Durability as stored and shown (`replica` made explicit).
    pub durability_info: VolumeDurabilityInfo,
    pub snapshot: VolumeSnapshot,
    pub gid: i64,
    pub block: bool,
    /// The stored option list (pre + request + post, Heketi's quirks included).
    pub options: Vec<String>,
    pub placement: PlacementSettings,
}

/// What the volume's options say about placement.
#[derive(Clone, Debug)]
pub(crate) struct PlacementSettings {
    pub zone_checking: ZoneChecking,
    pub tag_rule: Option<TagRule>,
    pub arbiter: bool,
    pub average_file_size_kib: u64,
}

fn split_go(s: &str) -> Vec<String> {
    // Go's strings.Split("", ",") yields [""]; Heketi stores that, clients see it.
    s.split(',').map(str::to_string).collect()
}

/// Reads the `user.heketi.*` placement options of a volume's option list.
pub(crate) fn placement_settings(
    options: &[String],
    engine: &EngineOptions,
) -> Result<PlacementSettings> {
    let mut s = PlacementSettings {
        zone_checking: engine.zone_checking,
        tag_rule: None,
        arbiter: false,
        average_file_size_kib: engine.average_file_size_kib,
    };
    for opt in options {
        let mut parts = opt.split_whitespace();
        let (Some(key), value) = (parts.next(), parts.next()) else {
            continue;
        };
        let value = value.unwrap_or("");
        match key {
            OPT_ARBITER => {
                s.arbiter = parse_go_bool(value).ok_or_else(|| {
                    Error::invalid(format!(
                        "{OPT_ARBITER} must be true or false, not '{value}'"
                    ))
                })?;
            }
            OPT_AVERAGE_FILE_SIZE => {
                let v: u64 = value.parse().map_err(|_| {
                    Error::invalid(format!(
                        "{OPT_AVERAGE_FILE_SIZE} must be a size in KiB, not '{value}'"
                    ))
                })?;
                if v > 0 {
                    s.average_file_size_kib = v;
                }
            }
            OPT_ZONE_CHECKING => s.zone_checking = ZoneChecking::parse(value),
            OPT_TAG_MATCH => s.tag_rule = Some(TagRule::parse(value).map_err(Error::from)?),
            _ => {}
        }
    }
    Ok(s)
}

/// Why a volume name that Heketi's pattern allows is refused.
pub(crate) const NAME_LEADING_HYPHEN: &str =
    "must not start with '-' (gluster would read it as an option)";

/// A volume option as `volume set` takes it: blank (ignored, Heketi stores those), or
/// `<key> <value>` that the command layer's guard accepts. Checked before anything is
/// reserved, so that a create never fails on it after its bricks were made (Heketi
/// does not check options at all).
fn check_option(o: &str) -> Result<()> {
    if o.trim().is_empty() {
        return Ok(());
    }
    if o.split_whitespace().count() < 2 {
        return Err(Error::invalid(format!(
            "Invalid volume option '{o}': expected '<key> <value>'"
        )));
    }
    // The very check the command layer applies to what `volume_request` passes it.
    crate::executor::validate::option("", o).map_err(|_| {
        Error::invalid(format!(
            "Invalid volume option '{o}': a key of letters, digits and _-./ not starting with '-', \
             then values of letters, digits, spaces and _-.,:/=+@%* only"
        ))
    })
}

impl VolumeSpec {
    pub(crate) fn from_request(
        req: &VolumeCreateRequest,
        engine: &EngineOptions,
    ) -> Result<VolumeSpec> {
        let mut f = Fields::default();
        if req.size == 0 {
            f.add("size", "cannot be blank");
        }
        if !req.name.is_empty() && !is_valid_volume_name(&req.name) {
            f.add("name", "must be in a valid format");
        } else if req.name.starts_with('-') {
            // Heketi's rule lets it through, then gluster takes it for an option and the
            // volume can never be made: refuse it before anything is reserved.
            f.add("name", NAME_LEADING_HYPHEN);
        }
        f.finish()?;
        if req.gid < 0 {
            return Err(Error::invalid("Bad group id less than zero"));
        }
        if req.gid >= i64::from(i32::MAX) {
            return Err(Error::invalid("Bad group id equal or greater than 2**32"));
        }
        let kind = match req.durability.kind.as_str() {
            "" | "none" => "none",
            "replicate" => "replicate",
            "disperse" => "disperse",
            _ => return Err(Error::invalid("Unknown durability type")),
        };
        if req.size < 1 {
            return Err(Error::invalid("Invalid volume size"));
        }
        let mut snapshot = req.snapshot;
        if snapshot.enable {
            if snapshot.factor == 0.0 {
                snapshot.factor = 1.5;
            }
            if !(1.0..=100.0).contains(&snapshot.factor) {
                return Err(Error::invalid("Invalid snapshot factor"));
            }
        } else {
            snapshot.factor = 1.0;
        }
        let mut info = req.durability.clone();
        info.kind = kind.to_string();
        let durability = match kind {
            "replicate" => {
                let replica = req.durability.replicate.replica;
                if !(0..=3).contains(&replica) {
                    return Err(Error::invalid("Invalid replica value"));
                }
                // Heketi keeps 0 and uses 2; we store the effective value because
                // heketi-cli divides by it.
                let replica = if replica == 0 { 2 } else { replica };
                info.replicate = ReplicaDurability { replica };
                Durability::Replicate {
                    replica: replica as u32,
                }
            }
            "disperse" => {
                let DisperseDurability { data, redundancy } = req.durability.disperse;
                if !matches!((data, redundancy), (2, 1) | (4, 2) | (8, 3) | (8, 4)) {
                    return Err(Error::invalid(format!(
                        "Invalid dispersion combination: {data}+{redundancy}"
                    )));
                }
                Durability::Disperse {
                    data: data as u32,
                    redundancy: redundancy as u32,
                }
            }
            _ => Durability::Distribute,
        };
        let size_gib = req.size as u64;
        let mut options = split_go(&engine.pre_request_volume_options);
        options.extend(req.glustervolumeoptions.iter().cloned());
        options.extend(split_go(&engine.post_request_volume_options));
        for o in &options {
            check_option(o)?;
        }
        let placement = placement_settings(&options, engine)?;
        if placement.arbiter && !matches!(durability, Durability::Replicate { replica: 3 }) {
            return Err(Error::invalid(format!(
                "{OPT_ARBITER} needs a replica 3 volume (durability replicate, replica 3)"
            )));
        }
        Ok(VolumeSpec {
            size_gib,
            name: req.name.clone(),
            clusters: req.clusters.clone(),
            durability,
            durability_info: info,
            snapshot,
            gid: req.gid,
            block: req.block,
            options,
            placement,
        })
    }

    /// Heketi's minimum volume size check, which it makes after checking the requested
    /// clusters (so `place_volume` calls it then).
    pub(crate) fn check_min_size(&self, engine: &EngineOptions) -> Result<()> {
        let min_brick = engine.limits.brick_min_kib;
        let min_volume = match self.durability {
            Durability::Disperse { data, .. } => min_brick * u64::from(data),
            _ => min_brick,
        };
        if self.size_gib.saturating_mul(GIB) < min_volume {
            return Err(Error::invalid(format!(
                "Requested volume size ({} GB) is smaller than the minimum supported volume size ({min_volume})",
                self.size_gib
            )));
        }
        Ok(())
    }

    /// The placement request for `size_gib` more GiB on a volume with `existing_bricks`.
    pub(crate) fn placement_request(
        &self,
        size_gib: u64,
        existing_bricks: usize,
        engine: &EngineOptions,
    ) -> PlacementRequest {
        placement_request(
            self.durability,
            self.snapshot,
            &self.placement,
            size_gib,
            existing_bricks,
            engine,
        )
    }
}

pub(crate) fn placement_request(
    durability: Durability,
    snapshot: VolumeSnapshot,
    settings: &PlacementSettings,
    size_gib: u64,
    existing_bricks: usize,
    engine: &EngineOptions,
) -> PlacementRequest {
    PlacementRequest {
        size_gib,
        durability,
        snapshot_factor: if snapshot.enable {
            f64::from(snapshot.factor)
        } else {
            1.0
        },
        zone_checking: settings.zone_checking,
        tag_rule: settings.tag_rule.clone(),
        arbiter: settings.arbiter,
        average_file_size_kib: settings.average_file_size_kib,
        existing_bricks,
        limits: engine.limits,
        allowed: None,
        scores: None,
    }
}

/// The durability of a stored volume (Heketi's defaults where fields are zero).
pub(crate) fn durability_of(info: &VolumeDurabilityInfo) -> Durability {
    match info.kind.as_str() {
        "replicate" => Durability::Replicate {
            replica: if info.replicate.replica <= 0 {
                2
            } else {
                info.replicate.replica as u32
            },
        },
        "disperse" => {
            let (d, r) = (info.disperse.data, info.disperse.redundancy);
            if d <= 0 || r <= 0 {
                Durability::Disperse {
                    data: 4,
                    redundancy: 2,
                }
            } else {
                Durability::Disperse {
                    data: d as u32,
                    redundancy: r as u32,
                }
            }
        }
        _ => Durability::Distribute,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(size: i64) -> VolumeCreateRequest {
        VolumeCreateRequest {
            size,
            ..Default::default()
        }
    }

    fn err(r: VolumeCreateRequest) -> String {
        VolumeSpec::from_request(&r, &EngineOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn heketi_texts() {
        assert_eq!(err(req(0)), "validation failed: size: cannot be blank.");
        let mut r = req(1);
        r.name = "a b".into();
        assert_eq!(
            err(r),
            "validation failed: name: must be in a valid format."
        );
        let mut r = req(1);
        r.gid = -1;
        assert_eq!(err(r), "Bad group id less than zero");
        let mut r = req(1);
        r.durability.kind = "raid".into();
        assert_eq!(err(r), "Unknown durability type");
        assert_eq!(err(req(-3)), "Invalid volume size");
        let mut r = req(1);
        r.snapshot = VolumeSnapshot {
            enable: true,
            factor: 0.5,
        };
        assert_eq!(err(r), "Invalid snapshot factor");
        let mut r = req(1);
        r.durability.kind = "replicate".into();
        r.durability.replicate.replica = 4;
        assert_eq!(err(r), "Invalid replica value");
        let mut r = req(10);
        r.durability.kind = "disperse".into();
        r.durability.disperse = DisperseDurability {
            data: 3,
            redundancy: 1,
        };
        assert_eq!(err(r), "Invalid dispersion combination: 3+1");
        let mut r = req(2);
        r.durability.kind = "disperse".into();
        r.durability.disperse = DisperseDurability {
            data: 4,
            redundancy: 2,
        };
        let opts = EngineOptions::default();
        let spec = VolumeSpec::from_request(&r, &opts).expect("size is checked later");
        assert!(
            spec.check_min_size(&opts)
                .unwrap_err()
                .to_string()
                .starts_with(
                    "Requested volume size (2 GB) is smaller than the minimum supported volume size"
                )
        );
    }

    #[test]
    fn names_and_options_the_commands_refuse_are_refused_at_validation() {
        let mut r = req(1);
        r.name = "-rf".into();
        assert_eq!(
            err(r),
            "validation failed: name: must not start with '-' (gluster would read it as an option)."
        );
        let mut r = req(1);
        r.name = "a-".into();
        assert!(VolumeSpec::from_request(&r, &EngineOptions::default()).is_ok());
        for bad in [
            "x.y $(reboot)",
            "x.y a;b",
            "-x y",
            "performance.cache-size",
            "k\tv",
        ] {
            let mut r = req(1);
            r.glustervolumeoptions = vec![bad.into()];
            let e = err(r);
            assert!(
                e.starts_with(&format!("Invalid volume option '{bad}': ")),
                "{e}"
            );
        }
        let mut r = req(1);
        r.glustervolumeoptions = vec![
            "".into(),
            "  ".into(),
            "auth.allow 10.0.0.*,192.168.1.2".into(),
            "performance.cache-size 256MB".into(),
        ];
        assert!(VolumeSpec::from_request(&r, &EngineOptions::default()).is_ok());
        // The server's own pre/post options are checked too.
        let opts = EngineOptions {
            post_request_volume_options: "server.allow-insecure on,bad;option x".into(),
            ..EngineOptions::default()
        };
        let e = VolumeSpec::from_request(&req(1), &opts).unwrap_err();
        assert!(e.to_string().contains("'bad;option x'"), "{e}");
    }

    #[test]
    fn defaults_and_options() {
        let mut r = req(5);
        r.durability.kind = "replicate".into();
        r.glustervolumeoptions = vec![
            "user.heketi.arbiter true".into(),
            "performance.rda-cache-limit 10MB".into(),
        ];
        r.snapshot = VolumeSnapshot {
            enable: true,
            factor: 0.0,
        };
        let spec = VolumeSpec::from_request(&r, &EngineOptions::default()).unwrap_err();
        // arbiter needs replica 3
        assert!(spec.to_string().contains("replica 3"), "{spec}");
        r.durability.replicate.replica = 3;
        let spec = VolumeSpec::from_request(&r, &EngineOptions::default()).unwrap();
        assert!(spec.placement.arbiter);
        assert_eq!(spec.snapshot.factor, 1.5);
        assert_eq!(
            spec.options,
            vec![
                "",
                "user.heketi.arbiter true",
                "performance.rda-cache-limit 10MB",
                ""
            ]
        );
        let spec = VolumeSpec::from_request(&req(1), &EngineOptions::default()).unwrap();
        assert_eq!(spec.durability_info.kind, "none");
        assert!(matches!(spec.durability, Durability::Distribute));
        let mut r = req(1);
        r.durability.kind = "replicate".into();
        let spec = VolumeSpec::from_request(&r, &EngineOptions::default()).unwrap();
        assert_eq!(spec.durability_info.replicate.replica, 2);
    }
}
