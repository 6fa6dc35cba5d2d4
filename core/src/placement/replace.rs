//! Placing one brick that replaces another in an existing set (brick eviction, device
//! and node removal): the rules that made the set still hold for its new member.

use super::ClusterView;
use super::error::{DeviceReason, NoSpaceDetails, PlacementError, Rejection};
use super::explain;
use super::fill::Attempt;
use super::request::{PlacementRequest, PlannedBrick};
use super::space::{DEFAULT_EXTENT_KIB, fmt_gib, space_needed};
use super::zone::ZoneChecking;

/// One brick to replace.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplacementRequest {
    /// The volume's placement settings (snapshot factor, zone checking, tag rule, hook
    /// input); its size, durability and set counts are not used.
    pub volume: PlacementRequest,
    /// Virtual size of the brick (KiB), kept from the brick being replaced.
    pub size: u64,
    /// Whether the brick is its set's arbiter (keeps the arbiter role and its devices).
    pub arbiter: bool,
    /// Devices (view indexes) of the other bricks of the set.
    pub members: Vec<usize>,
    /// The device of the brick being replaced, never chosen.
    pub exclude: Option<usize>,
}

/// Chooses the device for the replacement brick: a node (a zone, under strict zone
/// checking) without another brick of the set, a device matching the tag rule and the
/// arbiter role, the most free space first. Thin pool sizes follow the volume's
/// snapshot factor and the new device's extent size, as for a new brick.
///
/// Fails with `NoSpace` explaining, per device, why none fits.
pub fn place_replacement(
    view: &ClusterView,
    req: &ReplacementRequest,
) -> Result<PlannedBrick, PlacementError> {
    if req.size == 0 {
        return Err(PlacementError::Invalid("Invalid brick size".to_owned()));
    }
    if !(req.volume.snapshot_factor.is_finite() && req.volume.snapshot_factor >= 1.0) {
        return Err(PlacementError::Invalid(
            "Invalid snapshot factor".to_owned(),
        ));
    }
    let devices = view.devices().len();
    if req
        .members
        .iter()
        .chain(&req.exclude)
        .any(|&d| d >= devices)
    {
        return Err(PlacementError::Invalid(
            "Replacement names a device outside the cluster".to_owned(),
        ));
    }
    if view.nodes().is_empty() {
        return Err(PlacementError::EmptyCluster);
    }
    let attempt = Attempt::new(view, &req.volume);
    let exclude = |d: usize| Some(d) == req.exclude;
    if let Some(brick) = attempt.pick_replacement(req.arbiter, req.size, &req.members, &exclude) {
        return Ok(brick);
    }
    let failure = attempt.replacement_failure(req.arbiter, req.size, &req.members);
    let mut reasons = explain::reasons(view, &req.volume, &failure);
    if let Some(x) = req.exclude {
        let dev = &view.devices()[x];
        reasons.retain(|r| r.device != dev.id);
        reasons.push(DeviceReason {
            device: dev.id.clone(),
            node: view
                .nodes()
                .get(dev.node)
                .map(|n| n.id.clone())
                .unwrap_or_default(),
            reason: Rejection::HoldsReplacedBrick,
        });
        reasons.sort_by(|a, b| a.device.cmp(&b.device));
    }
    let (tp, meta) = space_needed(req.size, req.volume.snapshot_factor, DEFAULT_EXTENT_KIB);
    let rule = req
        .volume
        .tag_rule
        .as_ref()
        .map(|r| format!(" matching {r}"))
        .unwrap_or_default();
    let unit = if req.volume.zone_checking == ZoneChecking::Strict {
        "a zone"
    } else {
        "a node"
    };
    let role = if req.arbiter {
        "arbiter brick"
    } else {
        "brick"
    };
    Err(PlacementError::NoSpace(Box::new(NoSpaceDetails {
        cluster: view.cluster_id().to_owned(),
        attempts: vec![(1, req.size)],
        devices: reasons,
        summary: format!(
            "the replacement {role} needs an online device{rule} with more than {} free on {unit} \
             without another brick of its set; no device qualifies",
            fmt_gib(tp + meta)
        ),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::{DeviceSlot, Durability, GIB, NodeSlot, Tags};

    fn view(nodes: &[(i64, &[u64])]) -> ClusterView {
        let mut ns = Vec::new();
        let mut ds = Vec::new();
        for (i, (zone, devs)) in nodes.iter().enumerate() {
            ns.push(NodeSlot {
                id: format!("n{i}"),
                zone: *zone,
                online: true,
                tags: Tags::default(),
            });
            for (j, free) in devs.iter().enumerate() {
                ds.push(DeviceSlot {
                    id: format!("d{i}{j}"),
                    node: i,
                    online: true,
                    free: *free,
                    extent: 0,
                    tags: Tags::default(),
                });
            }
        }
        ClusterView::new("c".into(), ns, ds)
    }

    fn req(members: Vec<usize>, exclude: Option<usize>) -> ReplacementRequest {
        ReplacementRequest {
            volume: PlacementRequest::new(1, Durability::Replicate { replica: 3 }),
            size: GIB,
            arbiter: false,
            members,
            exclude,
        }
    }

    #[test]
    fn avoids_nodes_of_the_set_and_the_old_device() {
        // nodes 0,1,2 hold the set (devices 0,2,4); node 0's other device is free.
        let v = view(&[
            (1, &[100 * GIB, 50 * GIB]),
            (2, &[100 * GIB, 10 * GIB]),
            (3, &[100 * GIB, 10 * GIB]),
            (1, &[20 * GIB]),
        ]);
        // Replace the brick on device 0 (node 0): node 0's device 1 (50 GiB) is allowed
        // and has more room than node 3's device.
        let b = place_replacement(&v, &req(vec![2, 4], Some(0))).unwrap();
        assert_eq!(b.device, 1);
        assert_eq!(b.size, GIB);
        // Strict zones: node 3 shares zone 1 with nobody else of the set once node 0 is
        // gone... but device 1 is zone 1 too, and neither conflicts with zones 2, 3.
        let mut r = req(vec![2, 4], Some(0));
        r.volume.zone_checking = ZoneChecking::Strict;
        assert_eq!(place_replacement(&v, &r).unwrap().device, 1);
        // Replacing the brick on node 1 (device 2) under strict zones: zone 1 holds a
        // member (device 0), so node 3 (zone 1) is refused, and node 1's device 3 fits.
        let mut r = req(vec![0, 4], Some(2));
        r.volume.zone_checking = ZoneChecking::Strict;
        assert_eq!(place_replacement(&v, &r).unwrap().device, 3);
    }

    #[test]
    fn no_room_is_explained_per_device() {
        let v = view(&[(1, &[100 * GIB]), (2, &[100 * GIB]), (3, &[100 * GIB])]);
        let err = place_replacement(&v, &req(vec![1, 2], Some(0))).unwrap_err();
        let PlacementError::NoSpace(d) = &err else {
            panic!("{err:?}")
        };
        let reasons: Vec<(String, Rejection)> = d
            .devices
            .iter()
            .map(|r| (r.device.clone(), r.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("d00".to_string(), Rejection::HoldsReplacedBrick),
                ("d10".to_string(), Rejection::SameNode),
                ("d20".to_string(), Rejection::SameNode),
            ]
        );
        assert!(
            err.to_string().starts_with("No space: cluster c: "),
            "{err}"
        );
    }

    #[test]
    fn arbiter_keeps_its_role_and_devices() {
        let mut v = view(&[
            (1, &[100 * GIB]),
            (2, &[100 * GIB]),
            (3, &[100 * GIB]),
            (4, &[200 * GIB]),
            (5, &[10 * GIB]),
        ]);
        let mut arb = Tags::default();
        arb.insert("arbiter".into(), "required".into());
        v.set_device_tags(4, arb);
        let mut r = req(vec![0, 1], Some(2));
        r.arbiter = true;
        r.size = 16 * 1024;
        // The arbiter goes to the dedicated arbiter device even though node 3 has more room.
        assert_eq!(place_replacement(&v, &r).unwrap().device, 4);
        // A data brick never lands on an arbiter-only device.
        let r = req(vec![0, 1], Some(2));
        assert_eq!(place_replacement(&v, &r).unwrap().device, 3);
    }
}
