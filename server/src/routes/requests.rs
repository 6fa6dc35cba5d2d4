//! Request bodies whose validation Heketi does in the handler (ozzo `Validate()`),
//! decoded leniently so that a wrong value is a `400 validation failed: …` rather
//! than a parse error, as with Go's string-typed enums.

use brickyard::api::{Tags, TagsChangeRequest, TagsChangeType};
use serde::Deserialize;

use crate::error::AppError;

/// `{"state":…, "healcheck":…}` of `POST /nodes/{id}/state` and `/devices/{id}/state`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StateBody {
    /// `online`, `offline` or `failed`.
    #[serde(default, deserialize_with = "brickyard::api::null_as_default")]
    pub state: String,
    /// `""`, `enable` or `disable`.
    #[serde(default, deserialize_with = "brickyard::api::null_as_default")]
    pub healcheck: String,
}

impl StateBody {
    /// ozzo's `StateRequest.Validate()`: `state: cannot be blank`, `state: X is not
    /// valid state`, `healcheck: X is not valid heal info check`.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = Vec::new();
        if self.state.is_empty() {
            errors.push(("state", "cannot be blank".to_string()));
        } else if !matches!(self.state.as_str(), "online" | "offline" | "failed") {
            errors.push(("state", format!("{} is not valid state", self.state)));
        }
        if !matches!(self.healcheck.as_str(), "" | "enable" | "disable") {
            errors.push((
                "healcheck",
                format!("{} is not valid heal info check", self.healcheck),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(errors))
        }
    }

    /// The queue label of the state change of `record` (`node`, `device`) `id`.
    pub fn label(&self, record: &str, id: &str) -> String {
        format!("{record} {id} state {}", self.state)
    }
}

/// `{"tags":{…},"change_type":…}` of `POST /nodes/{id}/tags` and `/devices/{id}/tags`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TagsBody {
    /// The tags to set, merge or remove.
    #[serde(default, deserialize_with = "brickyard::api::null_as_default")]
    pub tags: Tags,
    /// `set`, `update` or `delete`.
    #[serde(default, deserialize_with = "brickyard::api::null_as_default")]
    pub change_type: String,
}

impl TagsBody {
    /// ozzo's `TagsChangeRequest.Validate()` (the change type and the tag rules, in
    /// one sorted message); the engine's request on success.
    pub fn into_request(self) -> Result<TagsChangeRequest, AppError> {
        let mut errors: Vec<(&str, String)> = Vec::new();
        let change_type = match self.change_type.as_str() {
            "set" => Some(TagsChangeType::Set),
            "update" => Some(TagsChangeType::Update),
            "delete" => Some(TagsChangeType::Delete),
            "" => {
                errors.push(("change_type", "cannot be blank".into()));
                None
            }
            _ => {
                errors.push(("change_type", "must be a valid value".into()));
                None
            }
        };
        if let Some(p) = brickyard::engine::tags_problem(&self.tags) {
            errors.push(("tags", p));
        }
        match change_type {
            Some(change_type) if errors.is_empty() => Ok(TagsChangeRequest {
                tags: self.tags,
                change_type,
            }),
            _ => Err(AppError::validation(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(state: &str, healcheck: &str) -> Option<String> {
        StateBody {
            state: state.into(),
            healcheck: healcheck.into(),
        }
        .validate()
        .err()
        .map(|e| e.message)
    }

    #[test]
    fn state_requests_validate_like_ozzo() {
        assert_eq!(state("offline", ""), None);
        assert_eq!(state("failed", "disable"), None);
        assert_eq!(
            state("", "").as_deref(),
            Some("validation failed: state: cannot be blank.")
        );
        assert_eq!(
            state("up", "maybe").as_deref(),
            Some(
                "validation failed: healcheck: maybe is not valid heal info check; state: up is not valid state."
            )
        );
    }

    #[test]
    fn tag_change_types_are_validated() {
        let body = |t: &str| TagsBody {
            tags: Tags::new(),
            change_type: t.into(),
        };
        assert!(body("update").into_request().is_ok());
        assert_eq!(
            body("").into_request().err().map(|e| e.message).as_deref(),
            Some("validation failed: change_type: cannot be blank.")
        );
        assert_eq!(
            body("merge")
                .into_request()
                .err()
                .map(|e| e.message)
                .as_deref(),
            Some("validation failed: change_type: must be a valid value.")
        );
        let mut tags = Tags::new();
        tags.insert("bad key".into(), "x".into());
        let both = TagsBody {
            tags,
            change_type: "merge".into(),
        };
        assert_eq!(
            both.into_request().err().map(|e| e.message).as_deref(),
            Some(
                "validation failed: change_type: must be a valid value; tags: invalid characters in tag name bad key."
            )
        );
    }
}
