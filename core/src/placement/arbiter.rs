//! Arbiter tags: which devices take arbiter bricks, data bricks or both.

use super::Tags;
use super::tag_rule::merged_tag;

/// The `arbiter` tag of a device (node tags merged with device tags, the device wins).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArbiterTag {
    /// `required`: arbiter bricks only.
    Required,
    /// `supported` (also any unknown value or no tag): both kinds.
    #[default]
    Supported,
    /// `disabled`: data bricks only.
    Disabled,
}

impl ArbiterTag {
    /// The tag of a device from its node's and its own tags.
    pub fn from_tags(node_tags: &Tags, device_tags: &Tags) -> ArbiterTag {
        merged_tag(node_tags, device_tags, "arbiter")
            .map_or(ArbiterTag::Supported, ArbiterTag::parse)
    }

    /// Parses a tag value; unknown values mean `Supported`.
    pub fn parse(value: &str) -> ArbiterTag {
        match value {
            "required" => ArbiterTag::Required,
            "disabled" => ArbiterTag::Disabled,
            _ => ArbiterTag::Supported,
        }
    }

    /// The tag value as written in tags.
    pub fn as_str(self) -> &'static str {
        match self {
            ArbiterTag::Required => "required",
            ArbiterTag::Supported => "supported",
            ArbiterTag::Disabled => "disabled",
        }
    }

    /// Whether a data brick (`arbiter == false`) or an arbiter brick may go here.
    pub fn allows(self, arbiter: bool) -> bool {
        match self {
            ArbiterTag::Required => arbiter,
            ArbiterTag::Supported => true,
            ArbiterTag::Disabled => !arbiter,
        }
    }

    /// Position in per-class arrays.
    pub(super) fn slot(self) -> usize {
        match self {
            ArbiterTag::Required => 0,
            ArbiterTag::Supported => 1,
            ArbiterTag::Disabled => 2,
        }
    }
}
