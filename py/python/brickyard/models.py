"""Typed results shared by :class:`brickyard.Engine` and :class:`brickyard.Client`.

Each model is a frozen dataclass built from the engine's (Heketi's wire) JSON with
``from_dict``; ``to_dict()`` gives plain dicts and lists back (for JSON, Ansible, logs).
Both backends build the same models from the same JSON, so a script sees no
difference between the embedded engine and a remote server.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = [
    "Brick",
    "CheckReport",
    "CleanedOperation",
    "CleanupReport",
    "Cluster",
    "Device",
    "Drift",
    "Node",
    "PendingOperation",
    "Plan",
    "PlannedBrick",
    "ReconcileReport",
    "Storage",
    "Topology",
    "TopologyCluster",
    "TopologyItem",
    "TopologyReport",
    "Volume",
]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Model:
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as plain dicts, lists and scalars."""
        out = _plain(self)
        assert isinstance(out, dict)
        return out


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (values or ()))


def _tags(values: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (values or {}).items()}


@dataclass(frozen=True, slots=True)
class Storage(_Model):
    """Capacity of a device in KiB (``total == free + used``)."""

    total: int
    free: int
    used: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Storage:
        return cls(total=int(d.get("total", 0)), free=int(d.get("free", 0)), used=int(d.get("used", 0)))


@dataclass(frozen=True, slots=True)
class Brick(_Model):
    """A brick: a thin LV with an XFS file system on one device. ``size`` in KiB."""

    id: str
    path: str
    device: str
    node: str
    volume: str
    size: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Brick:
        return cls(
            id=d["id"],
            path=d.get("path", ""),
            device=d.get("device", ""),
            node=d.get("node", ""),
            volume=d.get("volume", ""),
            size=int(d.get("size", 0)),
        )


@dataclass(frozen=True, slots=True)
class Cluster(_Model):
    """A cluster: its node and volume ids and whether it takes file/block volumes."""

    id: str
    nodes: tuple[str, ...]
    volumes: tuple[str, ...]
    block: bool
    file: bool
    blockvolumes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Cluster:
        return cls(
            id=d["id"],
            nodes=_strs(d.get("nodes")),
            volumes=_strs(d.get("volumes")),
            block=bool(d.get("block", False)),
            file=bool(d.get("file", False)),
            blockvolumes=_strs(d.get("blockvolumes")),
        )


@dataclass(frozen=True, slots=True)
class Device(_Model):
    """A device (a disk holding one LVM volume group) with its bricks."""

    id: str
    name: str
    state: str
    storage: Storage
    tags: dict[str, str]
    bricks: tuple[Brick, ...]
    paths: tuple[str, ...] = ()
    pv_uuid: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Device:
        return cls(
            id=d["id"],
            name=d.get("name", ""),
            state=d.get("state", ""),
            storage=Storage.from_dict(d.get("storage") or {}),
            tags=_tags(d.get("tags")),
            bricks=tuple(Brick.from_dict(b) for b in d.get("bricks") or ()),
            paths=_strs(d.get("paths")),
            pv_uuid=d.get("pv_uuid", ""),
        )


@dataclass(frozen=True, slots=True)
class Node(_Model):
    """A storage node with its devices."""

    id: str
    cluster: str
    zone: int
    manage: tuple[str, ...]
    storage: tuple[str, ...]
    state: str
    tags: dict[str, str]
    devices: tuple[Device, ...]

    @property
    def hostname(self) -> str:
        """The first manage hostname (how topology files and Ansible name nodes)."""
        return self.manage[0] if self.manage else ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Node:
        hosts = d.get("hostnames") or {}
        return cls(
            id=d["id"],
            cluster=d.get("cluster", ""),
            zone=int(d.get("zone", 0)),
            manage=_strs(hosts.get("manage")),
            storage=_strs(hosts.get("storage")),
            state=d.get("state", ""),
            tags=_tags(d.get("tags")),
            devices=tuple(Device.from_dict(x) for x in d.get("devices") or ()),
        )


@dataclass(frozen=True, slots=True)
class Volume(_Model):
    """A GlusterFS volume with its bricks. ``size`` in GiB; ``mount`` is ``host:name``."""

    id: str
    name: str
    size: int
    cluster: str
    durability: str
    replica: int
    disperse_data: int
    redundancy: int
    snapshot_enabled: bool
    snapshot_factor: float
    gid: int
    gluster_volume_options: tuple[str, ...]
    mount: str
    hosts: tuple[str, ...]
    bricks: tuple[Brick, ...]
    block: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Volume:
        dur = d.get("durability") or {}
        snap = d.get("snapshot") or {}
        gfs = (d.get("mount") or {}).get("glusterfs") or {}
        return cls(
            id=d["id"],
            name=d.get("name", ""),
            size=int(d.get("size", 0)),
            cluster=d.get("cluster", ""),
            durability=dur.get("type") or "none",
            replica=int((dur.get("replicate") or {}).get("replica", 0)),
            disperse_data=int((dur.get("disperse") or {}).get("data", 0)),
            redundancy=int((dur.get("disperse") or {}).get("redundancy", 0)),
            snapshot_enabled=bool(snap.get("enable", False)),
            snapshot_factor=float(snap.get("factor", 0)),
            gid=int(d.get("gid", 0)),
            gluster_volume_options=_strs(d.get("glustervolumeoptions")),
            mount=gfs.get("device", ""),
            hosts=_strs(gfs.get("hosts")),
            bricks=tuple(Brick.from_dict(b) for b in d.get("bricks") or ()),
            block=bool(d.get("block", False)),
        )


@dataclass(frozen=True, slots=True)
class PlannedBrick(_Model):
    """One brick of a dry-run plan. Sizes in KiB."""

    device: str
    node: str
    host: str
    size: int
    tp_size: int
    metadata_size: int
    arbiter: bool

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlannedBrick:
        return cls(
            device=d["device"],
            node=d["node"],
            host=d.get("host", ""),
            size=int(d["size"]),
            tp_size=int(d.get("tp_size", 0)),
            metadata_size=int(d.get("metadata_size", 0)),
            arbiter=bool(d.get("arbiter", False)),
        )


@dataclass(frozen=True, slots=True)
class Plan(_Model):
    """Where a volume create would put its bricks: one tuple of bricks per set."""

    cluster: str
    sets: tuple[tuple[PlannedBrick, ...], ...]

    @property
    def bricks(self) -> tuple[PlannedBrick, ...]:
        """Every brick of every set."""
        return tuple(b for s in self.sets for b in s)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        return cls(
            cluster=d["cluster"],
            sets=tuple(tuple(PlannedBrick.from_dict(b) for b in s) for s in d.get("sets") or ()),
        )


@dataclass(frozen=True, slots=True)
class TopologyItem(_Model):
    """One line of a topology report: a cluster, node or device and what happened to it."""

    kind: str
    name: str
    id: str | None
    outcome: str
    error: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TopologyItem:
        return cls(
            kind=d["kind"],
            name=d.get("name", ""),
            id=d.get("id"),
            outcome=d["outcome"],
            error=d.get("error"),
        )


@dataclass(frozen=True, slots=True)
class TopologyReport(_Model):
    """What applying a topology file did."""

    items: tuple[TopologyItem, ...]
    summary: str
    changed: bool
    failed: int

    def created(self, kind: str) -> int:
        """How many items of ``kind`` (cluster, node, device) were created."""
        return sum(1 for i in self.items if i.kind == kind and i.outcome == "created")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TopologyReport:
        return cls(
            items=tuple(TopologyItem.from_dict(i) for i in d.get("items") or ()),
            summary=d.get("summary", ""),
            changed=bool(d.get("changed", False)),
            failed=int(d.get("failed", 0)),
        )


@dataclass(frozen=True, slots=True)
class TopologyCluster(_Model):
    """One cluster of the topology, with its nodes and volumes expanded."""

    id: str
    block: bool
    file: bool
    nodes: tuple[Node, ...]
    volumes: tuple[Volume, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TopologyCluster:
        return cls(
            id=d["id"],
            block=bool(d.get("block", False)),
            file=bool(d.get("file", False)),
            nodes=tuple(Node.from_dict(n) for n in d.get("nodes") or ()),
            volumes=tuple(Volume.from_dict(v) for v in d.get("volumes") or ()),
        )


@dataclass(frozen=True, slots=True)
class Topology(_Model):
    """Every cluster with its nodes, devices, bricks and volumes."""

    clusters: tuple[TopologyCluster, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Topology:
        clusters = sorted(
            (TopologyCluster.from_dict(c) for c in d.get("clusters") or ()), key=lambda c: c.id
        )
        return cls(clusters=tuple(clusters))


@dataclass(frozen=True, slots=True)
class CheckReport(_Model):
    """The consistency check: empty ``inconsistencies`` means consistent."""

    inconsistencies: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing is inconsistent."""
        return not self.inconsistencies

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckReport:
        if "inconsistencies" in d:
            return cls(inconsistencies=_strs(d.get("inconsistencies")))
        # Heketi's `GET /db/check`: one block per record type.
        found: list[str] = []
        for value in d.values():
            if isinstance(value, Mapping):
                found.extend(_strs(value.get("inconsistencies")))
        return cls(inconsistencies=tuple(found))


@dataclass(frozen=True, slots=True)
class PendingOperation(_Model):
    """A pending operation (``GET /operations/pending``)."""

    id: str
    type_name: str
    status: str
    sub_status: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PendingOperation:
        return cls(
            id=d["id"],
            type_name=d.get("type_name", ""),
            status=d.get("status", ""),
            sub_status=d.get("sub_status", ""),
        )


@dataclass(frozen=True, slots=True)
class CleanedOperation(_Model):
    """What a cleanup did to one pending operation."""

    id: str
    type_name: str
    outcome: str
    detail: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CleanedOperation:
        return cls(
            id=d["id"],
            type_name=d.get("type_name", ""),
            outcome=d["outcome"],
            detail=d.get("detail"),
        )


@dataclass(frozen=True, slots=True)
class CleanupReport(_Model):
    """What a cleanup run did (empty when nothing was pending)."""

    operations: tuple[CleanedOperation, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CleanupReport:
        return cls(operations=tuple(CleanedOperation.from_dict(o) for o in d.get("operations") or ()))


@dataclass(frozen=True, slots=True)
class Drift(_Model):
    """One difference between the records and the nodes (``reconcile``)."""

    kind: str
    cluster: str
    subject: str
    detail: str
    fixable: bool
    node: str | None = None
    host: str | None = None
    fix_error: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Drift:
        return cls(
            kind=d["kind"],
            cluster=d.get("cluster", ""),
            subject=d.get("subject", ""),
            detail=d.get("detail", ""),
            fixable=bool(d.get("fixable", False)),
            node=d.get("node"),
            host=d.get("host"),
            fix_error=d.get("fix_error"),
        )


@dataclass(frozen=True, slots=True)
class ReconcileReport(_Model):
    """What ``reconcile`` found (``drifts``) and, with ``fix``, repaired (``fixed``)."""

    drifts: tuple[Drift, ...] = ()
    fixed: tuple[Drift, ...] = ()
    skipped: tuple[str, ...] = ()
    clusters: int = 0
    nodes: int = 0

    @property
    def clean(self) -> bool:
        """True when the nodes match the records."""
        return not self.drifts

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReconcileReport:
        return cls(
            drifts=tuple(Drift.from_dict(x) for x in d.get("drifts") or ()),
            fixed=tuple(Drift.from_dict(x) for x in d.get("fixed") or ()),
            skipped=_strs(d.get("skipped")),
            clusters=int(d.get("clusters", 0)),
            nodes=int(d.get("nodes", 0)),
        )
