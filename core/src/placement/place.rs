//! The set-count search: every feasible number of sets from the fewest (largest
//! bricks) upwards, not only Heketi's powers of two.

use super::ClusterView;
use super::durability::Durability;
use super::error::PlacementError;
use super::explain;
use super::fill::Attempt;
use super::request::{PlacementRequest, Plan};
use super::space::{GIB, arbiter_brick_size};

/// Checks what `place` relies on: a non-empty durability, arbiter only with replica 3,
/// a positive size, a finite snapshot factor ≥ 1 and a positive maximum brick size.
///
/// The engine validates requests earlier with Heketi's exact messages; this is the
/// sanity net that keeps `place` total on any input.
pub fn validate(req: &PlacementRequest) -> Result<(), PlacementError> {
    let invalid = |msg: &str| Err(PlacementError::Invalid(msg.to_owned()));
    match req.durability {
        Durability::Replicate { replica: 0 } => return invalid("Replica count must be at least 1"),
        Durability::Disperse { data: 0, .. } => {
            return invalid("Disperse data count must be at least 1");
        }
        _ => {}
    }
    if req.arbiter && req.durability != (Durability::Replicate { replica: 3 }) {
        return invalid("Arbiter requires replica 3");
    }
    if req.size_gib == 0 {
        return invalid("Invalid volume size");
    }
    if req.size_gib.checked_mul(GIB).is_none() {
        return invalid("Volume size too large");
    }
    if !(req.snapshot_factor.is_finite() && req.snapshot_factor >= 1.0) {
        return invalid("Invalid snapshot factor");
    }
    if req.limits.brick_max_kib == 0 {
        return invalid("Invalid maximum brick size");
    }
    Ok(())
}

/// Checks that per-request hook input has one entry per device of the view and that
/// scores are finite.
fn validate_hook_input(view: &ClusterView, req: &PlacementRequest) -> Result<(), PlacementError> {
    let devices = view.devices().len();
    let invalid = |msg: &str| Err(PlacementError::Invalid(msg.to_owned()));
    if req.allowed.as_ref().is_some_and(|a| a.len() != devices) {
        return invalid("Placement filter does not cover every device of the cluster");
    }
    if let Some(scores) = &req.scores {
        if scores.len() != devices {
            return invalid("Placement scores do not cover every device of the cluster");
        }
        if scores.iter().any(|s| !s.is_finite()) {
            return invalid("Placement scores must be finite numbers");
        }
    }
    Ok(())
}

/// Places a request in one cluster. Does not mutate the view: the engine applies
/// [`Plan::debits`] after committing.
///
/// Set counts are tried from the smallest one whose bricks fit under the maximum
/// brick size, one by one, until the volume would exceed the maximum number of bricks
/// or bricks would fall below the minimum size. Each attempt fills its sets greedily:
/// every slot takes the usable device with the most free space (net of this plan),
/// then the node with the fewest bricks of this plan, then the lowest device id.
/// Hook input narrows and reorders this: devices not in [`PlacementRequest::allowed`]
/// are skipped, and with [`PlacementRequest::scores`] the highest score comes first.
pub fn place(view: &ClusterView, req: &PlacementRequest) -> Result<Plan, PlacementError> {
    validate(req)?;
    validate_hook_input(view, req)?;
    if view.nodes().is_empty() {
        return Err(PlacementError::EmptyCluster);
    }
    if !view.has_usable_device() {
        return Err(PlacementError::NoStorage);
    }
    let size = u128::from(req.size_gib) * u128::from(GIB);
    let data = u128::from(req.durability.data_bricks());
    let set_size = req.durability.set_size();
    let limits = &req.limits;
    let first = size
        .div_ceil(data * u128::from(limits.brick_max_kib))
        .max(1);
    let bricks_for = |sets: u128| {
        sets.saturating_mul(set_size as u128)
            .saturating_add(req.existing_bricks as u128)
    };
    let brick_for = |sets: u128| size.div_ceil(sets * data);
    if bricks_for(first) > limits.max_bricks_per_volume as u128 {
        return Err(PlacementError::MaxBricks);
    }
    if brick_for(first) < u128::from(limits.brick_min_kib) {
        return Err(PlacementError::MinimumBrickSize);
    }
    let mut attempt = Attempt::new(view, req);
    let mut attempts: Vec<(usize, u64)> = Vec::new();
    let mut failure = None;
    let mut sets = first;
    while bricks_for(sets) <= limits.max_bricks_per_volume as u128 {
        // `sets` ≤ max bricks (a usize) and brick ≤ brick_max (a u64): both convert.
        let (Ok(k), Ok(brick)) = (usize::try_from(sets), u64::try_from(brick_for(sets))) else {
            break;
        };
        if brick < limits.brick_min_kib {
            break;
        }
        sets += 1;
        // More sets of the same brick size only need more space.
        if attempts.last().is_some_and(|&(_, b)| b == brick) {
            continue;
        }
        let arbiter = if req.arbiter {
            match arbiter_brick_size(brick, req.average_file_size_kib) {
                Ok(arb) => Some(arb),
                Err(e) if attempts.is_empty() => return Err(e),
                Err(_) => break,
            }
        } else {
            None
        };
        attempts.push((k, brick));
        let explain = attempts.len() == 1;
        if let Some(plan) = attempt.run(k, brick, arbiter, explain) {
            return Ok(plan);
        }
        if explain {
            failure = attempt.take_failure();
        }
    }
    Err(PlacementError::NoSpace(Box::new(explain::details(
        view,
        req,
        &attempts,
        failure.as_ref(),
    ))))
}
