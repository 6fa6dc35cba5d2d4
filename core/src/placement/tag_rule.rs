//! Device tag matching (`user.heketi.device-tag-match`).

use std::fmt;

use super::Tags;
use super::error::PlacementError;

/// Comparison of a [`TagRule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagOp {
    /// `key=value`: the tag must be present with that value.
    Eq,
    /// `key!=value`: the tag must differ (a missing tag passes).
    NotEq,
}

/// One device tag rule, matched against node tags merged with device tags
/// (device tags override node tags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRule {
    /// Tag name.
    pub key: String,
    /// `=` or `!=`.
    pub op: TagOp,
    /// Tag value compared against.
    pub value: String,
}

impl TagRule {
    /// Parses `key=value` or `key!=value`; key and value are non-empty runs of
    /// `[A-Za-z0-9._-]` (Heketi's regex accidentally allowed the range `.`..`_`).
    pub fn parse(rule: &str) -> Result<TagRule, PlacementError> {
        let invalid = || PlacementError::Invalid(format!("Invalid device tag match rule: {rule}"));
        let (lhs, value) = rule.split_once('=').ok_or_else(invalid)?;
        let (key, op) = match lhs.strip_suffix('!') {
            Some(key) => (key, TagOp::NotEq),
            None => (lhs, TagOp::Eq),
        };
        if !valid_token(key) || !valid_token(value) {
            return Err(invalid());
        }
        Ok(TagRule {
            key: key.to_owned(),
            op,
            value: value.to_owned(),
        })
    }

    /// Whether a device with these node and device tags satisfies the rule.
    pub fn matches(&self, node_tags: &Tags, device_tags: &Tags) -> bool {
        let actual = merged_tag(node_tags, device_tags, &self.key);
        match self.op {
            TagOp::Eq => actual == Some(self.value.as_str()),
            TagOp::NotEq => actual != Some(self.value.as_str()),
        }
    }
}

impl fmt::Display for TagRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            TagOp::Eq => "=",
            TagOp::NotEq => "!=",
        };
        write!(f, "{}{op}{}", self.key, self.value)
    }
}

/// The value of `key` in node tags merged with device tags (the device wins).
pub(super) fn merged_tag<'a>(
    node_tags: &'a Tags,
    device_tags: &'a Tags,
    key: &str,
) -> Option<&'a str> {
    device_tags
        .get(key)
        .or_else(|| node_tags.get(key))
        .map(String::as_str)
}

fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
