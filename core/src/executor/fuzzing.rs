//! The executor's private output parsers, reachable from the fuzz targets in `fuzz/`.
//! Not an API: nothing outside the fuzz crate calls these.

use super::gluster_xml::CliOutput;
use super::parse::ParseError;
use super::{HealInfo, ThinPoolUsage};

/// `gluster volume heal <name> info --xml` (`heal::parse_heal_info`).
pub fn heal_info(xml: &str) -> Result<(CliOutput, HealInfo), ParseError> {
    super::heal::parse_heal_info(xml)
}

/// `lvs --noheadings --options=data_percent,metadata_percent` of a thin pool
/// (`clone::parse_pool_usage`).
pub fn pool_usage(out: &str) -> Option<ThinPoolUsage> {
    super::clone::parse_pool_usage(out)
}
