//! glusterd as the mock understands it: one daemon per node, pools joined by peer probe,
//! volumes shared by the pool.

use std::sync::Arc;

use quick_xml::escape::escape;

use super::name::Name;
use super::{Reply, World};
use crate::state::chunk_map::ChunkMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Layout {
    Distribute,
    Replicate { replica: u32, arbiter: bool },
    Disperse { data: u32, redundancy: u32 },
}

impl Layout {
    pub fn set_size(&self) -> usize {
        match *self {
            Layout::Distribute => 1,
            Layout::Replicate { replica, .. } => replica as usize,
            Layout::Disperse { data, redundancy } => (data + redundancy) as usize,
        }
    }
}

/// A brick of a volume, `host:path`: the host shared by every brick that names it
/// ([`World::brick`]), the path compact (`name.rs`).
#[derive(Clone, Debug)]
pub(super) struct Brick {
    /// `None` for a name without `:/` (the whole name is then `path`).
    host: Option<Arc<str>>,
    path: Name,
}

impl std::fmt::Display for Brick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.host {
            Some(h) => write!(f, "{h}:{}", self.path),
            None => write!(f, "{}", self.path),
        }
    }
}

impl Brick {
    /// The host part of the brick's name.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// Whether this is the brick named `name`.
    pub fn is(&self, name: &str) -> bool {
        self.to_string() == name
    }
}

impl World {
    /// `s`, shared with the world's other uses of the same string.
    pub(super) fn shared(&mut self, s: &str) -> Arc<str> {
        match self.strings.get(s) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(s);
                self.strings.insert(a.clone());
                a
            }
        }
    }

    /// The brick named `name` (`host:path`), its host shared.
    pub(super) fn brick(&mut self, name: &str) -> Brick {
        let Some((h, path)) = split_brick(name) else {
            return Brick {
                host: None,
                path: Name::new(name),
            };
        };
        Brick {
            host: Some(self.shared(h)),
            path: Name::new(path),
        }
    }
}

/// Options set with `volume set`, in order: the names shared ([`World::shared`]), the
/// values compact (most are ids).
pub(super) type VolumeOptions = Box<[(Arc<str>, Name)]>;

/// A volume's status, as gluster names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Created,
    Started,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "Created",
            Status::Started => "Started",
            Status::Stopped => "Stopped",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The volumes of one pool, by name: sorted chunks ([`ChunkMap`]) keyed by compact
/// names (`vol_<id>`), not a `BTreeMap` of `String`s (100,000 volumes: 219 bytes a
/// volume for the table alone, now about 145).
#[derive(Clone, Debug, Default)]
pub(super) struct VolumeTable(ChunkMap<Name, Volume>);

impl VolumeTable {
    pub fn get(&self, name: &str) -> Option<&Volume> {
        self.0.get(&Name::new(name))
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Volume> {
        self.0.get_mut(&Name::new(name))
    }
    pub fn contains_key(&self, name: &str) -> bool {
        self.0.contains_key(&Name::new(name))
    }
    pub fn insert(&mut self, name: &str, v: Volume) {
        self.0.insert(Name::new(name), v);
    }
    pub fn remove(&mut self, name: &str) -> Option<Volume> {
        self.0.remove(&Name::new(name))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The volumes with their names, by name.
    pub fn iter(&self) -> impl Iterator<Item = (String, &Volume)> + '_ {
        self.0.iter().map(|(k, v)| (k.to_string(), v))
    }
    pub fn values(&self) -> impl Iterator<Item = &Volume> + '_ {
        self.0.values()
    }
}

/// A volume, keyed by its name in [`World`]. Boxed slices, not vectors, and a
/// one-byte status: 64 bytes, not 96, for each of 100,000 volumes.
#[derive(Clone, Debug)]
pub(super) struct Volume {
    pub id: Arc<str>,
    pub layout: Layout,
    pub bricks: Box<[Brick]>,
    pub status: Status,
    pub options: VolumeOptions,
}

const _: () = assert!(std::mem::size_of::<Volume>() == 64);

impl Volume {
    pub fn type_name(&self) -> &'static str {
        let sets = self.bricks.len() / self.layout.set_size().max(1);
        match (&self.layout, sets > 1) {
            (Layout::Distribute, _) => "Distribute",
            (Layout::Replicate { .. }, false) => "Replicate",
            (Layout::Replicate { .. }, true) => "Distributed-Replicate",
            (Layout::Disperse { .. }, false) => "Disperse",
            (Layout::Disperse { .. }, true) => "Distributed-Disperse",
        }
    }

    fn xml(&self, name: &str) -> String {
        let (replica, arbiter, disperse, redundancy, type_num) = match self.layout {
            Layout::Distribute => (1, 0, 0, 0, 0),
            Layout::Replicate { replica, arbiter } => (replica, u32::from(arbiter), 0, 0, 2),
            Layout::Disperse { data, redundancy } => (1, 0, data + redundancy, redundancy, 4),
        };
        let status_num = match self.status {
            Status::Created => 0,
            Status::Started => 1,
            Status::Stopped => 2,
        };
        let set = self.layout.set_size();
        let mut bricks = String::new();
        for (i, b) in self.bricks.iter().enumerate() {
            let is_arb = u32::from(arbiter == 1 && i % set == set - 1);
            let b = b.to_string();
            let b = escape(b.as_str());
            bricks.push_str(&format!(
                "          <brick uuid=\"mock\">{b}<name>{b}</name><hostUuid>mock</hostUuid><isArbiter>{is_arb}</isArbiter></brick>\n"
            ));
        }
        let mut opts = String::new();
        for (k, v) in &self.options {
            let v = v.to_string();
            opts.push_str(&format!(
                "          <option>\n            <name>{}</name>\n            <value>{}</value>\n          </option>\n",
                escape(&**k),
                escape(v.as_str())
            ));
        }
        format!(
            "      <volume>\n        <name>{}</name>\n        <id>{}</id>\n        <status>{status_num}</status>\n        <statusStr>{}</statusStr>\n        <snapshotCount>0</snapshotCount>\n        <brickCount>{}</brickCount>\n        <distCount>{set}</distCount>\n        <replicaCount>{replica}</replicaCount>\n        <arbiterCount>{arbiter}</arbiterCount>\n        <disperseCount>{disperse}</disperseCount>\n        <redundancyCount>{redundancy}</redundancyCount>\n        <type>{type_num}</type>\n        <typeStr>{}</typeStr>\n        <transport>0</transport>\n        <bricks>\n{bricks}        </bricks>\n        <optCount>{}</optCount>\n        <options>\n{opts}        </options>\n      </volume>\n",
            escape(name),
            self.id,
            self.status,
            self.bricks.len(),
            self.type_name(),
            self.options.len()
        )
    }
}

/// A gluster failure: message (for plain output) and errno (for `--xml`).
pub(super) struct GErr {
    pub(super) text: String,
    pub(super) xml_errstr: String,
    pub(super) errno: i32,
}

pub(super) fn gerr(text: impl Into<String>) -> GErr {
    let text = text.into();
    GErr {
        xml_errstr: text.clone(),
        text,
        errno: -1,
    }
}

pub(super) const XML_HEAD: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n";

pub(super) fn split_brick(b: &str) -> Option<(&str, &str)> {
    let i = b.find(":/")?;
    Some((&b[..i], &b[i + 1..]))
}

impl World {
    pub(super) fn gluster(&mut self, host: &str, words: &[String]) -> Reply {
        let mut script = false;
        let mut xml = false;
        let mut rest: Vec<&str> = Vec::new();
        for w in words {
            match w.as_str() {
                "--mode=script" => script = true,
                "--xml" => xml = true,
                t if t.starts_with("--timeout=") => {
                    if t["--timeout=".len()..].parse::<u32>().is_err() {
                        return Reply::err(1, format!("gluster: invalid {t}"));
                    }
                }
                t if t.starts_with("--") => return Reply::unsupported(&format!("gluster {t}")),
                t => rest.push(t),
            }
        }
        if !script {
            return Reply::unsupported("gluster without --mode=script (it would prompt)");
        }
        self.materialize_for_gluster(host, &rest);
        if !self.node_mut(host).glusterd {
            return Reply::err(
                1,
                "Connection failed. Please check if gluster daemon is operational.",
            );
        }
        let result = match rest.as_slice() {
            ["peer", "probe", h] => self.peer_probe(host, h),
            ["peer", "detach", h] => self.peer_detach(host, h),
            ["peer", "status"] if xml => return self.peer_status_xml(host),
            ["snapshot", "config", "snap-max-hard-limit", n] if n.parse::<u32>().is_ok() => Ok(
                "snapshot config: snap-max-hard-limit for System set successfully\n".to_string(),
            ),
            ["snapshot", sub, args @ ..] => self.gluster_snapshot(host, sub, args),
            ["volume", "create", name, args @ ..] => self.volume_create(host, name, args),
            ["volume", "add-brick", name, bricks @ ..] => self.add_brick(host, name, bricks),
            ["volume", "set", name, key, value @ ..] if !value.is_empty() => {
                self.volume_set(host, name, key, &value.join(" "))
            }
            ["volume", "start", name] => self.volume_start(host, name),
            ["volume", "stop", name] => self.volume_stop(host, name, false),
            ["volume", "stop", name, "force"] => self.volume_stop(host, name, true),
            ["volume", "delete", name] => self.volume_delete(host, name),
            ["volume", "rebalance", name, "start"] => self.rebalance(host, name),
            ["volume", "info"] if xml => return self.volume_info_xml(host, None),
            ["volume", "info", name] if xml => return self.volume_info_xml(host, Some(name)),
            ["volume", "replace-brick", name, old, new, "commit", "force"] => {
                self.replace_brick(host, name, old, new)
            }
            ["volume", "heal", name, "info"] if xml => return self.heal_info_xml(host, name),
            ["volume", "heal", name, "full"] => self.heal_launch(host, name),
            _ => return Reply::unsupported(&format!("gluster {}", rest.join(" "))),
        };
        match (result, xml) {
            (Ok(text), false) => Reply::ok(text),
            (Err(e), false) => Reply::err(1, e.text),
            (Ok(_), true) => Reply::ok(format!(
                "{XML_HEAD}  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n"
            )),
            (Err(e), true) => Reply::ok(format!(
                "{XML_HEAD}  <opRet>-1</opRet>\n  <opErrno>{}</opErrno>\n  <opErrstr>{}</opErrstr>\n</cliOutput>\n",
                e.errno,
                escape(e.xml_errstr.as_str())
            )),
        }
    }

    /// Manage name of the node in `pool` known as `name` (its storage or manage host).
    pub(super) fn peer_in_pool(&self, pool: u64, name: &str) -> Option<String> {
        let key = self.named(name)?;
        self.nodes
            .get(key)
            .filter(|n| n.pool == pool)
            .map(|n| n.manage.clone())
    }

    fn peer_probe(&mut self, host: &str, target: &str) -> Result<String, GErr> {
        let me = self.node_mut(host);
        let (pool, me_key) = (me.pool, me.manage.clone());
        let target_key = self.named(target).map(str::to_string);
        if target_key.as_deref() == Some(me_key.as_str()) {
            return Ok("peer probe: success. Probe on localhost not needed\n".into());
        }
        if self.peer_in_pool(pool, target).is_some() {
            return Ok(format!(
                "peer probe: success. Host {target} port 24007 already in peer list\n"
            ));
        }
        let Some(t) = target_key.as_deref().and_then(|k| self.nodes.get(k)) else {
            return Err(gerr(
                "peer probe: failed: Probe returned with Transport endpoint is not connected",
            ));
        };
        if !t.glusterd {
            return Err(gerr(
                "peer probe: failed: Probe returned with Transport endpoint is not connected",
            ));
        }
        let old_pool = t.pool;
        let alone = self.nodes.values().filter(|n| n.pool == old_pool).count() == 1;
        let no_volumes = self.volumes.get(&old_pool).is_none_or(|v| v.is_empty());
        if !alone || !no_volumes {
            return Err(gerr(format!(
                "peer probe: failed: {target} is either already part of another cluster or having volumes configured"
            )));
        }
        if let Some(t) = target_key.and_then(|k| self.nodes.get_mut(&k)) {
            t.pool = pool;
        }
        self.volumes.remove(&old_pool);
        Ok("peer probe: success\n".into())
    }

    fn peer_detach(&mut self, host: &str, target: &str) -> Result<String, GErr> {
        let me = self.node_mut(host);
        let (pool, me_key) = (me.pool, me.manage.clone());
        if self.named(target) == Some(me_key.as_str()) {
            return Err(gerr(format!("peer detach: failed: {target} is localhost")));
        }
        let Some(manage) = self.peer_in_pool(pool, target) else {
            return Err(gerr(format!(
                "peer detach: failed: {target} is not part of cluster"
            )));
        };
        let hosts_bricks = self.volumes.get(&pool).is_some_and(|vs| {
            vs.values().flat_map(|v| v.bricks.iter()).any(|b| {
                let b = b.to_string();
                split_brick(&b).is_some_and(|(h, _)| self.named(h) == Some(manage.as_str()))
            })
        });
        if hosts_bricks {
            return Err(gerr(format!(
                "peer detach: failed: Peer {target} hosts one or more bricks. If the peer is in not recoverable state then use either replace-brick or remove-brick command with force to remove all bricks from the peer and attempt the peer detach again."
            )));
        }
        let fresh = self.new_pool();
        if let Some(n) = self.nodes.get_mut(&manage) {
            n.pool = fresh;
        }
        Ok("peer detach: success\n".into())
    }

    /// Check bricks for create/add-brick; returns the (manage host, path) of each.
    pub(super) fn check_bricks(
        &self,
        pool: u64,
        op: &str,
        bricks: &[&str],
        force: bool,
        layout: &Layout,
        existing: &[Brick],
    ) -> Result<Vec<(String, String)>, GErr> {
        let mut out = Vec::new();
        for b in bricks {
            let Some((h, path)) = split_brick(b) else {
                return Err(gerr(format!(
                    "{op}: failed: wrong brick type: {b}, use <HOSTNAME>:<export-dir-abs-path>"
                )));
            };
            let Some(manage) = self.peer_in_pool(pool, h) else {
                return Err(gerr(format!(
                    "{op}: failed: Host {h} is not in 'Peer in Cluster' state"
                )));
            };
            if existing.iter().any(|e| e.is(b)) || bricks.iter().filter(|x| *x == b).count() > 1 {
                return Err(gerr(format!(
                    "{op}: failed: Brick: {b} not available. Brick may be containing or be contained by an existing brick."
                )));
            }
            let Some(node) = self.nodes.get(&manage) else {
                return Err(gerr(format!(
                    "{op}: failed: Host {h} is not in 'Peer in Cluster' state"
                )));
            };
            let Some(meta) = node.dir_meta(path) else {
                return Err(gerr(format!(
                    "{op}: failed: Failed to create brick directory for brick {b}. Reason : No such file or directory "
                )));
            };
            if meta.volume_id.is_some() {
                return Err(gerr(format!(
                    "{op}: failed: {path} is already part of a volume"
                )));
            }
            if matches!(node.locate(path), super::node::Loc::Root(_)) && !force {
                return Err(gerr(format!(
                    "{op}: failed: The brick {b} is being created in the root partition. It is recommended that you don't use the system's root partition for storage backend. Or use 'force' at the end of the command if you want to override this behavior."
                )));
            }
            out.push((manage, path.to_string()));
        }
        let set = layout.set_size();
        if set > 1 && !force {
            for chunk in out.chunks(set) {
                let mut hosts: Vec<&String> = chunk.iter().map(|(m, _)| m).collect();
                hosts.sort();
                hosts.dedup();
                if hosts.len() < chunk.len() && matches!(layout, Layout::Replicate { .. }) {
                    return Err(gerr(format!(
                        "{op}: failed: Multiple bricks of a replicate volume are present on the same server. This setup is not optimal. Bricks should be on different nodes to have best fault tolerant configuration. Use 'force' at the end of the command if you want to override this behavior. "
                    )));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn mark_bricks(&mut self, located: &[(String, String)], id: &Arc<str>) {
        for (manage, path) in located {
            self.mark_brick(manage, path, id);
        }
    }

    /// Marks the brick directory `path` on the node keyed `manage` as volume `id`'s.
    pub(super) fn mark_brick(&mut self, manage: &str, path: &str, id: &Arc<str>) {
        if let Some(n) = self.nodes.get_mut(manage) {
            n.update_dir(path, |m| m.volume_id = Some(id.clone()));
        }
    }

    fn volume_create(&mut self, host: &str, name: &str, args: &[&str]) -> Result<String, GErr> {
        let op = format!("volume create: {name}");
        let pool = self.node_mut(host).pool;
        let (layout, mut rest) = match args {
            ["replica", n, "arbiter", "1", rest @ ..] => (
                n.parse().ok().map(|r| Layout::Replicate {
                    replica: r,
                    arbiter: true,
                }),
                rest,
            ),
            ["replica", n, rest @ ..] => (
                n.parse().ok().map(|r| Layout::Replicate {
                    replica: r,
                    arbiter: false,
                }),
                rest,
            ),
            ["disperse-data", d, "redundancy", r, rest @ ..] => (
                d.parse()
                    .ok()
                    .zip(r.parse().ok())
                    .map(|(data, redundancy)| Layout::Disperse { data, redundancy }),
                rest,
            ),
            rest => (Some(Layout::Distribute), rest),
        };
        let Some(layout) = layout.filter(|l| match *l {
            Layout::Replicate { replica, arbiter } => replica >= 2 && (!arbiter || replica == 3),
            Layout::Disperse { data, redundancy } => {
                data >= 2 && redundancy >= 1 && redundancy * 2 < data + redundancy
            }
            Layout::Distribute => true,
        }) else {
            return Err(gerr(format!(
                "{op}: failed: invalid volume layout {}",
                args.join(" ")
            )));
        };
        let force = rest.last() == Some(&"force");
        if force {
            rest = &rest[..rest.len() - 1];
        }
        if self
            .volumes
            .get(&pool)
            .is_some_and(|v| v.contains_key(name))
        {
            return Err(gerr(format!("{op}: failed: Volume {name} already exists")));
        }
        let set = layout.set_size();
        if rest.is_empty() || !rest.len().is_multiple_of(set) {
            return Err(gerr(format!(
                "{op}: failed: number of bricks is not a multiple of {} count",
                if matches!(layout, Layout::Disperse { .. }) {
                    "disperse"
                } else {
                    "replica"
                }
            )));
        }
        let located = self.check_bricks(pool, &op, rest, force, &layout, &[])?;
        let id: Arc<str> = self.gluster_uuid().into();
        self.mark_bricks(&located, &id);
        let vol = Volume {
            id,
            layout,
            bricks: rest.iter().map(|s| self.brick(s)).collect(),
            status: Status::Created,
            options: Box::new([]),
        };
        self.volumes.entry(pool).or_default().insert(name, vol);
        Ok(format!(
            "volume create: {name}: success: please start the volume to access data\n"
        ))
    }

    fn add_brick(&mut self, host: &str, name: &str, bricks: &[&str]) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let mut bricks = bricks;
        let force = bricks.last() == Some(&"force");
        if force {
            bricks = &bricks[..bricks.len() - 1];
        }
        let Some(vol) = self.volumes.get(&pool).and_then(|v| v.get(name)).cloned() else {
            return Err(gerr(format!(
                "volume add-brick: failed: Volume {name} does not exist"
            )));
        };
        let set = vol.layout.set_size();
        if bricks.is_empty() || !bricks.len().is_multiple_of(set) {
            return Err(gerr(format!(
                "volume add-brick: failed: Incorrect number of bricks supplied {} with count {set}",
                bricks.len()
            )));
        }
        let located = self.check_bricks(
            pool,
            "volume add-brick",
            bricks,
            force,
            &vol.layout,
            &vol.bricks,
        )?;
        self.mark_bricks(&located, &vol.id);
        let new: Vec<Brick> = bricks.iter().map(|s| self.brick(s)).collect();
        if let Some(v) = self.volumes.get_mut(&pool).and_then(|v| v.get_mut(name)) {
            let mut bricks = std::mem::take(&mut v.bricks).into_vec();
            bricks.extend(new);
            v.bricks = bricks.into_boxed_slice();
        }
        Ok("volume add-brick: success\n".into())
    }

    fn vol_mut(&mut self, host: &str, name: &str) -> Option<&mut Volume> {
        let pool = self.node_mut(host).pool;
        self.volumes.get_mut(&pool)?.get_mut(name)
    }

    fn volume_set(
        &mut self,
        host: &str,
        name: &str,
        key: &str,
        value: &str,
    ) -> Result<String, GErr> {
        if !key.contains('.') && key != "group" {
            return Err(gerr(format!(
                "volume set: failed: option : {key} does not exist"
            )));
        }
        let shared_key = self.shared(key);
        let Some(v) = self.vol_mut(host, name) else {
            return Err(gerr(format!(
                "volume set: failed: Volume {name} does not exist"
            )));
        };
        match v.options.iter_mut().find(|(k, _)| **k == *key) {
            Some(slot) => slot.1 = Name::new(value),
            None => {
                let mut options = std::mem::take(&mut v.options).into_vec();
                options.push((shared_key, Name::new(value)));
                v.options = options.into_boxed_slice();
            }
        }
        Ok("volume set: success\n".into())
    }

    fn volume_start(&mut self, host: &str, name: &str) -> Result<String, GErr> {
        let Some(v) = self.vol_mut(host, name) else {
            return Err(gerr(format!(
                "volume start: {name}: failed: Volume {name} does not exist"
            )));
        };
        if v.status == Status::Started {
            return Err(gerr(format!(
                "volume start: {name}: failed: Volume {name} already started"
            )));
        }
        v.status = Status::Started;
        Ok(format!("volume start: {name}: success\n"))
    }

    fn volume_stop(&mut self, host: &str, name: &str, _force: bool) -> Result<String, GErr> {
        let Some(v) = self.vol_mut(host, name) else {
            return Err(gerr(format!(
                "volume stop: {name}: failed: Volume {name} does not exist"
            )));
        };
        if v.status != Status::Started {
            return Err(gerr(format!(
                "volume stop: {name}: failed: Volume {name} is not in the started state"
            )));
        }
        v.status = Status::Stopped;
        Ok(format!("volume stop: {name}: success\n"))
    }

    fn volume_delete(&mut self, host: &str, name: &str) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let Some(v) = self.volumes.get(&pool).and_then(|v| v.get(name)) else {
            let mut e = gerr(format!(
                "volume delete: {name}: failed: Volume {name} does not exist"
            ));
            e.xml_errstr = "Volume does not exist".into();
            e.errno = 30806;
            return Err(e);
        };
        if v.status == Status::Started {
            return Err(gerr(format!(
                "volume delete: {name}: failed: Volume {name} has been started.Volume needs to be stopped before deletion."
            )));
        }
        if let Some(vs) = self.volumes.get_mut(&pool) {
            vs.remove(name);
        }
        Ok(format!("volume delete: {name}: success\n"))
    }

    fn rebalance(&mut self, host: &str, name: &str) -> Result<String, GErr> {
        let Some(v) = self.vol_mut(host, name) else {
            return Err(gerr(format!(
                "volume rebalance: {name}: failed: Volume {name} does not exist"
            )));
        };
        if v.status != Status::Started {
            return Err(gerr(format!(
                "volume rebalance: {name}: failed: Volume {name} needs to be started to perform rebalance"
            )));
        }
        if v.bricks.len() <= v.layout.set_size() {
            return Err(gerr(format!(
                "volume rebalance: {name}: failed: Volume {name} is not a distribute volume or contains only 1 brick.\nNot performing rebalance"
            )));
        }
        Ok(format!(
            "volume rebalance: {name}: success: Rebalance on {name} has been started successfully. Use rebalance status command to check status of the rebalance process.\nID: {}\n",
            self.gluster_uuid()
        ))
    }

    /// `peer status --xml`: the other members of the node's pool, by storage name.
    fn peer_status_xml(&mut self, host: &str) -> Reply {
        let me = self.node_mut(host);
        let (pool, me_key) = (me.pool, me.manage.clone());
        let mut body = String::new();
        let peers: Vec<(String, bool)> = self
            .nodes
            .values()
            .filter(|n| n.pool == pool && n.manage != me_key)
            .map(|n| (n.storage.clone(), n.glusterd))
            .collect();
        for (storage, up) in &peers {
            let h = escape(storage.as_str());
            let uuid = self.gluster_uuid();
            body.push_str(&format!(
                "    <peer>\n      <uuid>{uuid}</uuid>\n      <hostname>{h}</hostname>\n      <hostnames>\n        <hostname>{h}</hostname>\n      </hostnames>\n      <connected>{}</connected>\n      <state>3</state>\n      <stateStr>Peer in Cluster</stateStr>\n    </peer>\n",
                u8::from(*up)
            ));
        }
        Reply::ok(format!(
            "{XML_HEAD}  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n  <peerStatus>\n{body}  </peerStatus>\n</cliOutput>\n"
        ))
    }

    fn volume_info_xml(&mut self, host: &str, name: Option<&str>) -> Reply {
        let pool = self.node_mut(host).pool;
        let vols: Vec<(String, Volume)> = self
            .volumes
            .get(&pool)
            .map(|v| {
                v.iter()
                    .filter(|(k, _)| name.is_none_or(|n| *k == n))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if name.is_some() && vols.is_empty() {
            return Reply::ok(format!(
                "{XML_HEAD}  <opRet>-1</opRet>\n  <opErrno>30806</opErrno>\n  <opErrstr>Volume does not exist</opErrstr>\n</cliOutput>\n"
            ));
        }
        let body: String = vols.iter().map(|(k, v)| v.xml(k)).collect();
        Reply::ok(format!(
            "{XML_HEAD}  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n  <volInfo>\n    <volumes>\n{body}      <count>{}</count>\n    </volumes>\n  </volInfo>\n</cliOutput>\n",
            vols.len()
        ))
    }
}
