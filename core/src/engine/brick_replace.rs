//! Replacing one brick of a volume by a new one on another device: the step brick
//! eviction, device removal and node removal are made of (Heketi's `BrickEvictOperation`).
//!
//! - **Build** (under the lock, one transaction): the old brick's set is found in the
//!   volume's brick list (gluster order), a device is chosen for the new brick by the
//!   placement rules that made the set (`placement::place_replacement`), the new brick is
//!   reserved and an `evict-brick` pending operation records `Delete brick <old>` and
//!   `Add brick <new>` (and its parent, for a device removal).
//! - **Exec**: heal check (unless disabled), create the new brick, `gluster volume
//!   replace-brick … commit force`, wait until gluster reports the new brick connected,
//!   launch a full heal into it (`gluster volume heal … full`), destroy the old brick (LV, fstab line,
//!   mount).
//! - **Finalize** (one transaction): the new brick takes the old one's place in the
//!   volume's list, the old brick is forgotten and its space credited.
//!
//! Before `replace-brick` succeeded a failure is rolled back (the new brick destroyed and
//! forgotten); after it, the replacement is finished. After a crash the cleaner asks
//! gluster which brick the volume has and does the same (`clean_replacement`).

use std::time::Duration;

use crate::api::EntryState;
use crate::error::{Error, Result};
use crate::executor::{BrickLocation, BrickRequest, ExecErrorKind, Host};
use crate::id::new_id;
use crate::model::{BrickSubType, ChangeKind, OperationKind, PendingAction, PendingOperationEntry};
use crate::placement::{self, Durability, Plan, ReplacementRequest};
use crate::state::{State, Txn};

use super::cleanup::CleanupOutcome;
use super::commit::Ticket;
use super::hosts::{brick_request, gluster_hosts, host_of};
use super::new_bricks::reserve_bricks;
use super::rollback::{destroy_bricks, forget_bricks, mark_failed, volume_info_from_any};
use super::volume_plan::resolve;
use super::volume_spec::{durability_of, placement_request, placement_settings};
use super::{Engine, now_unix};

/// Whether to check the volume's heal state before replacing a brick (Heketi's
/// `healcheck`: `""`/`enable` or `disable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HealCheck {
    /// Refuse when the old brick is a heal source or its set would lose quorum.
    #[default]
    Enable,
    /// Replace without asking gluster (`--expert-option-disable-heal-check`).
    Disable,
}

impl HealCheck {
    /// Heketi's values: `""` or `enable`, and `disable`.
    pub fn parse(value: &str) -> Result<HealCheck> {
        match value {
            "" | "enable" => Ok(HealCheck::Enable),
            "disable" => Ok(HealCheck::Disable),
            other => Err(Error::invalid(format!(
                "healcheck: {other} is not valid heal info check."
            ))),
        }
    }
}

/// How long the replacement waits for gluster to report the new brick connected.
const HEAL_START_POLLS: u32 = 10;
const HEAL_START_INTERVAL: Duration = Duration::from_secs(2);
/// How often the replacement asks gluster to launch the heal: it refuses while the
/// self-heal daemons, restarted by replace-brick, are not all back.
const HEAL_LAUNCH_TRIES: u32 = 10;
const HEAL_LAUNCH_INTERVAL: Duration = Duration::from_secs(3);

/// One brick replacement whose Build step is recorded.
#[derive(Clone, Debug)]
pub(crate) struct Replacement {
    pub op_id: String,
    pub old: String,
    pub new: String,
    pub volume: String,
    pub parent: Option<String>,
    pub healcheck: HealCheck,
}

/// Where a brick sits in its volume: its set's other bricks and what it takes.
struct SetPosition {
    /// Other bricks of the set, in gluster order.
    peers: Vec<String>,
    durability: Durability,
}

/// Heketi's `QuorumBrickCount`: how many other bricks of the set must be up.
fn quorum(d: Durability) -> usize {
    match d {
        Durability::Replicate { replica } if replica < 3 => 1,
        Durability::Replicate { replica } => replica as usize / 2 + 1,
        Durability::Disperse { data, .. } => data as usize,
        Durability::Distribute => 1,
    }
}

/// Finds the set of brick `brick_id` and checks it can be replaced (Heketi's texts).
fn set_position(st: &State, brick_id: &str) -> Result<SetPosition> {
    let brick = st.bricks.get(brick_id).ok_or_else(Error::id_not_found)?;
    if brick.pending.is_pending() {
        return Err(Error::conflict(format!(
            "Can not evict brick {brick_id}: brick is pending"
        )));
    }
    let vid = &brick.info.volume;
    let vol = st.volumes.get(vid).ok_or_else(Error::id_not_found)?;
    if vol.pending.is_pending()
        || vol
            .bricks
            .iter()
            .any(|b| st.bricks.get(b).is_some_and(|b| b.pending.is_pending()))
    {
        return Err(Error::conflict(format!(
            "Can not evict brick {brick_id} from volume {vid}: volume has pending bricks"
        )));
    }
    // A clone's bricks are recorded on its source's bricks' devices and made by gluster
    // wherever those bricks are when it snapshots the source: they must stay put.
    if super::volume_clone::is_clone_source(st.pending.values(), vid) {
        return Err(Error::conflict(format!(
            "Can not evict brick {brick_id} from volume {vid}: volume is being cloned"
        )));
    }
    let durability = durability_of(&vol.info.request.durability);
    let set = durability.set_size();
    if set <= 1 {
        return Err(Error::invalid(format!(
            "replace brick is not supported for volume durability type {}",
            if vol.info.request.durability.kind.is_empty() {
                "none"
            } else {
                vol.info.request.durability.kind.as_str()
            }
        )));
    }
    let pos = vol
        .bricks
        .iter()
        .position(|b| b == brick_id)
        .ok_or_else(|| {
            Error::conflict(format!(
                "brick {brick_id} is not listed by its volume {vid}; run a consistency check"
            ))
        })?;
    let start = pos / set * set;
    let end = (start + set).min(vol.bricks.len());
    let peers = vol.bricks[start..end]
        .iter()
        .filter(|b| *b != brick_id)
        .cloned()
        .collect();
    Ok(SetPosition { peers, durability })
}

/// Places the replacement of `brick_id` in `view` (nothing reserved).
fn place(
    st: &State,
    view: &placement::ClusterView,
    brick_id: &str,
    peers_on: &dyn Fn(&str) -> Option<String>,
    prefer: &[String],
    opts: &super::EngineOptions,
) -> Result<placement::PlannedBrick> {
    let brick = st.bricks.get(brick_id).ok_or_else(Error::id_not_found)?;
    let vol = st
        .volumes
        .get(&brick.info.volume)
        .ok_or_else(Error::id_not_found)?;
    let pos = set_position(st, brick_id)?;
    let settings = placement_settings(&vol.gluster_volume_options, opts)?;
    let mut volume = placement_request(
        pos.durability,
        vol.info.request.snapshot,
        &settings,
        1,
        vol.bricks.len(),
        opts,
    );
    if opts.hooks.is_some() {
        // Site policy (`placement.filter` / `placement.score`) chooses among the devices
        // for a replacement as it does for a create or an expand.
        let ctx = serde_json::json!({
            "operation": "replace",
            "cluster": vol.info.cluster,
            "size": vol.info.request.size,
            "name": vol.info.request.name,
            "brick": brick_id,
            "device": brick.info.device,
            "node": brick.info.node,
        });
        super::placement_hooks::apply(opts.hooks.as_deref(), st, view, &ctx, &mut volume)?;
    }
    if !prefer.is_empty() {
        // Preferred devices (a replacement device or node) come first whatever the hooks
        // scored; every rule and every hook filter still applies, and other devices take
        // what they cannot.
        const PREFERRED: f64 = 1e15;
        let base = volume.scores.take();
        volume.scores = Some(
            view.devices()
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let score = base.as_ref().map_or(0.0, |s| s[i]);
                    if prefer.contains(&d.id) {
                        score + PREFERRED
                    } else {
                        score
                    }
                })
                .collect(),
        );
    }
    let members = pos
        .peers
        .iter()
        .filter_map(|p| peers_on(p))
        .filter_map(|d| view.device_index(&d))
        .collect();
    let req = ReplacementRequest {
        volume,
        size: brick.info.size,
        arbiter: brick.sub_type == BrickSubType::Arbiter,
        members,
        exclude: view.device_index(&brick.info.device),
    };
    placement::place_replacement(view, &req).map_err(|e| {
        Error::from(e).context(format!(
            "No Replacement was found for resource requested to be removed: brick {brick_id} of volume {}",
            vol.info.request.name
        ))
    })
}

/// Checks that every brick of `bricks` can be moved, in order, each taking the space
/// chosen for the ones before: a device or node removal that cannot finish does not start.
pub(crate) fn dry_run(
    st: &State,
    views: &std::collections::BTreeMap<String, placement::ClusterView>,
    bricks: &[String],
    prefer: &[String],
    opts: &super::EngineOptions,
) -> std::result::Result<(), (String, Error)> {
    let mut scratch: std::collections::BTreeMap<String, placement::ClusterView> =
        std::collections::BTreeMap::new();
    // Where bricks moved so far went (old brick id → new device id).
    let mut moved: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for b in bricks {
        let mut step = || -> Result<()> {
            let brick = st.bricks.get(b).ok_or_else(Error::id_not_found)?;
            let cluster = st
                .nodes
                .get(&brick.info.node)
                .map(|n| n.info.cluster.clone())
                .ok_or_else(Error::id_not_found)?;
            if !scratch.contains_key(&cluster) {
                let v = views.get(&cluster).ok_or_else(Error::id_not_found)?.clone();
                scratch.insert(cluster.clone(), v);
            }
            let Some(view) = scratch.get_mut(&cluster) else {
                return Ok(());
            };
            let peers_on = |p: &str| {
                moved
                    .get(p)
                    .cloned()
                    .or_else(|| st.bricks.get(p).map(|x| x.info.device.clone()))
            };
            let planned = place(st, view, b, &peers_on, prefer, opts)?;
            let dev = view.devices()[planned.device].id.clone();
            view.debit(planned.device, planned.total());
            moved.insert(b.clone(), dev);
            Ok(())
        };
        step().map_err(|e| (b.clone(), e))?;
    }
    Ok(())
}

impl Engine {
    /// Build: places and reserves the replacement of `brick_id` and records the pending
    /// operation (linked to `parent`, a device removal, when given).
    pub(crate) fn stage_replacement(
        &self,
        brick_id: &str,
        parent: Option<&str>,
        healcheck: HealCheck,
        prefer: &[String],
    ) -> Result<(Replacement, Option<Ticket>)> {
        let opts = &self.shared.options;
        let inner = self.lock();
        let st = &inner.state;
        let brick = st.bricks.get(brick_id).ok_or_else(Error::id_not_found)?;
        let volume_id = brick.info.volume.clone();
        let cluster = st
            .volumes
            .get(&volume_id)
            .map(|v| v.info.cluster.clone())
            .ok_or_else(Error::id_not_found)?;
        let view = inner.views.get(&cluster).ok_or_else(Error::id_not_found)?;
        let peers_on = |p: &str| st.bricks.get(p).map(|x| x.info.device.clone());
        let planned = place(st, view, brick_id, &peers_on, prefer, opts)?;
        let sets = resolve(
            view,
            &Plan {
                sets: vec![vec![planned]],
            },
            st,
        );
        let op_id = new_id();
        let old = brick_id.to_string();
        let parent = parent.map(str::to_string);
        let (new, ticket) = self.stage(inner, |txn| {
            let mut actions = vec![PendingAction {
                change: ChangeKind::DeleteBrick as i32,
                id: old.clone(),
                delta: 0,
            }];
            let ids = reserve_bricks(txn, &sets, &volume_id, &op_id, &mut actions)?;
            let new = ids
                .into_iter()
                .next()
                .ok_or_else(|| Error::conflict("placement chose no device; retry"))?;
            if let Some(b) = txn.bricks.get_mut(&old) {
                b.pending.id = op_id.clone();
            }
            if let Some(p) = &parent {
                actions.push(PendingAction {
                    change: ChangeKind::ParentOperation as i32,
                    id: p.clone(),
                    delta: 0,
                });
                let parent_op = txn
                    .pending
                    .get_mut(p)
                    .ok_or_else(|| Error::conflict(format!("operation {p} disappeared")))?;
                parent_op.actions.push(PendingAction {
                    change: ChangeKind::ChildOperation as i32,
                    id: op_id.clone(),
                    delta: 0,
                });
            }
            txn.pending.put(
                &op_id,
                PendingOperationEntry {
                    id: op_id.clone(),
                    timestamp: now_unix(),
                    kind: OperationKind::EvictBrick as i32,
                    actions,
                    status: String::new(),
                    leftovers: Vec::new(),
                    target: None,
                },
            );
            Ok(new)
        })?;
        Ok((
            Replacement {
                op_id,
                old,
                new,
                volume: volume_id,
                parent,
                healcheck,
            },
            ticket,
        ))
    }

    /// Exec and Finalize of a recorded replacement (the caller waited for its Build to
    /// be durable).
    pub(crate) async fn exec_replacement(&self, r: &Replacement) -> Result<()> {
        let ex = self.shared.executor.clone();
        let job = {
            let inner = self.lock();
            ReplaceJob::from_state(&inner.state, r)
        };
        let job = match job {
            Ok(j) => j,
            Err(e) => return Err(self.roll_back_replacement(r, e, Vec::new())),
        };
        let work = match self.working_host(&job).await {
            Ok(h) => h,
            Err(e) => return Err(self.roll_back_replacement(r, e, Vec::new())),
        };
        if r.healcheck == HealCheck::Enable
            && let Err(e) = self.check_heal(&work, &job, r).await
        {
            return Err(self.roll_back_replacement(r, e, Vec::new()));
        }
        let new_job = [(job.new_host.clone(), job.new_req.clone())];
        if let Err(e) = ex.brick_create(&job.new_host, &job.new_req).await {
            let leftovers = destroy_bricks(&ex, &new_job).await;
            return Err(self.roll_back_replacement(r, e.into(), leftovers));
        }
        if let Err(e) = ex
            .volume_replace_brick(&work, &job.volume_name, &job.old_loc, &job.new_loc)
            .await
        {
            // A timeout may hide a replacement gluster did: ask before undoing.
            let done = matches!(
                ex.volume_info(&work, &job.volume_name).await,
                Ok(Some(v)) if v.bricks.contains(&job.new_loc.gluster_name())
            );
            if !done {
                let leftovers = destroy_bricks(&ex, &new_job).await;
                return Err(self.roll_back_replacement(r, e.into(), leftovers));
            }
        }
        if r.healcheck == HealCheck::Enable {
            self.wait_heal_start(&work, &job).await;
            self.launch_heal(&work, &job).await;
        }
        self.destroy_old_brick(&job).await;
        self.write_async(|txn| {
            finish_replacement(txn, r);
            Ok(())
        })
        .await
    }

    /// The old brick's node when its glusterd answers, else the first node of the
    /// cluster whose glusterd does (Heketi's `getWorkingNode`).
    async fn working_host(&self, job: &ReplaceJob) -> Result<Host> {
        let ex = &self.shared.executor;
        let mut last = None;
        for h in std::iter::once(&job.old_host).chain(&job.hosts) {
            match ex.glusterd_check(h).await {
                Ok(()) => return Ok(h.clone()),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => Error::from(e).context("no node of the cluster has glusterd running"),
            None => Error::conflict("no node of the cluster has glusterd running"),
        })
    }

    /// Heketi's `canReplaceBrickInBrickSet`: the old brick must not be a heal source
    /// and enough other bricks of its set must be up.
    async fn check_heal(&self, work: &Host, job: &ReplaceJob, r: &Replacement) -> Result<()> {
        let info = self
            .shared
            .executor
            .volume_heal_info(work, &job.volume_name)
            .await?;
        let old_name = job.old_loc.gluster_name();
        if info
            .brick(&old_name)
            .is_some_and(|b| b.connected() && b.has_entries())
        {
            return Err(Error::conflict(format!(
                "Cannot replace brick {} as it is source brick for data to be healed",
                r.old
            )));
        }
        let online = job
            .peer_names
            .iter()
            .filter(|n| info.brick(n).is_some_and(|b| b.connected()))
            .count();
        if online < job.quorum {
            return Err(Error::conflict(format!(
                "Cannot replace brick {} as only {online} of {} required peer bricks are online",
                r.old, job.quorum
            )));
        }
        Ok(())
    }

    /// Waits (bounded) until gluster reports the new brick connected, i.e. healing into
    /// it can start; only logged when it does not.
    async fn wait_heal_start(&self, work: &Host, job: &ReplaceJob) {
        let new_name = job.new_loc.gluster_name();
        for attempt in 0..HEAL_START_POLLS {
            match self
                .shared
                .executor
                .volume_heal_info(work, &job.volume_name)
                .await
            {
                Ok(info) if info.brick(&new_name).is_some_and(|b| b.connected()) => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(volume = %job.volume_name, error = %e, "heal info failed after replace-brick");
                    return;
                }
            }
            if attempt + 1 < HEAL_START_POLLS {
                tokio::time::sleep(HEAL_START_INTERVAL).await;
            }
        }
        tracing::warn!(volume = %job.volume_name, brick = %new_name,
            "the new brick is not reported connected yet; gluster heals it once it is");
    }

    /// Asks gluster to heal the new brick now, with a full crawl (bounded retries; only
    /// logged when it refuses). Without it the files often reach the new brick only at
    /// the self-heal daemon's next periodic crawl, up to `cluster.heal-timeout` (600 s)
    /// later: on real nodes the crawl the daemons make when replace-brick restarts them
    /// can end before the directory's entries are healed and its files marked for heal;
    /// an index heal launched then has the same race. A full crawl walks the sources'
    /// trees, directory then files, which is what an empty brick needs anyway.
    async fn launch_heal(&self, work: &Host, job: &ReplaceJob) {
        let mut last = None;
        for attempt in 0..HEAL_LAUNCH_TRIES {
            match self
                .shared
                .executor
                .volume_heal_full(work, &job.volume_name)
                .await
            {
                Ok(()) => return,
                Err(e) if matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout) => {
                    last = Some(e);
                    break;
                }
                Err(e) => last = Some(e),
            }
            if attempt + 1 < HEAL_LAUNCH_TRIES {
                tokio::time::sleep(HEAL_LAUNCH_INTERVAL).await;
            }
        }
        if let Some(e) = last {
            tracing::warn!(volume = %job.volume_name, error = %e,
                "gluster did not launch the heal; the self-heal daemon heals the new brick at its next crawl");
        }
    }

    /// Destroys the old brick; gluster no longer uses it, so a failure (a dead disk or
    /// node) is only logged.
    async fn destroy_old_brick(&self, job: &ReplaceJob) {
        if let Err(e) = self
            .shared
            .executor
            .brick_destroy(&job.old_host, &job.old_req)
            .await
        {
            let dead = matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout);
            tracing::warn!(brick = %job.old_req.brick_id, host = %job.old_host.manage, error = %e, dead,
                "the replaced brick could not be destroyed; remove its LV, mount and fstab line by hand");
        }
    }

    /// After a failed Exec before `replace-brick`: forget the new brick and release the
    /// old one when the nodes are clean, else keep the operation for the cleaner.
    fn roll_back_replacement(&self, r: &Replacement, err: Error, leftovers: Vec<String>) -> Error {
        if leftovers.is_empty() {
            let undone = self.write(|txn| {
                undo_replacement(txn, r);
                Ok(())
            });
            match undone {
                Ok(()) => err,
                Err(e) => err.context(format!(
                    "rollback could not be recorded ({e}); it runs again at the next start"
                )),
            }
        } else {
            let note = leftovers.join("; ");
            let _ = self.write(|txn| {
                mark_failed(txn, &r.op_id, leftovers);
                Ok(())
            });
            err.context(format!(
                "brick replacement failed and could not be fully undone ({note}); operation {} is kept for the cleaner",
                r.op_id
            ))
        }
    }

    /// Cleans an `evict-brick` operation a crash (or a failed rollback) left: when
    /// gluster has the new brick the replacement is finished, otherwise undone.
    pub(crate) async fn clean_replacement(
        &self,
        op: &PendingOperationEntry,
    ) -> Result<CleanupOutcome> {
        let old = op
            .ids_with(ChangeKind::DeleteBrick)
            .next()
            .map(str::to_string);
        let new = op.ids_with(ChangeKind::AddBrick).next().map(str::to_string);
        let parent = op
            .ids_with(ChangeKind::ParentOperation)
            .next()
            .map(str::to_string);
        let (Some(old), Some(new)) = (old, new) else {
            self.write(|txn| {
                if let Some(o) = op.ids_with(ChangeKind::DeleteBrick).next()
                    && let Some(b) = txn.bricks.get_mut(o)
                    && b.pending.id == op.id
                {
                    b.pending.id.clear();
                }
                txn.pending.remove(&op.id);
                Ok(())
            })?;
            return Ok(CleanupOutcome::RolledBack);
        };
        let volume = {
            let inner = self.lock();
            inner
                .state
                .bricks
                .get(&new)
                .or_else(|| inner.state.bricks.get(&old))
                .map(|b| b.info.volume.clone())
                .unwrap_or_default()
        };
        let r = Replacement {
            op_id: op.id.clone(),
            old,
            new,
            volume,
            parent,
            healcheck: HealCheck::Disable,
        };
        let job = {
            let inner = self.lock();
            ReplaceJob::from_state(&inner.state, &r)
        };
        let job = match job {
            Ok(j) => j,
            Err(_) => {
                // The records lack a brick or the volume: nothing on the nodes can be
                // matched any more; drop what is left of the operation.
                self.write(|txn| {
                    undo_replacement(txn, &r);
                    Ok(())
                })?;
                return Ok(CleanupOutcome::RolledBack);
            }
        };
        let ex = self.shared.executor.clone();
        let hosts: Vec<Host> = std::iter::once(job.old_host.clone())
            .chain(job.hosts.iter().cloned())
            .collect();
        let info = volume_info_from_any(&ex, &hosts, &job.volume_name)
            .await
            .map_err(|e| {
                Error::conflict(format!(
                    "cannot read gluster volume {} to decide how to clean the brick replacement: {e}",
                    job.volume_name
                ))
            })?;
        let bricks = info.map(|v| v.bricks).unwrap_or_default();
        if bricks.contains(&job.new_loc.gluster_name()) {
            self.destroy_old_brick(&job).await;
            self.write(|txn| {
                finish_replacement(txn, &r);
                Ok(())
            })?;
            return Ok(CleanupOutcome::RolledForward);
        }
        let leftovers = destroy_bricks(&ex, &[(job.new_host.clone(), job.new_req.clone())]).await;
        if !leftovers.is_empty() {
            let msg = leftovers.join("; ");
            self.write(|txn| {
                mark_failed(txn, &r.op_id, leftovers);
                Ok(())
            })?;
            return Ok(CleanupOutcome::Failed(msg));
        }
        self.write(|txn| {
            undo_replacement(txn, &r);
            Ok(())
        })?;
        Ok(CleanupOutcome::RolledBack)
    }
}

/// What the Exec step of a replacement needs from the records.
struct ReplaceJob {
    volume_name: String,
    old_host: Host,
    new_host: Host,
    old_req: BrickRequest,
    new_req: BrickRequest,
    old_loc: BrickLocation,
    new_loc: BrickLocation,
    /// `host:path` of the other bricks of the set.
    peer_names: Vec<String>,
    quorum: usize,
    /// Online nodes of the cluster first, to run gluster on.
    hosts: Vec<Host>,
}

impl ReplaceJob {
    fn from_state(st: &State, r: &Replacement) -> Result<ReplaceJob> {
        let missing = || Error::conflict("the brick replacement's records are incomplete");
        let old = st.bricks.get(&r.old).ok_or_else(missing)?;
        let new = st.bricks.get(&r.new).ok_or_else(missing)?;
        let vol = st.volumes.get(&r.volume).ok_or_else(missing)?;
        let old_node = st.nodes.get(&old.info.node).ok_or_else(missing)?;
        let new_node = st.nodes.get(&new.info.node).ok_or_else(missing)?;
        let durability = durability_of(&vol.info.request.durability);
        let set = durability.set_size().max(1);
        let pos = vol.bricks.iter().position(|b| *b == r.old).unwrap_or(0);
        let start = pos / set * set;
        let end = (start + set).min(vol.bricks.len());
        let peer_names = vol.bricks[start..end]
            .iter()
            .filter(|b| **b != r.old)
            .filter_map(|b| {
                let b = st.bricks.get(b)?;
                let n = st.nodes.get(&b.info.node)?;
                Some(format!("{}:{}", n.storage_host(), b.info.path))
            })
            .collect();
        let gid = vol.info.request.gid;
        let hosts = gluster_hosts(st, &vol.info.cluster, None)
            .into_iter()
            .filter(|h| {
                st.nodes
                    .values()
                    .any(|n| n.manage_host() == h.manage && n.state == EntryState::Online)
            })
            .collect();
        Ok(ReplaceJob {
            volume_name: vol.info.request.name.clone(),
            old_host: host_of(old_node),
            new_host: host_of(new_node),
            old_req: brick_request(&old, gid),
            new_req: brick_request(&new, gid),
            old_loc: BrickLocation {
                storage_host: old_node.storage_host().to_string(),
                path: old.info.path.clone(),
            },
            new_loc: BrickLocation {
                storage_host: new_node.storage_host().to_string(),
                path: new.info.path.clone(),
            },
            peer_names,
            quorum: quorum(durability),
            hosts,
        })
    }
}

/// Finalize: the new brick takes the old one's place; the old one is forgotten (its
/// space credited); the operation ends and its parent counts one brick more as done.
fn finish_replacement(txn: &mut Txn<'_>, r: &Replacement) {
    if let Some(v) = txn.volumes.get_mut(&r.volume)
        && let Some(p) = v.bricks.iter().position(|b| *b == r.old)
    {
        v.bricks[p] = r.new.clone();
    }
    if let Some(b) = txn.bricks.get_mut(&r.new)
        && b.pending.id == r.op_id
    {
        b.pending.id.clear();
    }
    forget_bricks(txn, std::slice::from_ref(&r.old));
    txn.pending.remove(&r.op_id);
    unlink_parent(txn, r, true);
}

/// Rollback: the new brick is forgotten (its space credited), the old one released.
fn undo_replacement(txn: &mut Txn<'_>, r: &Replacement) {
    if txn
        .bricks
        .get(&r.new)
        .is_some_and(|b| b.pending.id == r.op_id)
    {
        forget_bricks(txn, std::slice::from_ref(&r.new));
    }
    if let Some(b) = txn.bricks.get_mut(&r.old)
        && b.pending.id == r.op_id
    {
        b.pending.id.clear();
    }
    txn.pending.remove(&r.op_id);
    unlink_parent(txn, r, false);
}

/// Removes the child link from the parent device removal; counts the brick as moved.
fn unlink_parent(txn: &mut Txn<'_>, r: &Replacement, moved: bool) {
    let Some(p) = &r.parent else {
        return;
    };
    if let Some(parent) = txn.pending.get_mut(p) {
        parent
            .actions
            .retain(|a| !(a.change == ChangeKind::ChildOperation as i32 && a.id == r.op_id));
        if moved
            && let Some(a) = parent
                .actions
                .iter_mut()
                .find(|a| a.change == ChangeKind::RemoveDevice as i32)
        {
            a.delta += 1;
        }
    }
}
