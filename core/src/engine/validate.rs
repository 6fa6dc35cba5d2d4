//! Input validation with Heketi's texts (clients show them to users verbatim).

use crate::api::Tags;
use crate::error::Error;

/// Formats ozzo-validation errors as Heketi does:
/// `validation failed: key: message; key2: message2.` (sorted by key).
pub(crate) fn validation_failed(mut errors: Vec<(String, String)>) -> Error {
    errors.sort();
    let body = errors
        .iter()
        .map(|(k, m)| format!("{k}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    Error::invalid(format!("validation failed: {body}."))
}

/// A small checker that collects ozzo-style field errors.
#[derive(Default)]
pub(crate) struct Fields {
    errors: Vec<(String, String)>,
}

impl Fields {
    pub(crate) fn add(&mut self, key: &str, msg: impl Into<String>) {
        self.errors.push((key.to_string(), msg.into()));
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(validation_failed(self.errors))
        }
    }
}

/// `^[a-zA-Z0-9_-]+$` (volume and block volume names).
pub(crate) fn is_valid_volume_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `^/[a-zA-Z0-9_.:/-]+$` (device names).
pub(crate) fn is_valid_device_name(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('/')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'/' | b'-'))
}

/// A DNS host name or an IP address (ozzo `is.Host`).
pub(crate) fn is_valid_host(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    s.trim_end_matches('.').split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// What Heketi's `ValidateTags` says about `tags`, if anything: at most 32 tags, names
/// `^[a-zA-Z0-9_.-]+$` of 1..32 characters, values of at most 64 characters. Checks in
/// Heketi's order; tags in name order (Heketi's map order is random).
pub fn tags_problem(tags: &Tags) -> Option<String> {
    if tags.len() > 32 {
        return Some(format!(
            "too many tags specified ({}), up to 32 supported",
            tags.len()
        ));
    }
    for (k, v) in tags {
        if k.is_empty() {
            return Some("tag names may not be empty".to_string());
        }
        if k.chars().count() > 32 {
            return Some(format!("tag name {k}: the length must be between 1 and 32"));
        }
        if v.chars().count() > 64 {
            return Some(format!(
                "value of tag {k}: the length must be no more than 64"
            ));
        }
        if !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Some(format!("invalid characters in tag name {k}"));
        }
    }
    None
}

/// Heketi's tag rules as its request validation reports them:
/// `validation failed: tags: <problem>.`
pub(crate) fn validate_tags(tags: &Tags) -> Result<(), Error> {
    let mut f = Fields::default();
    if let Some(p) = tags_problem(tags) {
        f.add("tags", p);
    }
    f.finish()
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ozzo_format_is_sorted_and_terminated() {
        let e = validation_failed(vec![
            ("zone".into(), "must be no less than 1".into()),
            ("cluster".into(), "cannot be blank".into()),
        ]);
        assert_eq!(
            e.to_string(),
            "validation failed: cluster: cannot be blank; zone: must be no less than 1."
        );
    }

    #[test]
    fn names_and_hosts() {
        assert!(is_valid_volume_name("vol_1-a"));
        assert!(!is_valid_volume_name("vol 1"));
        assert!(is_valid_device_name("/dev/sdb"));
        assert!(is_valid_device_name("/dev/disk/by-id/wwn-0x5000:1"));
        assert!(!is_valid_device_name("sdb"));
        assert!(!is_valid_device_name("/dev/sd b"));
        assert!(is_valid_host("10.0.0.1"));
        assert!(is_valid_host("node-1.example.com"));
        assert!(is_valid_host("::1"));
        assert!(!is_valid_host("bad host"));
        assert!(!is_valid_host(""));
    }

    proptest::proptest! {
        /// Every host name, device name and volume name validation accepts reaches the
        /// command line: the command layer's guard accepts it too.
        #[test]
        fn what_validation_accepts_the_command_guard_accepts(
            host in proptest::prop_oneof!["[a-zA-Z0-9_.:-]{1,30}", "[ -~]{0,20}"],
            device in proptest::prop_oneof!["/[a-zA-Z0-9_.:/ -]{0,30}", "[ -~]{0,20}"],
            name in proptest::prop_oneof!["[a-zA-Z0-9_-]{1,30}", "[ -~]{0,20}"],
        ) {
            use crate::executor::validate as guard;
            if is_valid_host(&host) {
                proptest::prop_assert!(guard::host_name("h", &host).is_ok(), "{:?}", host);
            }
            if is_valid_device_name(&device) {
                proptest::prop_assert!(guard::path("h", "device", &device).is_ok(), "{:?}", device);
            }
            let mut req = crate::api::VolumeCreateRequest { size: 1, ..Default::default() };
            req.name = name.clone();
            let opts = crate::engine::EngineOptions::default();
            if !name.is_empty()
                && crate::engine::volume_spec::VolumeSpec::from_request(&req, &opts).is_ok()
            {
                proptest::prop_assert!(guard::name("h", "volume name", &name).is_ok(), "{:?}", name);
            }
        }
    }

    #[test]
    fn tags() {
        let mut t = Tags::new();
        t.insert("rack".into(), "r1".into());
        assert!(validate_tags(&t).is_ok());
        t.insert("bad key".into(), "x".into());
        assert_eq!(
            validate_tags(&t).unwrap_err().to_string(),
            "validation failed: tags: invalid characters in tag name bad key."
        );
        // Heketi checks lengths (ozzo texts) before characters.
        let mut t = Tags::new();
        t.insert("bad key".into(), "v".repeat(65));
        assert_eq!(
            tags_problem(&t).as_deref(),
            Some("value of tag bad key: the length must be no more than 64")
        );
        let mut t = Tags::new();
        t.insert("k".repeat(33), String::new());
        assert_eq!(
            tags_problem(&t),
            Some(format!(
                "tag name {}: the length must be between 1 and 32",
                "k".repeat(33)
            ))
        );
    }
}
