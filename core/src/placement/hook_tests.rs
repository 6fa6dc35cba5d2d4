//! Per-request hook input: `allowed` (placement.filter) and `scores` (placement.score).

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::tests::{N, check, no_space, replica, uniform, view};
use super::*;

fn devices_of(plan: &Plan) -> BTreeSet<usize> {
    plan.debits().map(|(d, _)| d).collect()
}

#[test]
fn filter_skips_disallowed_devices() {
    // 5 nodes with one device each; node 0 has the most free space.
    let v = view(&[
        N {
            zone: 1,
            devices: &[500],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[100],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[100],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[100],
            tags: &[],
        },
        N {
            zone: 1,
            devices: &[100],
            tags: &[],
        },
    ]);
    let mut req = PlacementRequest::new(10, replica(3));
    assert!(devices_of(&check(&v, &req).unwrap()).contains(&0));
    req.allowed = Some(vec![false, true, true, true, true]);
    let plan = check(&v, &req).unwrap();
    assert!(!devices_of(&plan).contains(&0), "{plan:?}");
    // Only two devices left: replica 3 cannot fit, and the explanation says why.
    req.allowed = Some(vec![false, true, true, false, false]);
    let details = no_space(place(&v, &req));
    let filtered = details
        .devices
        .iter()
        .filter(|r| r.reason == Rejection::FilteredByHook)
        .count();
    assert_eq!(filtered, 3, "{details:?}");
    assert!(
        details.summary.contains("only 2 nodes qualify"),
        "{}",
        details.summary
    );
    assert_eq!(
        Rejection::FilteredByHook.to_string(),
        "excluded by a placement.filter hook"
    );
}

#[test]
fn scores_prefer_the_highest_and_keep_constraints() {
    // 4 nodes × 2 devices: 200 GiB and 50 GiB.
    let v = view(&uniform(4, 1, &[200, 50]));
    let mut req = PlacementRequest::new(10, replica(3));
    // Without scores the big devices win.
    let plain = check(&v, &req).unwrap();
    assert!(devices_of(&plain).iter().all(|d| d % 2 == 0), "{plain:?}");
    // Score the small devices up: they win, still one brick per node.
    req.scores = Some(
        (0..8)
            .map(|d| if d % 2 == 1 { 10.0 } else { 0.0 })
            .collect(),
    );
    let scored = check(&v, &req).unwrap();
    assert!(devices_of(&scored).iter().all(|d| d % 2 == 1), "{scored:?}");
    // The best-scored device is too small for a 60 GiB brick: it is passed over.
    req.size_gib = 60;
    req.scores = Some((0..8).map(|d| if d == 1 { 100.0 } else { 0.0 }).collect());
    let plan = check(&v, &req).unwrap();
    assert!(!devices_of(&plan).contains(&1), "{plan:?}");
    // Distinct scores order the nodes: the three best nodes take the set.
    req.size_gib = 10;
    req.scores = Some(vec![1.0, 0.0, 4.0, 0.0, 3.0, 0.0, 2.0, 0.0]);
    let plan = check(&v, &req).unwrap();
    assert_eq!(devices_of(&plan), BTreeSet::from([2, 4, 6]));
    // A filter and scores together: the filter wins.
    req.allowed = Some(vec![true, true, false, true, true, true, true, true]);
    let plan = check(&v, &req).unwrap();
    assert_eq!(devices_of(&plan), BTreeSet::from([0, 4, 6]));
}

#[test]
fn hook_input_is_validated() {
    let v = view(&uniform(3, 1, &[100]));
    let mut req = PlacementRequest::new(10, replica(3));
    req.allowed = Some(vec![true; 2]);
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
    req.allowed = None;
    req.scores = Some(vec![0.0; 4]);
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
    req.scores = Some(vec![0.0, f64::NAN, 1.0]);
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
    req.scores = Some(vec![0.0, f64::INFINITY, 1.0]);
    assert!(matches!(place(&v, &req), Err(PlacementError::Invalid(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Equal scores and an all-true filter change nothing; a random filter is always
    /// obeyed; random scores never break a constraint.
    #[test]
    fn hook_input_keeps_every_constraint(
        frees in prop::collection::vec(1u64..300, 3..24),
        zones in 1i64..4,
        size in 1u64..200,
        rep in 1u32..4,
        allowed in prop::collection::vec(any::<bool>(), 24),
        scores in prop::collection::vec(-5i8..5, 24),
    ) {
        let nodes: Vec<N<'_>> = frees
            .chunks(2)
            .enumerate()
            .map(|(n, devices)| N { zone: n as i64 % zones + 1, devices, tags: &[] })
            .collect();
        let v = view(&nodes);
        let count = v.devices().len();
        let mut req = PlacementRequest::new(size, replica(rep));
        let plain = place(&v, &req);
        req.allowed = Some(vec![true; count]);
        req.scores = Some(vec![0.5; count]);
        prop_assert_eq!(&place(&v, &req), &plain);
        req.allowed = Some(allowed[..count].to_vec());
        req.scores = Some(scores[..count].iter().map(|&s| f64::from(s)).collect());
        if let Ok(plan) = check(&v, &req) {
            for d in devices_of(&plan) {
                prop_assert!(allowed[d], "device {} is filtered out", d);
            }
        }
    }
}
