//! Turning a failed search into an explanation an operator can act on.

use std::collections::BTreeSet;

use super::ClusterView;
use super::error::{DeviceReason, NoSpaceDetails, Rejection};
use super::fill::{Attempt, Failure, Role, Verdict};
use super::request::PlacementRequest;
use super::space::{DEFAULT_EXTENT_KIB, fmt_gib, space_needed};
use super::zone::ZoneChecking;

/// Builds the `NoSpace` details from the attempts tried and the failure of the first
/// (largest-brick) attempt.
pub(super) fn details(
    view: &ClusterView,
    req: &PlacementRequest,
    attempts: &[(usize, u64)],
    failure: Option<&Failure>,
) -> NoSpaceDetails {
    let devices = failure.map_or_else(Vec::new, |f| reasons(view, req, f));
    NoSpaceDetails {
        cluster: view.cluster_id().to_owned(),
        attempts: attempts.to_vec(),
        devices,
        summary: summary(view, req, attempts, failure),
    }
}

pub(super) fn reasons(
    view: &ClusterView,
    req: &PlacementRequest,
    failure: &Failure,
) -> Vec<DeviceReason> {
    let rule = req
        .tag_rule
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    failure
        .verdicts
        .iter()
        .enumerate()
        .filter_map(|(d, verdict)| {
            let reason = match *verdict {
                Verdict::Fits => return None,
                Verdict::NotOnline => Rejection::NotOnline,
                Verdict::HookFiltered => Rejection::FilteredByHook,
                Verdict::ArbiterTag(tag) => Rejection::ArbiterTag {
                    tag: tag.as_str().to_owned(),
                },
                Verdict::TagMismatch => Rejection::TagMismatch { rule: rule.clone() },
                Verdict::SameNode => Rejection::SameNode,
                Verdict::SameZone(zone) => Rejection::SameZone { zone },
                Verdict::TooSmall { free, needed } => Rejection::TooSmall { free, needed },
            };
            let dev = &view.devices()[d];
            Some(DeviceReason {
                device: dev.id.clone(),
                node: view
                    .nodes()
                    .get(dev.node)
                    .map(|n| n.id.clone())
                    .unwrap_or_default(),
                reason,
            })
        })
        .collect()
}

/// One sentence: which requirement the cluster misses at the first attempt.
fn summary(
    view: &ClusterView,
    req: &PlacementRequest,
    attempts: &[(usize, u64)],
    failure: Option<&Failure>,
) -> String {
    let Some(&(sets, brick)) = attempts.first() else {
        return String::new();
    };
    let kind = if req.arbiter {
        format!("{} arbiter", req.durability)
    } else {
        req.durability.to_string()
    };
    let strict = req.zone_checking == ZoneChecking::Strict;
    let unit = if strict { "zones" } else { "nodes" };
    let (tp, meta) = space_needed(brick, req.snapshot_factor, DEFAULT_EXTENT_KIB);
    let need = fmt_gib(tp + meta);
    let rule = req
        .tag_rule
        .as_ref()
        .map(|r| format!(" matching {r}"))
        .unwrap_or_default();
    // Units able to take one data brick on an empty plan.
    let fresh = Attempt::new(view, req);
    let role = Role {
        arbiter: false,
        size: brick,
    };
    let qualifying: BTreeSet<i64> = (0..view.devices().len())
        .filter(|&d| fresh.verdict(d, role, &[]) == Verdict::Fits)
        .map(|d| {
            let node = view.devices()[d].node;
            if strict {
                view.nodes()[node].zone
            } else {
                node as i64
            }
        })
        .collect();
    let data_slots = req.durability.set_size() - usize::from(req.arbiter);
    let distinct = if strict {
        "distinct nodes in distinct zones"
    } else {
        "distinct nodes"
    };
    let mut text = if qualifying.len() < data_slots {
        let only = match qualifying.len() {
            0 => format!("no {}", unit.trim_end_matches('s')),
            1 => format!("only 1 {}", unit.trim_end_matches('s')),
            n => format!("only {n} {unit}"),
        };
        let verb = if qualifying.len() < 2 {
            "qualifies"
        } else {
            "qualify"
        };
        format!(
            "{kind} needs {data_slots} online devices on {distinct}{rule} with more than {need} free; {only} {verb}"
        )
    } else {
        let placed = failure.map_or(0, |f| f.sets_placed);
        let what = match failure {
            Some(f) if f.role.arbiter => " (no device left for the arbiter brick)",
            _ => "",
        };
        format!(
            "{kind} needs {sets} sets of {} bricks with more than {need} free each on {distinct}{rule}; only {placed} fit{what} on the {} qualifying {unit}",
            req.durability.set_size(),
            qualifying.len()
        )
    };
    if let (Some(first), Some(last)) = (attempts.first(), attempts.last())
        && attempts.len() > 1
    {
        text.push_str(&format!(
            "; also tried {} to {} sets (bricks down to {})",
            first.0,
            last.0,
            fmt_gib(last.1)
        ));
    }
    text
}
