//! `gluster volume heal <volume> info --xml`: which bricks of a volume are connected and
//! how many entries each has to heal (the check before a brick is replaced).

use super::gluster_xml::{self, CliOutput};
use super::parse::ParseError;

/// What gluster says a brick is when it is up.
pub const CONNECTED: &str = "Connected";
/// The name gluster gives a brick it cannot ask (a gluster bug: down bricks lose their name).
pub const NAME_UNAVAILABLE: &str = "information not available";

/// One brick of `volume heal <volume> info`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BrickHeal {
    /// `host:path`, or [`NAME_UNAVAILABLE`].
    pub name: String,
    /// `Connected`, `Transport endpoint is not connected`, …
    pub status: String,
    /// Entries to heal: a number, or `-` when the brick could not be asked.
    pub entries: String,
}

impl BrickHeal {
    /// The brick answered.
    pub fn connected(&self) -> bool {
        self.status == CONNECTED && self.name != NAME_UNAVAILABLE
    }

    /// The brick holds entries other bricks must heal from (it is a heal source).
    pub fn has_entries(&self) -> bool {
        !matches!(self.entries.as_str(), "" | "-" | "0")
    }
}

/// The bricks of a heal info answer, in gluster order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HealInfo {
    pub bricks: Vec<BrickHeal>,
}

impl HealInfo {
    /// The entry of brick `name` (`host:path`), if gluster reported it by name.
    pub fn brick(&self, name: &str) -> Option<&BrickHeal> {
        self.bricks.iter().find(|b| b.name == name)
    }
}

/// Parses a heal info document: the envelope (opRet …) and the bricks.
pub(crate) fn parse_heal_info(xml: &str) -> Result<(CliOutput, HealInfo), ParseError> {
    let envelope = gluster_xml::cli_output(xml)?;
    let root = gluster_xml::parse_tree(xml)?;
    let bricks = root
        .child("cliOutput")
        .and_then(|c| c.child("healInfo"))
        .and_then(|h| h.child("bricks"))
        .map(|bs| {
            bs.children("brick")
                .map(|b| BrickHeal {
                    name: b.text_of("name"),
                    status: b.text_of("status"),
                    entries: b.text_of("numberOfEntries"),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((envelope, HealInfo { bricks }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <healInfo>
    <bricks>
      <brick hostUuid="a1">
        <name>10.0.0.1:/var/lib/heketi/mounts/vg_a/brick_1/brick</name>
        <status>Connected</status>
        <totalNumberOfEntries>3</totalNumberOfEntries>
        <numberOfEntriesInHealPending>3</numberOfEntriesInHealPending>
        <numberOfEntriesInSplitBrain>0</numberOfEntriesInSplitBrain>
        <numberOfEntriesPossiblyHealing>0</numberOfEntriesPossiblyHealing>
        <numberOfEntries>3</numberOfEntries>
      </brick>
      <brick hostUuid="a2">
        <name>10.0.0.2:/var/lib/heketi/mounts/vg_b/brick_2/brick</name>
        <status>Transport endpoint is not connected</status>
        <numberOfEntries>-</numberOfEntries>
      </brick>
      <brick hostUuid="a3">
        <name>information not available</name>
        <status>Connected</status>
        <numberOfEntries>0</numberOfEntries>
      </brick>
    </bricks>
  </healInfo>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
</cliOutput>
"#;

    #[test]
    fn bricks_status_and_entries() {
        let (env, info) = parse_heal_info(HEAL).unwrap();
        assert!(env.ok());
        assert_eq!(info.bricks.len(), 3);
        let b1 = info
            .brick("10.0.0.1:/var/lib/heketi/mounts/vg_a/brick_1/brick")
            .unwrap();
        assert!(b1.connected());
        assert!(b1.has_entries());
        let b2 = &info.bricks[1];
        assert!(!b2.connected());
        assert!(!b2.has_entries());
        assert!(
            !info.bricks[2].connected(),
            "a nameless brick is not counted"
        );
    }

    #[test]
    fn failure_envelope_is_kept() {
        let xml = r#"<cliOutput><opRet>-1</opRet><opErrno>2</opErrno><opErrstr>Volume v is not of type replicate</opErrstr></cliOutput>"#;
        let (env, info) = parse_heal_info(xml).unwrap();
        assert!(!env.ok());
        assert_eq!(env.op_errstr, "Volume v is not of type replicate");
        assert!(info.bricks.is_empty());
        assert!(parse_heal_info("Connection failed").is_err());
    }
}
