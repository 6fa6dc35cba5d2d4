//! One placement attempt: `k` brick sets of one brick size, filled greedily slot by
//! slot from the free-space index, with this plan's own debits kept in a small overlay
//! so the view is never copied or mutated.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::iter::Peekable;

use super::ClusterView;
use super::arbiter::ArbiterTag;
use super::request::{PlacementRequest, Plan, PlannedBrick};
use super::space::{space_needed, space_needed_lower_bound};
use super::view::Key;
use super::zone::ZoneChecking;

/// Largest vector capacity reserved up front.
const MAX_PREALLOC: usize = 64;

/// What kind of brick a slot takes, and its virtual size (KiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Role {
    pub arbiter: bool,
    pub size: u64,
}

/// Why a device cannot take the brick of a slot (cheap, copyable form of
/// [`Rejection`](super::Rejection)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Fits,
    NotOnline,
    HookFiltered,
    ArbiterTag(ArbiterTag),
    TagMismatch,
    SameNode,
    SameZone(i64),
    TooSmall { free: u64, needed: u64 },
}

/// The first slot that could not be filled in an explained attempt.
#[derive(Clone, Debug)]
pub(super) struct Failure {
    /// Sets completely placed before the failure.
    pub sets_placed: usize,
    pub role: Role,
    /// The verdict for every device at that moment, in view order.
    pub verdicts: Vec<Verdict>,
}

/// The state of one attempt. Reused across attempts of one `place` call.
pub(super) struct Attempt<'a> {
    view: &'a ClusterView,
    req: &'a PlacementRequest,
    /// KiB this plan takes from each device it uses.
    debited: HashMap<usize, u64>,
    /// Keys of the devices in `debited`, with their effective free space, per class.
    overlay: [BTreeSet<Key>; 3],
    /// Bricks of this plan per node.
    node_bricks: HashMap<usize, u32>,
    explain: bool,
    failure: Option<Failure>,
}

impl<'a> Attempt<'a> {
    pub fn new(view: &'a ClusterView, req: &'a PlacementRequest) -> Self {
        Attempt {
            view,
            req,
            debited: HashMap::new(),
            overlay: Default::default(),
            node_bricks: HashMap::new(),
            explain: false,
            failure: None,
        }
    }

    /// Places `sets` sets of `data` KiB bricks (`arbiter` KiB arbiter bricks for
    /// arbiter volumes). When `explain` is set, a failure records per-device verdicts.
    pub fn run(
        &mut self,
        sets: usize,
        data: u64,
        arbiter: Option<u64>,
        explain: bool,
    ) -> Option<Plan> {
        self.debited.clear();
        self.overlay.iter_mut().for_each(BTreeSet::clear);
        self.node_bricks.clear();
        self.explain = explain;
        // Capacities are capped: counts come from the request and may be absurd.
        let mut plan = Plan {
            sets: Vec::with_capacity(sets.min(MAX_PREALLOC)),
        };
        for placed in 0..sets {
            let set = match arbiter {
                Some(arb) => self.fill_arbiter_set(data, arb, placed),
                None => self.fill_set(data, placed),
            }?;
            for brick in &set {
                self.commit(brick);
            }
            plan.sets.push(set);
        }
        Some(plan)
    }

    /// The device for one brick that replaces another in an existing set whose other
    /// bricks are on devices `members`: the same rules as for a new set (distinct nodes,
    /// strict zones, tag rule, arbiter classes, most free space first), never on a device
    /// for which `exclude` holds.
    pub(super) fn pick_replacement(
        &self,
        arbiter: bool,
        size: u64,
        members: &[usize],
        exclude: &dyn Fn(usize) -> bool,
    ) -> Option<PlannedBrick> {
        let role = Role { arbiter, size };
        let members: Vec<PlannedBrick> = members.iter().map(|&d| member(d)).collect();
        if arbiter {
            self.pick(ArbiterTag::Required, role, &members, exclude)
                .or_else(|| self.pick(ArbiterTag::Supported, role, &members, exclude))
        } else {
            self.pick_data(role, &members, exclude)
        }
    }

    /// Per-device verdicts for a replacement that found no device.
    pub(super) fn replacement_failure(
        &self,
        arbiter: bool,
        size: u64,
        members: &[usize],
    ) -> Failure {
        let role = Role { arbiter, size };
        let members: Vec<PlannedBrick> = members.iter().map(|&d| member(d)).collect();
        Failure {
            sets_placed: 0,
            role,
            verdicts: (0..self.view.devices().len())
                .map(|d| self.verdict(d, role, &members))
                .collect(),
        }
    }

    /// The failure recorded by the last explained attempt.
    pub fn take_failure(&mut self) -> Option<Failure> {
        self.failure.take()
    }

    fn fill_set(&mut self, size: u64, placed: usize) -> Option<Vec<PlannedBrick>> {
        let role = Role {
            arbiter: false,
            size,
        };
        let mut set = Vec::with_capacity(self.req.durability.set_size().min(MAX_PREALLOC));
        for _ in 0..self.req.durability.set_size() {
            match self.pick_data(role, &set, &|_| false) {
                Some(brick) => set.push(brick),
                None => return self.fail(placed, role, &set),
            }
        }
        Some(set)
    }

    /// Arbiter sets are filled backwards as Heketi does: the arbiter (slot 2) first so
    /// it does not lose its node to data bricks, then slots 1 and 0. If the data bricks
    /// then find too few nodes, the arbiter is moved to a node (zone) that cannot take
    /// data bricks, which makes the search complete for one set.
    fn fill_arbiter_set(
        &mut self,
        data: u64,
        arbiter: u64,
        placed: usize,
    ) -> Option<Vec<PlannedBrick>> {
        let arb_role = Role {
            arbiter: true,
            size: arbiter,
        };
        let data_role = Role {
            arbiter: false,
            size: data,
        };
        let Some(arb) = self.pick_arbiter(arb_role, &|_| false) else {
            return self.fail(placed, arb_role, &[]);
        };
        let mut members = vec![arb];
        if self.fill_data_slots(&mut members, data_role).is_none() {
            self.fail::<()>(placed, data_role, &members);
            let takes_data = |d: usize| self.unit_takes(d, data_role);
            let arb = self.pick_arbiter(arb_role, &takes_data)?;
            members = vec![arb];
            self.fill_data_slots(&mut members, data_role)?;
        }
        // Gluster order: data, data, arbiter.
        members.rotate_left(1);
        Some(members)
    }

    fn fill_data_slots(&self, members: &mut Vec<PlannedBrick>, role: Role) -> Option<()> {
        while members.len() < 3 {
            let brick = self.pick_data(role, members, &|_| false)?;
            members.push(brick);
        }
        Some(())
    }

    fn fail<T>(&mut self, placed: usize, role: Role, members: &[PlannedBrick]) -> Option<T> {
        if self.explain && self.failure.is_none() {
            let verdicts = (0..self.view.devices().len())
                .map(|d| self.verdict(d, role, members))
                .collect();
            self.failure = Some(Failure {
                sets_placed: placed,
                role,
                verdicts,
            });
        }
        None
    }

    /// Data slots prefer dedicated data devices (`arbiter: disabled`), then shared ones.
    fn pick_data(
        &self,
        role: Role,
        members: &[PlannedBrick],
        exclude: &dyn Fn(usize) -> bool,
    ) -> Option<PlannedBrick> {
        self.pick(ArbiterTag::Disabled, role, members, exclude)
            .or_else(|| self.pick(ArbiterTag::Supported, role, members, exclude))
    }

    /// The arbiter slot prefers dedicated arbiter devices (`arbiter: required`).
    fn pick_arbiter(&self, role: Role, exclude: &dyn Fn(usize) -> bool) -> Option<PlannedBrick> {
        self.pick(ArbiterTag::Required, role, &[], exclude)
            .or_else(|| self.pick(ArbiterTag::Supported, role, &[], exclude))
    }

    /// The best device of one class for a slot: most effective free space, then fewest
    /// bricks of this plan on its node, then device id. Walks the index from the top and
    /// stops at the first device too small for any extent size.
    fn pick(
        &self,
        class: ArbiterTag,
        role: Role,
        members: &[PlannedBrick],
        exclude: &dyn Fn(usize) -> bool,
    ) -> Option<PlannedBrick> {
        if let Some(scores) = &self.req.scores {
            return self.pick_scored(scores, class, role, members, exclude);
        }
        let lower_bound = space_needed_lower_bound(role.size, self.req.snapshot_factor);
        // (free, node bricks, brick)
        let mut best: Option<(u64, u32, PlannedBrick)> = None;
        for (free, d) in self.candidates(class) {
            if free <= lower_bound || best.as_ref().is_some_and(|b| free < b.0) {
                break;
            }
            let Some((count, brick)) = self.fit(d, free, role, members, exclude) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| count < b.1) {
                best = Some((free, count, brick));
                if count == 0 {
                    break;
                }
            }
        }
        best.map(|(_, _, brick)| brick)
    }

    /// [`pick`](Self::pick) with hook scores: the fitting device with the highest score,
    /// then the free-space order (most free, fewest bricks of this plan on its node,
    /// device id). Scores do not follow the index order, so this walks every device of
    /// the class that is large enough.
    fn pick_scored(
        &self,
        scores: &[f64],
        class: ArbiterTag,
        role: Role,
        members: &[PlannedBrick],
        exclude: &dyn Fn(usize) -> bool,
    ) -> Option<PlannedBrick> {
        let lower_bound = space_needed_lower_bound(role.size, self.req.snapshot_factor);
        // (score, free, node bricks, brick)
        let mut best: Option<(f64, u64, u32, PlannedBrick)> = None;
        for (free, d) in self.candidates(class) {
            if free <= lower_bound {
                break;
            }
            let score = scores.get(d).copied().unwrap_or(0.0);
            if best.as_ref().is_some_and(|b| score < b.0) {
                continue;
            }
            let Some((count, brick)) = self.fit(d, free, role, members, exclude) else {
                continue;
            };
            // Devices come most free first, so at equal score a later one only wins
            // with the same free space and fewer bricks of this plan on its node.
            let better = best
                .as_ref()
                .is_none_or(|b| score > b.0 || (score == b.0 && free == b.1 && count < b.2));
            if better {
                best = Some((score, free, count, brick));
            }
        }
        best.map(|(_, _, _, brick)| brick)
    }

    /// The devices of one class with their effective free space, most free first: the
    /// index without the devices this plan debited, merged with the overlay of those.
    fn candidates(&self, class: ArbiterTag) -> impl Iterator<Item = (u64, usize)> + '_ {
        let base = self
            .view
            .index(class)
            .iter()
            .filter(|(_, rank)| !self.debited.contains_key(&self.view.device_at_rank(*rank)));
        let overlay = self.overlay[class.slot()].iter();
        Merge::new(base, overlay)
            .map(|&(Reverse(free), rank)| (free, self.view.device_at_rank(rank)))
    }

    /// Whether device `d` with `free` KiB can take a brick of `role` next to `members`:
    /// the brick, and how many bricks of this plan its node holds already.
    fn fit(
        &self,
        d: usize,
        free: u64,
        role: Role,
        members: &[PlannedBrick],
        exclude: &dyn Fn(usize) -> bool,
    ) -> Option<(u32, PlannedBrick)> {
        let usable =
            !exclude(d) && self.allowed(d) && self.conflict(d, members).is_none() && self.tag_ok(d);
        if !usable {
            return None;
        }
        let extent = self.view.devices()[d].extent;
        let (tp, meta) = space_needed(role.size, self.req.snapshot_factor, extent);
        if free <= tp.saturating_add(meta) {
            return None;
        }
        let node = self.view.devices()[d].node;
        let count = self.node_bricks.get(&node).copied().unwrap_or(0);
        let brick = PlannedBrick {
            device: d,
            size: role.size,
            tp_size: tp,
            metadata_size: meta,
            arbiter: role.arbiter,
        };
        Some((count, brick))
    }

    /// Whether the per-request filter allows device `d`.
    fn allowed(&self, d: usize) -> bool {
        self.req
            .allowed
            .as_ref()
            .is_none_or(|a| a.get(d).copied().unwrap_or(false))
    }

    /// Whether the node (strict: the zone) of device `d` has a device that could take a
    /// brick of `role` now (ignoring set members).
    fn unit_takes(&self, d: usize, role: Role) -> bool {
        let node = self.view.devices()[d].node;
        let takes = |n: usize| {
            self.view
                .node_devices(n)
                .iter()
                .any(|&x| self.verdict(x, role, &[]) == Verdict::Fits)
        };
        match self.req.zone_checking {
            ZoneChecking::None => takes(node),
            ZoneChecking::Strict => self
                .view
                .zone_nodes(self.view.nodes()[node].zone)
                .iter()
                .any(|&n| takes(n)),
        }
    }

    fn commit(&mut self, brick: &PlannedBrick) {
        let view = self.view;
        let d = brick.device;
        let class = view.class(d).slot();
        let rank = view.rank(d);
        let before = self.debited.get(&d).copied();
        if let Some(taken) = before {
            self.overlay[class].remove(&(Reverse(self.free_minus(d, taken)), rank));
        }
        let taken = before.unwrap_or(0).saturating_add(brick.total());
        self.debited.insert(d, taken);
        self.overlay[class].insert((Reverse(self.free_minus(d, taken)), rank));
        *self.node_bricks.entry(view.devices()[d].node).or_insert(0) += 1;
    }

    fn free_minus(&self, d: usize, taken: u64) -> u64 {
        self.view.devices()[d].free.saturating_sub(taken)
    }

    /// Free space of a device minus what this plan already takes from it.
    pub fn effective_free(&self, d: usize) -> u64 {
        self.free_minus(d, self.debited.get(&d).copied().unwrap_or(0))
    }

    fn tag_ok(&self, d: usize) -> bool {
        let Some(rule) = &self.req.tag_rule else {
            return true;
        };
        let dev = &self.view.devices()[d];
        self.view
            .nodes()
            .get(dev.node)
            .is_some_and(|node| rule.matches(&node.tags, &dev.tags))
    }

    /// Same node as a set member, or same zone under strict zone checking.
    fn conflict(&self, d: usize, members: &[PlannedBrick]) -> Option<Verdict> {
        let nodes = self.view.nodes();
        let node = self.view.devices()[d].node;
        let strict = self.req.zone_checking == ZoneChecking::Strict;
        for m in members {
            let other = self.view.devices()[m.device].node;
            if other == node {
                return Some(Verdict::SameNode);
            }
            if strict && nodes[other].zone == nodes[node].zone {
                return Some(Verdict::SameZone(nodes[node].zone));
            }
        }
        None
    }

    /// The full check of device `d` for a slot of `role` in a set holding `members`.
    pub(super) fn verdict(&self, d: usize, role: Role, members: &[PlannedBrick]) -> Verdict {
        if !self.view.usable(d) {
            return Verdict::NotOnline;
        }
        if !self.allowed(d) {
            return Verdict::HookFiltered;
        }
        let class = self.view.class(d);
        if !class.allows(role.arbiter) {
            return Verdict::ArbiterTag(class);
        }
        if !self.tag_ok(d) {
            return Verdict::TagMismatch;
        }
        if let Some(conflict) = self.conflict(d, members) {
            return conflict;
        }
        let (tp, meta) = space_needed(
            role.size,
            self.req.snapshot_factor,
            self.view.devices()[d].extent,
        );
        let needed = tp.saturating_add(meta);
        let free = self.effective_free(d);
        if free <= needed {
            return Verdict::TooSmall { free, needed };
        }
        Verdict::Fits
    }
}

/// A brick already in a set, as far as conflicts go: only its device matters.
fn member(device: usize) -> PlannedBrick {
    PlannedBrick {
        device,
        size: 0,
        tp_size: 0,
        metadata_size: 0,
        arbiter: false,
    }
}

/// Merges two ascending key streams.
struct Merge<'k, A: Iterator<Item = &'k Key>, B: Iterator<Item = &'k Key>> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<'k, A: Iterator<Item = &'k Key>, B: Iterator<Item = &'k Key>> Merge<'k, A, B> {
    fn new(a: A, b: B) -> Self {
        Merge {
            a: a.peekable(),
            b: b.peekable(),
        }
    }
}

impl<'k, A: Iterator<Item = &'k Key>, B: Iterator<Item = &'k Key>> Iterator for Merge<'k, A, B> {
    type Item = &'k Key;

    fn next(&mut self) -> Option<&'k Key> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if y < x => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}
