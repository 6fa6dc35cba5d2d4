//! Example tests: Heketi's worked sequences, the issue #1860 case, formulas, zones,
//! tags, arbiters and failure explanations, plus the index consistency property.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// One node: zone, online, tags, and its devices as (free GiB, online, tags).
pub(super) struct N<'a> {
    pub zone: i64,
    pub devices: &'a [u64],
    pub tags: &'a [(&'a str, &'a str)],
}

pub(super) fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Builds a view; node `n` is `node{n}`, its device `d` is `dev{n}-{d}` (zero padded).
pub(super) fn view(nodes: &[N<'_>]) -> ClusterView {
    let mut node_slots = Vec::new();
    let mut devices = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        node_slots.push(NodeSlot {
            id: format!("node{n:04}"),
            zone: node.zone,
            online: true,
            tags: tags(node.tags),
        });
        for (d, &free) in node.devices.iter().enumerate() {
            devices.push(DeviceSlot {
                id: format!("dev{n:04}-{d:02}"),
                node: n,
                online: true,
                free: free * GIB,
                extent: DEFAULT_EXTENT_KIB,
                tags: Tags::new(),
            });
        }
    }
    ClusterView::new("c1".to_owned(), node_slots, devices)
}

/// `count` nodes in `zones` zones (round robin), each with the same devices.
pub(super) fn uniform<'a>(count: usize, zones: i64, devices: &'a [u64]) -> Vec<N<'a>> {
    (0..count)
        .map(|n| N {
            zone: n as i64 % zones + 1,
            devices,
            tags: &[],
        })
        .collect()
}

pub(super) fn replica(replica: u32) -> Durability {
    Durability::Replicate { replica }
}

/// Places and checks the structural rules every plan must follow.
pub(super) fn check(view: &ClusterView, req: &PlacementRequest) -> Result<Plan, PlacementError> {
    let plan = place(view, req)?;
    for set in &plan.sets {
        assert_eq!(set.len(), req.durability.set_size());
        let nodes: BTreeSet<usize> = set.iter().map(|b| view.devices()[b.device].node).collect();
        assert_eq!(nodes.len(), set.len(), "two bricks of a set on one node");
    }
    let mut taken = vec![0u64; view.devices().len()];
    for (d, kib) in plan.debits() {
        taken[d] += kib;
    }
    for (d, kib) in taken.iter().enumerate() {
        assert!(
            *kib == 0 || *kib < view.devices()[d].free,
            "device {d} over-committed"
        );
    }
    assert_eq!(
        place(view, req).as_ref(),
        Ok(&plan),
        "placement is not deterministic"
    );
    Ok(plan)
}

pub(super) fn no_space(result: Result<Plan, PlacementError>) -> NoSpaceDetails {
    match result {
        Err(PlacementError::NoSpace(details)) => *details,
        other => panic!("expected NoSpace, got {other:?}"),
    }
}

fn set_sizes(plan: &Plan) -> (usize, u64) {
    (plan.sets.len(), plan.sets[0][0].size)
}

#[test]
fn space_formula_examples() {
    // 100 GiB, no snapshots: tp 100 GiB, meta 512 MiB.
    assert_eq!(space_needed(100 * GIB, 1.0, 4096), (104_857_600, 524_288));
    // 10 GiB with factor 1.5: tp 15 GiB, 0.5 % = 78 643 KiB rounded to 80 MiB.
    assert_eq!(space_needed(10 * GIB, 1.5, 4096), (15 * GIB, 81_920));
    // 4 TiB: metadata capped at 16 GiB.
    assert_eq!(space_needed(4096 * GIB, 1.0, 4096), (4096 * GIB, 16 * GIB));
    // Rounding to the extent; extent 0 means the default.
    assert_eq!(space_needed(1, 1.0, 4096), (4096, 4096));
    assert_eq!(space_needed(1, 1.0, 0), (4096, 4096));
}

#[test]
fn arbiter_size_examples() {
    assert_eq!(arbiter_brick_size(64 * GIB, 64), Ok(GIB));
    assert_eq!(arbiter_brick_size(100 * GIB, 64), Ok(1600 * MIB));
    assert_eq!(arbiter_brick_size(GIB, 64), Ok(16 * MIB));
    assert_eq!(arbiter_brick_size(GIB, 0), Ok(16 * MIB));
    assert!(matches!(
        arbiter_brick_size(32, 64),
        Err(PlacementError::Invalid(_))
    ));
}

#[test]
fn heketi_brick_division_fits_with_five_sets() {
    // Heketi: 1×2000, 2×1000, 4×500 fail (a 500 GiB brick needs 502.5 GiB), then 8×250.
    // Trying every set count finds 5 × 400 GiB.
    let v = view(&uniform(10, 1, &[500; 10]));
    let plan = check(&v, &PlacementRequest::new(2000, replica(2))).unwrap();
    assert_eq!(set_sizes(&plan), (5, 400 * GIB));
}

#[test]
fn huge_volume_starts_at_the_max_brick_size() {
    // 100 TiB replica 2: 25 sets of 4 TiB are needed, 50 bricks > 32.
    let v = view(&uniform(4, 1, &[100]));
    let req = PlacementRequest::new(100 * 1024, replica(2));
    assert_eq!(place(&v, &req), Err(PlacementError::MaxBricks));
    // With room for 64 bricks the search starts at 25 × 4096 GiB and passes through
    // Heketi's first candidate, 32 × 3200 GiB.
    let mut req = req;
    req.limits.max_bricks_per_volume = 64;
    let details = no_space(place(&v, &req));
    assert_eq!(details.attempts.first(), Some(&(25, 4096 * GIB)));
    assert!(details.attempts.contains(&(32, 3200 * GIB)));
    assert_eq!(details.attempts.last(), Some(&(32, 3200 * GIB)));
}

#[test]
fn issue_1860_succeeds_without_powers_of_two() {
    // 97000 GiB replica 3, 9 × 11175 GiB per node: Heketi tries 8, 16, 32 sets and fails.
    let v = view(&uniform(3, 1, &[11175; 9]));
    let mut req = PlacementRequest::new(97000, replica(3));
    req.limits.max_bricks_per_volume = 60;
    req.limits.brick_max_kib = 20240 * GIB;
    let plan = check(&v, &req).unwrap();
    let (sets, brick) = set_sizes(&plan);
    assert_eq!(sets, 9);
    assert!(!sets.is_power_of_two());
    assert!(brick as u128 * sets as u128 >= 97000 * GIB as u128);
    // One brick per device: the space is spread over all 27 disks.
    let used: BTreeSet<usize> = plan.debits().map(|(d, _)| d).collect();
    assert_eq!(used.len(), 27);
}

#[test]
fn strict_zones() {
    let v = view(&uniform(6, 2, &[100, 100]));
    let mut req = PlacementRequest::new(10, replica(3));
    check(&v, &req).unwrap();
    req.zone_checking = ZoneChecking::Strict;
    let details = no_space(place(&v, &req));
    assert!(
        details.summary.starts_with(
            "replica 3 needs 3 online devices on distinct nodes in distinct zones with more than 10.05 GiB free; only 2 zones qualify"
        ),
        "{}",
        details.summary
    );
    req.durability = replica(2);
    let plan = check(&v, &req).unwrap();
    for set in &plan.sets {
        let zones: BTreeSet<i64> = set
            .iter()
            .map(|b| v.nodes()[v.devices()[b.device].node].zone)
            .collect();
        assert_eq!(zones.len(), 2);
    }
    assert_eq!(ZoneChecking::parse("strict"), ZoneChecking::Strict);
    assert_eq!(ZoneChecking::parse("none"), ZoneChecking::None);
    assert_eq!(ZoneChecking::parse("Strict!"), ZoneChecking::None);
}

#[test]
fn tag_rule_parsing() {
    let rule = TagRule::parse("disk.type=ssd_1-x").unwrap();
    assert_eq!(
        (rule.key.as_str(), rule.op, rule.value.as_str()),
        ("disk.type", TagOp::Eq, "ssd_1-x")
    );
    let rule = TagRule::parse("tier!=slow").unwrap();
    assert_eq!(
        (rule.key.as_str(), rule.op, rule.value.as_str()),
        ("tier", TagOp::NotEq, "slow")
    );
    assert_eq!(rule.to_string(), "tier!=slow");
    // Heketi's `.-_` range accepted these.
    for bad in [
        "a", "=b", "a=", "a!=", "a:b=c", "a=b=c", "a==b", "A@=b", "a=b c", "a!!=b", "",
    ] {
        assert!(
            matches!(TagRule::parse(bad), Err(PlacementError::Invalid(_))),
            "{bad}"
        );
    }
}

#[test]
fn tag_rule_selects_devices() {
    let ssd: &[(&str, &str)] = &[("disk", "ssd")];
    let nodes = vec![
        N {
            zone: 1,
            devices: &[500],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[100],
            tags: ssd,
        },
        N {
            zone: 1,
            devices: &[100],
            tags: ssd,
        },
        N {
            zone: 1,
            devices: &[500],
            tags: &[("disk", "hdd")],
        },
    ];
    let v = view(&nodes);
    let mut req = PlacementRequest::new(10, replica(2));
    req.tag_rule = Some(TagRule::parse("disk=ssd").unwrap());
    let plan = check(&v, &req).unwrap();
    let used: BTreeSet<usize> = plan.debits().map(|(d, _)| v.devices()[d].node).collect();
    assert_eq!(used, BTreeSet::from([1, 2]));
    // `!=` passes when the key is missing: nodes 0, 1, 2.
    req.tag_rule = Some(TagRule::parse("disk!=hdd").unwrap());
    req.durability = replica(3);
    let plan = check(&v, &req).unwrap();
    let used: BTreeSet<usize> = plan.debits().map(|(d, _)| v.devices()[d].node).collect();
    assert_eq!(used, BTreeSet::from([0, 1, 2]));
    // Device tags override node tags.
    let mut devices = v.devices().to_vec();
    devices[1].tags = tags(&[("disk", "hdd")]);
    let v = ClusterView::new("c1".into(), v.nodes().to_vec(), devices);
    let details = no_space(place(&v, &req));
    assert!(
        details.summary.contains("matching disk!=hdd"),
        "{}",
        details.summary
    );
    assert!(details.devices.iter().any(|r| r.device == "dev0001-00"
        && r.reason
            == Rejection::TagMismatch {
                rule: "disk!=hdd".into()
            }));
}

#[test]
fn arbiter_uses_dedicated_devices() {
    let req_tag: &[(&str, &str)] = &[("arbiter", "required")];
    let nodes = vec![
        N {
            zone: 1,
            devices: &[1000],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[1000],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[1000],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[5],
            tags: req_tag,
        },
    ];
    let v = view(&nodes);
    let mut req = PlacementRequest::new(64, replica(3));
    req.arbiter = true;
    let plan = check(&v, &req).unwrap();
    assert_eq!(plan.sets.len(), 1);
    let set = &plan.sets[0];
    assert_eq!(
        set.iter().map(|b| b.arbiter).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert_eq!(set[2].device, 3, "arbiter goes to the dedicated device");
    assert_eq!(set[2].size, GIB);
    assert_eq!(set[0].size, 64 * GIB);
    // A volume without arbiter never puts data on `arbiter: required`.
    let plan = check(&v, &PlacementRequest::new(10, replica(3))).unwrap();
    assert!(plan.debits().all(|(d, _)| d != 3));
    let details = no_space(place(
        &v,
        &PlacementRequest::new(
            10,
            Durability::Disperse {
                data: 2,
                redundancy: 2,
            },
        ),
    ));
    assert!(details.devices.contains(&DeviceReason {
        device: "dev0003-00".into(),
        node: "node0003".into(),
        reason: Rejection::ArbiterTag {
            tag: "required".into()
        },
    }));
}

#[test]
fn arbiter_moves_off_a_node_that_data_needs() {
    // Node 0 has the dedicated arbiter device and a data device; node 1 a data device;
    // node 2 only room for an arbiter. Greedy puts the arbiter on node 0 and then lacks
    // a second data node; the fallback moves it to node 2.
    let mut v = view(&uniform(3, 1, &[100]));
    let mut devices = v.devices().to_vec();
    devices[0].free = 200 * GIB;
    devices[2].free = 2 * GIB;
    devices.push(DeviceSlot {
        id: "dev0000-arb".into(),
        node: 0,
        online: true,
        free: 5 * GIB,
        extent: DEFAULT_EXTENT_KIB,
        tags: tags(&[("arbiter", "required")]),
    });
    v = ClusterView::new("c1".into(), v.nodes().to_vec(), devices);
    let mut req = PlacementRequest::new(64, replica(3));
    req.arbiter = true;
    req.limits.max_bricks_per_volume = 3;
    let plan = check(&v, &req).unwrap();
    let nodes: Vec<usize> = plan.sets[0]
        .iter()
        .map(|b| v.devices()[b.device].node)
        .collect();
    assert_eq!(nodes[2], 2);
}

#[test]
fn spreads_by_free_space() {
    let mut v = view(&uniform(4, 1, &[100]));
    let req = PlacementRequest::new(10, replica(3));
    let mut used = BTreeSet::new();
    for _ in 0..4 {
        let plan = check(&v, &req).unwrap();
        for (d, kib) in plan.debits() {
            used.insert(d);
            v.debit(d, kib);
        }
    }
    // 12 bricks over 4 equal devices: 3 each.
    let free: BTreeSet<u64> = v.devices().iter().map(|d| d.free).collect();
    assert_eq!(free.len(), 1);
    assert_eq!(used.len(), 4);
}

#[test]
fn failures_are_explained() {
    let v = view(&uniform(2, 1, &[100]));
    let details = no_space(place(&v, &PlacementRequest::new(10, replica(3))));
    assert_eq!(details.cluster, "c1");
    assert_eq!(details.attempts.first(), Some(&(1, 10 * GIB)));
    assert!(
        details.summary.starts_with(
            "replica 3 needs 3 online devices on distinct nodes with more than 10.05 GiB free; only 2 nodes qualify"
        ),
        "{}",
        details.summary
    );
    let err = place(&v, &PlacementRequest::new(10, replica(3))).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("No space: cluster c1: replica 3 needs"),
        "{err}"
    );
    // Room for one set only.
    let v = view(&uniform(3, 1, &[15]));
    let mut req = PlacementRequest::new(20, replica(3));
    req.limits.max_bricks_per_volume = 6;
    let details = no_space(place(&v, &req));
    assert_eq!(details.attempts, vec![(1, 20 * GIB), (2, 10 * GIB)]);
    assert!(
        details.summary.starts_with(
            "replica 3 needs 3 online devices on distinct nodes with more than 20.10 GiB free; no node qualifies; also tried 1 to 2 sets (bricks down to 10.00 GiB)"
        ),
        "{}",
        details.summary
    );
    assert!(
        details
            .devices
            .iter()
            .all(|r| matches!(r.reason, Rejection::TooSmall { .. }))
    );
    // Enough nodes, not enough room for every set.
    let v = view(&uniform(3, 1, &[25]));
    let mut req = PlacementRequest::new(40, replica(3));
    req.limits.brick_max_kib = 20 * GIB;
    req.limits.max_bricks_per_volume = 6;
    let details = no_space(place(&v, &req));
    assert_eq!(
        details.summary,
        "replica 3 needs 2 sets of 3 bricks with more than 20.10 GiB free each on distinct nodes; only 1 fit on the 3 qualifying nodes"
    );
}

#[test]
fn offline_and_degenerate_inputs() {
    let mut v = view(&uniform(3, 1, &[100]));
    let req = PlacementRequest::new(10, replica(3));
    v.set_node_online(1, false);
    no_space(place(&v, &req));
    v.set_node_online(1, true);
    v.set_device_online(2, false);
    let details = no_space(place(&v, &req));
    assert!(
        details
            .devices
            .iter()
            .any(|r| r.device == "dev0002-00" && r.reason == Rejection::NotOnline)
    );
    v.set_device_online(2, true);
    check(&v, &req).unwrap();
    for n in 0..3 {
        v.set_node_online(n, false);
    }
    assert_eq!(place(&v, &req), Err(PlacementError::NoStorage));
    let empty = ClusterView::new("c".into(), vec![], vec![]);
    assert_eq!(place(&empty, &req), Err(PlacementError::EmptyCluster));
    let v = view(&uniform(3, 1, &[100]));
    for bad in [
        replica(0),
        Durability::Disperse {
            data: 0,
            redundancy: 1,
        },
    ] {
        assert!(matches!(
            place(&v, &PlacementRequest::new(10, bad)),
            Err(PlacementError::Invalid(_))
        ));
    }
    assert!(matches!(
        place(&v, &PlacementRequest::new(0, replica(2))),
        Err(PlacementError::Invalid(_))
    ));
    assert!(matches!(
        place(&v, &PlacementRequest::new(u64::MAX, replica(2))),
        Err(PlacementError::Invalid(_))
    ));
    let mut req = PlacementRequest::new(10, replica(2));
    req.arbiter = true;
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
    let mut req = PlacementRequest::new(10, replica(3));
    req.snapshot_factor = f64::NAN;
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
    // Absurd counts from outside do not allocate or panic.
    let mut req = PlacementRequest::new(10, replica(u32::MAX));
    req.limits.max_bricks_per_volume = usize::MAX;
    no_space(place(&v, &req));
    // Expansion of a volume at the brick limit.
    let mut req = PlacementRequest::new(10, replica(3));
    req.existing_bricks = 30;
    assert_eq!(place(&v, &req), Err(PlacementError::MaxBricks));
    // A disperse volume whose bricks would be below the minimum at once.
    let req = PlacementRequest::new(
        1,
        Durability::Disperse {
            data: 4,
            redundancy: 2,
        },
    );
    assert_eq!(place(&v, &req), Err(PlacementError::MinimumBrickSize));
}

#[test]
fn device_index_and_arbiter_tags() {
    let v = view(&uniform(3, 1, &[1, 2]));
    assert_eq!(v.device_index("dev0001-01"), Some(3));
    assert_eq!(v.device_index("nope"), None);
    let node = tags(&[("arbiter", "required")]);
    assert_eq!(
        ArbiterTag::from_tags(&node, &Tags::new()),
        ArbiterTag::Required
    );
    assert_eq!(
        ArbiterTag::from_tags(&node, &tags(&[("arbiter", "disabled")])),
        ArbiterTag::Disabled
    );
    assert_eq!(
        ArbiterTag::from_tags(&node, &tags(&[("arbiter", "bogus")])),
        ArbiterTag::Supported
    );
    assert_eq!(
        ArbiterTag::from_tags(&Tags::new(), &Tags::new()),
        ArbiterTag::Supported
    );
}

/// The index must always equal a naive scan of usable devices.
fn naive_index(v: &ClusterView, class: ArbiterTag) -> BTreeSet<(Reverse<u64>, u32)> {
    (0..v.devices().len())
        .filter(|&d| v.usable(d) && v.class(d) == class)
        .map(|d| (Reverse(v.devices()[d].free), v.rank(d)))
        .collect()
}

#[derive(Clone, Debug)]
enum Op {
    Debit(usize, u64),
    Credit(usize, u64),
    SetFree(usize, u64),
    DeviceOnline(usize, bool),
    NodeOnline(usize, bool),
    DeviceArbiter(usize, u8),
    NodeArbiter(usize, u8),
}

fn arbiter_tags(v: u8) -> Tags {
    match v % 4 {
        0 => Tags::new(),
        1 => tags(&[("arbiter", "required")]),
        2 => tags(&[("arbiter", "disabled")]),
        _ => tags(&[("arbiter", "supported")]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn index_follows_updates(
        frees in prop::collection::vec(0u64..50, 1..12),
        ops in prop::collection::vec(
            prop_oneof![
                (0usize..12, 0u64..60).prop_map(|(d, k)| Op::Debit(d, k)),
                (0usize..12, 0u64..60).prop_map(|(d, k)| Op::Credit(d, k)),
                (0usize..12, 0u64..60).prop_map(|(d, k)| Op::SetFree(d, k)),
                (0usize..12, any::<bool>()).prop_map(|(d, o)| Op::DeviceOnline(d, o)),
                (0usize..4, any::<bool>()).prop_map(|(n, o)| Op::NodeOnline(n, o)),
                (0usize..12, any::<u8>()).prop_map(|(d, t)| Op::DeviceArbiter(d, t)),
                (0usize..4, any::<u8>()).prop_map(|(n, t)| Op::NodeArbiter(n, t)),
            ],
            0..40,
        ),
    ) {
        let nodes: Vec<NodeSlot> = (0..4)
            .map(|n| NodeSlot { id: format!("n{n}"), zone: 1, online: true, tags: Tags::new() })
            .collect();
        let devices: Vec<DeviceSlot> = frees
            .iter()
            .enumerate()
            .map(|(d, &free)| DeviceSlot {
                id: format!("d{}", 100 - d),
                node: d % 4,
                online: true,
                free,
                extent: 0,
                tags: Tags::new(),
            })
            .collect();
        let count = devices.len();
        let mut v = ClusterView::new("c".into(), nodes, devices);
        for op in ops {
            match op {
                Op::Debit(d, k) => {
                    let d = d % count;
                    let k = k.min(v.devices()[d].free);
                    v.debit(d, k);
                }
                Op::Credit(d, k) => v.credit(d % count, k),
                Op::SetFree(d, k) => v.set_free(d % count, k),
                Op::DeviceOnline(d, o) => v.set_device_online(d % count, o),
                Op::NodeOnline(n, o) => v.set_node_online(n, o),
                Op::DeviceArbiter(d, t) => v.set_device_tags(d % count, arbiter_tags(t)),
                Op::NodeArbiter(n, t) => v.set_node_tags(n, arbiter_tags(t)),
            }
            for class in [ArbiterTag::Required, ArbiterTag::Supported, ArbiterTag::Disabled] {
                prop_assert_eq!(v.index(class), &naive_index(&v, class));
            }
            for d in 0..count {
                let dev = &v.devices()[d];
                prop_assert_eq!(v.class(d), ArbiterTag::from_tags(&v.nodes()[dev.node].tags, &dev.tags));
            }
        }
    }
}

#[test]
fn disperse_and_distribute() {
    let v = view(&uniform(6, 1, &[100]));
    let plan = check(
        &v,
        &PlacementRequest::new(
            100,
            Durability::Disperse {
                data: 4,
                redundancy: 2,
            },
        ),
    )
    .unwrap();
    assert_eq!(set_sizes(&plan), (1, 25 * GIB));
    // 150 GiB distribute on 100 GiB devices: 2 sets of 75 GiB.
    let plan = check(&v, &PlacementRequest::new(150, Durability::Distribute)).unwrap();
    assert_eq!(set_sizes(&plan), (2, 75 * GIB));
    assert_eq!(plan.brick_count(), 2);
}

#[test]
fn rare_matches_in_a_large_cluster() {
    // 300 nodes in 3 zones; only the last node of each zone carries the tag.
    let v = view(&uniform(300, 3, &[100, 100]));
    let mut nodes = v.nodes().to_vec();
    for n in [297, 298, 299] {
        nodes[n].tags = tags(&[("rack", "r9")]);
    }
    let v = ClusterView::new("c1".into(), nodes, v.devices().to_vec());
    let mut req = PlacementRequest::new(10, replica(3));
    req.zone_checking = ZoneChecking::Strict;
    req.tag_rule = Some(TagRule::parse("rack=r9").unwrap());
    let plan = check(&v, &req).unwrap();
    let nodes: BTreeSet<usize> = plan.debits().map(|(d, _)| v.devices()[d].node).collect();
    assert_eq!(nodes, BTreeSet::from([297, 298, 299]));
}
