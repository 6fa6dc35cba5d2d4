//! `settags` / `rmtags` argument handling shared by nodes and devices
//! (`heketi/heketi:client/cli/go/cmds/utils.go`).

use brickyard::api::{Tags, TagsChangeRequest, TagsChangeType};

use crate::CliError;

/// Builds the request of `settags <id> k:v…` (`--exact` replaces all tags).
pub(crate) fn set_tags_request(
    args: &[String],
    exact: bool,
) -> Result<(String, TagsChangeRequest), CliError> {
    let id = args
        .first()
        .ok_or_else(|| CliError::Usage("id required".into()))?;
    if args.len() < 2 {
        return Err(CliError::Usage(
            "at least one tag:value pair expected".into(),
        ));
    }
    let mut tags = Tags::new();
    for t in &args[1..] {
        let (k, v) = t.split_once(':').ok_or_else(|| {
            CliError::Usage(format!(
                "expected colon (:) between tag name and value, got: {t}"
            ))
        })?;
        tags.insert(k.to_string(), v.to_string());
    }
    let change_type = if exact {
        TagsChangeType::Set
    } else {
        TagsChangeType::Update
    };
    Ok((id.clone(), TagsChangeRequest { tags, change_type }))
}

/// Builds the request of `rmtags <id> k…` or `rmtags <id> --all`.
pub(crate) fn rm_tags_request(
    args: &[String],
    all: bool,
) -> Result<(String, TagsChangeRequest), CliError> {
    let id = args
        .first()
        .ok_or_else(|| CliError::Usage("id required".into()))?;
    if args.len() < 2 && !all {
        return Err(CliError::Usage("at least one tag expected".into()));
    }
    if args.len() >= 2 && all {
        return Err(CliError::Usage(
            "--all may not be combined with named tags".into(),
        ));
    }
    let req = if all {
        TagsChangeRequest {
            tags: Tags::new(),
            change_type: TagsChangeType::Set,
        }
    } else {
        TagsChangeRequest {
            tags: args[1..]
                .iter()
                .map(|k| (k.clone(), String::new()))
                .collect(),
            change_type: TagsChangeType::Delete,
        }
    };
    Ok((id.clone(), req))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn settags_parses_pairs_and_exact() {
        let (id, r) = set_tags_request(&s(&["n1", "a:b", "c:d:e"]), true).expect("ok");
        assert_eq!(id, "n1");
        assert_eq!(r.change_type, TagsChangeType::Set);
        assert_eq!(r.tags.get("c").map(String::as_str), Some("d:e"));
        let e = set_tags_request(&s(&["n1", "ab"]), false).expect_err("no colon");
        assert_eq!(
            e.to_string(),
            "expected colon (:) between tag name and value, got: ab"
        );
    }

    #[test]
    fn rmtags_all_and_named_are_exclusive() {
        let (_, r) = rm_tags_request(&s(&["n1"]), true).expect("ok");
        assert_eq!(r.change_type, TagsChangeType::Set);
        assert!(r.tags.is_empty());
        assert!(rm_tags_request(&s(&["n1", "a"]), true).is_err());
        assert!(rm_tags_request(&s(&["n1"]), false).is_err());
        let (_, r) = rm_tags_request(&s(&["n1", "a"]), false).expect("ok");
        assert_eq!(r.change_type, TagsChangeType::Delete);
    }
}
