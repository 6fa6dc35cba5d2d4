//! Property tests of `brickyard::placement::place` over generated topologies and
//! requests (1,000 cases each).

use std::collections::BTreeSet;

use brickyard::placement::{
    ArbiterTag, ClusterView, DeviceSlot, Durability, GIB, Limits, MIB, NodeSlot, PlacementError,
    PlacementRequest, Plan, TagRule, Tags, ZoneChecking, arbiter_brick_size, place, space_needed,
};
use proptest::prelude::*;

const CASES: u32 = 1000;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Tags drawn from a small vocabulary so that rules and arbiter classes bite.
fn tag_strategy() -> impl Strategy<Value = Tags> {
    (0u8..4, 0u8..8).prop_map(|(disk, arbiter)| {
        let mut t = Tags::new();
        match disk {
            1 => drop(t.insert("disk".into(), "ssd".into())),
            2 => drop(t.insert("disk".into(), "hdd".into())),
            _ => {}
        }
        match arbiter {
            1 => drop(t.insert("arbiter".into(), "required".into())),
            2 => drop(t.insert("arbiter".into(), "disabled".into())),
            3 => drop(t.insert("arbiter".into(), "supported".into())),
            _ => {}
        }
        t
    })
}

/// Free space in KiB, from nothing to 400 GiB, not aligned to anything.
fn free_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        2 => 0u64..(4 * GIB),
        6 => 0u64..(400 * GIB),
    ]
}

/// A generated device: (online, free KiB, extent KiB, tags).
type GenDevice = (bool, u64, u64, Tags);
/// A generated node: (zone, online, tags, devices).
type GenNode = (i64, bool, Tags, Vec<GenDevice>);

fn device_strategy() -> impl Strategy<Value = GenDevice> {
    (
        prop::bool::weighted(0.9),
        free_strategy(),
        prop::sample::select(vec![4096u64, 1024, 0, 32 * 1024]),
        tag_strategy(),
    )
}

fn node_strategy(max_devices: usize) -> impl Strategy<Value = GenNode> {
    (
        1i64..=4,
        prop::bool::weighted(0.9),
        tag_strategy(),
        prop::collection::vec(device_strategy(), 1..=max_devices),
    )
}

/// A cluster of 1..=`max_nodes` nodes in up to 4 zones with 1..=`max_devices` devices each.
fn view_strategy(max_nodes: usize, max_devices: usize) -> impl Strategy<Value = ClusterView> {
    (
        1i64..=4,
        prop::collection::vec(node_strategy(max_devices), 1..=max_nodes),
    )
        .prop_map(|(zones, nodes)| {
            let mut node_slots = Vec::new();
            let mut devices = Vec::new();
            for (n, (zone, online, tags, devs)) in nodes.into_iter().enumerate() {
                node_slots.push(NodeSlot {
                    id: format!("node{n:02}"),
                    zone: (zone - 1) % zones + 1,
                    online,
                    tags,
                });
                for (d, (online, free, extent, tags)) in devs.into_iter().enumerate() {
                    // Ids not in index order, to exercise the id tie-break.
                    devices.push(DeviceSlot {
                        id: format!("dev{:02}{n:02}", 7 * d % 5),
                        node: n,
                        online,
                        free,
                        extent,
                        tags,
                    });
                }
            }
            ClusterView::new("cluster".into(), node_slots, devices)
        })
}

fn durability_strategy() -> impl Strategy<Value = (Durability, bool)> {
    prop_oneof![
        (1u32..=3).prop_map(|replica| (Durability::Replicate { replica }, false)),
        Just((Durability::Replicate { replica: 3 }, true)),
        prop::sample::select(vec![(2u32, 1u32), (4, 2), (8, 3), (8, 4)])
            .prop_map(|(data, redundancy)| (Durability::Disperse { data, redundancy }, false)),
        Just((Durability::Distribute, false)),
    ]
}

fn request_strategy() -> impl Strategy<Value = PlacementRequest> {
    (
        1u64..300,
        durability_strategy(),
        prop::sample::select(vec![1.0f64, 1.0, 1.5, 2.0, 1.25]),
        prop::bool::weighted(0.3),
        prop::sample::select(vec![
            None,
            None,
            Some("disk=ssd"),
            Some("disk!=hdd"),
            Some("disk!=ssd"),
        ]),
        prop::sample::select(vec![64u64, 64, 16, 1024]),
        0usize..8,
        prop::sample::select(vec![GIB, GIB, 256 * MIB, 2 * GIB]),
        prop::sample::select(vec![4096 * GIB, 50 * GIB, 120 * GIB, 20 * GIB]),
        4usize..40,
    )
        .prop_map(
            |(
                size,
                (durability, arbiter),
                factor,
                strict,
                rule,
                avg,
                existing,
                min,
                max,
                max_bricks,
            )| {
                PlacementRequest {
                    size_gib: size,
                    durability,
                    snapshot_factor: factor,
                    zone_checking: if strict {
                        ZoneChecking::Strict
                    } else {
                        ZoneChecking::None
                    },
                    tag_rule: rule.map(|r| TagRule::parse(r).expect("fixed valid rule")),
                    arbiter,
                    average_file_size_kib: avg,
                    existing_bricks: existing,
                    limits: Limits {
                        brick_min_kib: min,
                        brick_max_kib: max,
                        max_bricks_per_volume: max_bricks,
                    },
                    allowed: None,
                    scores: None,
                }
            },
        )
}

/// Errors a valid request may legitimately get.
fn expected_error(err: &PlacementError) -> bool {
    matches!(
        err,
        PlacementError::NoSpace(_)
            | PlacementError::MaxBricks
            | PlacementError::MinimumBrickSize
            | PlacementError::NoStorage
            | PlacementError::EmptyCluster
    )
}

fn node_of(view: &ClusterView, device: usize) -> &NodeSlot {
    &view.nodes()[view.devices()[device].node]
}

/// Whether `device` may hold a brick of this kind under the request's rules.
fn allowed(view: &ClusterView, req: &PlacementRequest, device: usize, arbiter: bool) -> bool {
    let dev = &view.devices()[device];
    let node = node_of(view, device);
    dev.online
        && node.online
        && ArbiterTag::from_tags(&node.tags, &dev.tags).allows(arbiter)
        && req
            .tag_rule
            .as_ref()
            .is_none_or(|r| r.matches(&node.tags, &dev.tags))
}

fn placed(view: &ClusterView, req: &PlacementRequest) -> Option<Plan> {
    match place(view, req) {
        Ok(plan) => Some(plan),
        Err(e) => {
            assert!(expected_error(&e), "unexpected error {e:?}");
            None
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// 1. No device is over-committed: the sum of its debits stays strictly below its free space.
    #[test]
    fn no_device_over_committed(view in view_strategy(12, 4), req in request_strategy()) {
        if let Some(plan) = placed(&view, &req) {
            let mut taken = vec![0u128; view.devices().len()];
            for (d, kib) in plan.debits() {
                taken[d] += u128::from(kib);
            }
            for (d, t) in taken.iter().enumerate() {
                prop_assert!(*t == 0 || *t < u128::from(view.devices()[d].free), "device {} over-committed", d);
            }
            // The engine can apply the debits.
            let mut view = view;
            for (d, kib) in plan.debits() {
                view.debit(d, kib);
            }
        }
    }

    /// 2. Bricks of one set are on distinct nodes, and in distinct zones under strict checking.
    #[test]
    fn sets_spread_over_nodes_and_zones(view in view_strategy(12, 4), req in request_strategy()) {
        if let Some(plan) = placed(&view, &req) {
            for set in &plan.sets {
                let nodes: BTreeSet<usize> = set.iter().map(|b| view.devices()[b.device].node).collect();
                prop_assert_eq!(nodes.len(), set.len());
                if req.zone_checking == ZoneChecking::Strict {
                    let zones: BTreeSet<i64> = set.iter().map(|b| node_of(&view, b.device).zone).collect();
                    prop_assert_eq!(zones.len(), set.len());
                }
            }
        }
    }

    /// 3. Every brick is on an online device of an online node and passes the tag and arbiter rules.
    #[test]
    fn bricks_respect_state_and_tags(view in view_strategy(12, 4), req in request_strategy()) {
        if let Some(plan) = placed(&view, &req) {
            for brick in plan.sets.iter().flatten() {
                prop_assert!(allowed(&view, &req, brick.device, brick.arbiter));
            }
        }
    }

    /// 4. Sizes cover the request; pools honour the snapshot factor; sets are complete;
    /// arbiter sets have one arbiter brick, at index 2, of the arbiter size.
    #[test]
    fn sizes_cover_the_request(view in view_strategy(12, 4), req in request_strategy()) {
        if let Some(plan) = placed(&view, &req) {
            prop_assert!(!plan.sets.is_empty());
            let covered: u128 = plan
                .sets
                .iter()
                .map(|s| u128::from(s[0].size) * u128::from(req.durability.data_bricks()))
                .sum();
            prop_assert!(covered >= u128::from(req.size_gib) * u128::from(GIB));
            for set in &plan.sets {
                prop_assert_eq!(set.len(), req.durability.set_size());
                for (i, brick) in set.iter().enumerate() {
                    let extent = view.devices()[brick.device].extent;
                    prop_assert_eq!((brick.tp_size, brick.metadata_size), space_needed(brick.size, req.snapshot_factor, extent));
                    prop_assert!(brick.tp_size as f64 >= (brick.size as f64 * req.snapshot_factor).floor());
                    prop_assert_eq!(brick.arbiter, req.arbiter && i == 2);
                    if brick.arbiter {
                        prop_assert_eq!(Ok(brick.size), arbiter_brick_size(set[0].size, req.average_file_size_kib));
                    } else {
                        prop_assert_eq!(brick.size, set[0].size);
                    }
                }
            }
        }
    }

    /// 5. Brick count within the limit (existing bricks included); data bricks within [min, max].
    #[test]
    fn limits_hold(view in view_strategy(12, 4), req in request_strategy()) {
        if let Some(plan) = placed(&view, &req) {
            prop_assert!(plan.brick_count() + req.existing_bricks <= req.limits.max_bricks_per_volume);
            for brick in plan.sets.iter().flatten().filter(|b| !b.arbiter) {
                prop_assert!(brick.size >= req.limits.brick_min_kib && brick.size <= req.limits.brick_max_kib);
            }
        }
    }

    /// 6. The same view and request give the same answer.
    #[test]
    fn deterministic(view in view_strategy(12, 4), req in request_strategy()) {
        let first = place(&view, &req);
        let again = place(&view.clone(), &req.clone());
        prop_assert_eq!(first, again);
    }

    /// 7. Completeness for single-set requests: when `place` says no space, no choice of
    /// devices for the one set with the same brick sizes exists either.
    #[test]
    fn no_space_means_no_single_set(view in view_strategy(6, 3), req in request_strategy()) {
        let mut req = req;
        req.limits.max_bricks_per_volume = req.durability.set_size() + req.existing_bricks;
        req.limits.brick_max_kib = 4096 * GIB;
        if let Err(PlacementError::NoSpace(details)) = place(&view, &req) {
            prop_assert_eq!(details.attempts.len(), 1);
            let (_, brick) = details.attempts[0];
            let arbiter = if req.arbiter {
                Some(arbiter_brick_size(brick, req.average_file_size_kib).expect("attempted size is valid"))
            } else {
                None
            };
            let found = brute_force_set(&view, &req, brick, arbiter);
            prop_assert!(found.is_none(), "place said no space but {:?} fits", found);
        }
    }
}

/// Every set of devices for one brick set (data slots unordered, the arbiter slot apart).
fn brute_force_set(
    view: &ClusterView,
    req: &PlacementRequest,
    data: u64,
    arbiter: Option<u64>,
) -> Option<Vec<usize>> {
    let fits = |d: usize, size: u64, is_arbiter: bool| {
        let dev = &view.devices()[d];
        let (tp, meta) = space_needed(size, req.snapshot_factor, dev.extent);
        allowed(view, req, d, is_arbiter) && dev.free > tp + meta
    };
    let data_candidates: Vec<usize> = (0..view.devices().len())
        .filter(|&d| fits(d, data, false))
        .collect();
    let data_slots = req.durability.set_size() - usize::from(arbiter.is_some());
    let compatible = |chosen: &[usize], d: usize| {
        chosen.iter().all(|&c| {
            view.devices()[c].node != view.devices()[d].node
                && (req.zone_checking == ZoneChecking::None
                    || node_of(view, c).zone != node_of(view, d).zone)
        })
    };
    fn search(
        candidates: &[usize],
        from: usize,
        left: usize,
        chosen: &mut Vec<usize>,
        done: &mut dyn FnMut(&[usize]) -> bool,
        compatible: &dyn Fn(&[usize], usize) -> bool,
    ) -> bool {
        if left == 0 {
            return done(chosen);
        }
        for i in from..candidates.len() {
            if compatible(chosen, candidates[i]) {
                chosen.push(candidates[i]);
                if search(candidates, i + 1, left - 1, chosen, done, compatible) {
                    return true;
                }
                chosen.pop();
            }
        }
        false
    }
    let mut result = None;
    let mut done = |chosen: &[usize]| match arbiter {
        None => {
            result = Some(chosen.to_vec());
            true
        }
        Some(size) => {
            let arb =
                (0..view.devices().len()).find(|&d| fits(d, size, true) && compatible(chosen, d));
            if let Some(a) = arb {
                let mut set = chosen.to_vec();
                set.push(a);
                result = Some(set);
            }
            arb.is_some()
        }
    };
    search(
        &data_candidates,
        0,
        data_slots,
        &mut Vec::new(),
        &mut done,
        &compatible,
    );
    result
}

#[test]
fn brute_force_finds_what_place_finds() {
    // Guard against a brute force that can never find anything (the property would
    // then pass vacuously).
    let nodes: Vec<NodeSlot> = (0..3)
        .map(|n| NodeSlot {
            id: format!("n{n}"),
            zone: 1,
            online: true,
            tags: tags(&[]),
        })
        .collect();
    let devices: Vec<DeviceSlot> = (0..3)
        .map(|n| DeviceSlot {
            id: format!("d{n}"),
            node: n,
            online: true,
            free: 20 * GIB,
            extent: 4096,
            tags: Tags::new(),
        })
        .collect();
    let view = ClusterView::new("c".into(), nodes, devices);
    let mut req = PlacementRequest::new(10, Durability::Replicate { replica: 3 });
    assert!(place(&view, &req).is_ok());
    assert_eq!(
        brute_force_set(&view, &req, 10 * GIB, None),
        Some(vec![0, 1, 2])
    );
    req.arbiter = true;
    assert!(brute_force_set(&view, &req, 10 * GIB, Some(16 * MIB)).is_some());
    assert!(brute_force_set(&view, &req, 20 * GIB, None).is_none());
}
