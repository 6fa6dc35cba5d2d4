"""The methods :class:`brickyard.Engine` and :class:`brickyard.Client` share.

:class:`Backend` holds every public method once: it checks the keyword arguments,
builds the wire-format body, hands it to a *raw* backend (the native engine, or the
REST transport) and builds the typed result. So both front doors have the same names,
signatures and result types by construction.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol

from . import _bodies
from ._brickyard import InvalidInput
from .models import (
    CheckReport,
    CleanupReport,
    ReconcileReport,
    Cluster,
    Device,
    Node,
    PendingOperation,
    Plan,
    Topology,
    TopologyReport,
    Volume,
)

TopologySource = str | os.PathLike[str] | Mapping[str, Any]


class Raw(Protocol):
    """What a backend does with wire-format bodies (the native engine's methods)."""

    def apply_topology(self, topology: str) -> Any: ...
    def topology_info(self) -> Any: ...
    def cluster_create(self, body: Any) -> Any: ...
    def cluster_list(self) -> list[str]: ...
    def cluster_info(self, id: str) -> Any: ...
    def cluster_delete(self, id: str) -> None: ...
    def cluster_set_flags(self, id: str, body: Any) -> None: ...
    def node_add(self, body: Any) -> Any: ...
    def node_info(self, id: str) -> Any: ...
    def node_delete(self, id: str) -> None: ...
    def node_set_state(self, id: str, state: str) -> None: ...
    def node_set_tags(self, id: str, body: Any) -> Any: ...
    def device_add(self, body: Any) -> Any: ...
    def device_info(self, id: str) -> Any: ...
    def device_delete(self, id: str, force_forget: bool = False) -> None: ...
    def device_set_state(self, id: str, state: str) -> None: ...
    def device_resync(self, id: str) -> None: ...
    def device_set_tags(self, id: str, body: Any) -> Any: ...
    def brick_evict(self, id: str, healcheck: str = "") -> None: ...
    def device_remove(self, id: str, healcheck: str = "") -> None: ...
    def node_remove(self, id: str, healcheck: str = "") -> None: ...
    def device_replace(self, id: str, name: str, healcheck: str = "") -> Any: ...
    def node_replace(self, id: str, body: Any, healcheck: str = "") -> Any: ...
    def volume_plan(self, body: Any) -> Any: ...
    def volume_create(self, body: Any) -> Any: ...
    def volume_info(self, id: str) -> Any: ...
    def volume_list(self) -> list[str]: ...
    def volume_expand(self, id: str, size: int) -> Any: ...
    def volume_clone(self, id: str, name: str) -> Any: ...
    def volume_delete(self, id: str) -> None: ...
    def volume_by_name(self, name: str) -> Any: ...
    def export(self) -> Any: ...
    def export_json(self) -> str: ...
    def check(self) -> Any: ...
    def pending_operations(self) -> Any: ...
    def cleanup(self, ids: list[str] | None = None) -> Any: ...
    def reconcile(self, fix: bool = False) -> Any: ...


def topology_text(topology: TopologySource) -> str:
    """A topology as JSON text: a dict, JSON text, or the path of a topology file."""
    if isinstance(topology, Mapping):
        return json.dumps(topology)
    if isinstance(topology, os.PathLike):
        return Path(topology).read_text(encoding="utf-8")
    if isinstance(topology, str):
        if topology.lstrip().startswith("{"):
            return topology
        try:
            return Path(topology).read_text(encoding="utf-8")
        except OSError as e:
            raise InvalidInput(f"topology: cannot read {topology}: {e}") from e
    raise TypeError(
        f"topology must be a dict, JSON text or a path, not {type(topology).__name__}"
    )


class Backend:
    """Every operation, for the embedded engine and the REST client alike."""

    _raw: Raw

    # Topology -----------------------------------------------------------------------

    def apply_topology(self, topology: TopologySource) -> TopologyReport:
        """Adds the clusters, nodes and devices of a ``topology.json`` (a dict, JSON
        text or a path) that do not exist yet; idempotent."""
        return TopologyReport.from_dict(self._raw.apply_topology(topology_text(topology)))

    def topology_info(self) -> Topology:
        """Every cluster with its nodes, devices, bricks and volumes."""
        return Topology.from_dict(self._raw.topology_info())

    # Clusters -----------------------------------------------------------------------

    def cluster_create(self, *, block: bool = True, file: bool = True) -> Cluster:
        """Creates an empty cluster (both volume kinds allowed by default, as heketi-cli)."""
        return Cluster.from_dict(self._raw.cluster_create(_bodies.cluster_flags(block, file)))

    def cluster_list(self) -> list[str]:
        """Ids of every cluster."""
        return list(self._raw.cluster_list())

    def cluster_info(self, id: str) -> Cluster:
        """One cluster."""
        return Cluster.from_dict(self._raw.cluster_info(_bodies.check_id("id", id)))

    def cluster_delete(self, id: str) -> None:
        """Deletes an empty cluster."""
        self._raw.cluster_delete(_bodies.check_id("id", id))

    def cluster_set_flags(self, id: str, *, block: bool, file: bool) -> None:
        """Sets whether a cluster takes block and file volumes."""
        self._raw.cluster_set_flags(_bodies.check_id("id", id), _bodies.cluster_flags(block, file))

    # Nodes --------------------------------------------------------------------------

    def node_add(
        self,
        *,
        cluster: str,
        manage: str | Iterable[str],
        storage: str | Iterable[str] | None = None,
        zone: int = 1,
        tags: Mapping[str, str] | None = None,
    ) -> Node:
        """Adds a node (peer probe); ``storage`` defaults to ``manage``."""
        body = _bodies.node_add(cluster, zone, manage, storage, tags)
        return Node.from_dict(self._raw.node_add(body))

    def node_info(self, id: str) -> Node:
        """One node with its devices."""
        return Node.from_dict(self._raw.node_info(_bodies.check_id("id", id)))

    def node_delete(self, id: str) -> None:
        """Deletes a node that has no devices."""
        self._raw.node_delete(_bodies.check_id("id", id))

    def node_set_state(self, id: str, state: str) -> None:
        """Sets a node ``online``, ``offline`` or ``failed``."""
        self._raw.node_set_state(_bodies.check_id("id", id), _bodies.state(state))

    def node_set_tags(self, id: str, tags: Mapping[str, str], *, change: str = "set") -> dict[str, str]:
        """Sets, updates or deletes a node's tags; returns the resulting tags."""
        body = _bodies.tags_change(tags, change)
        return dict(self._raw.node_set_tags(_bodies.check_id("id", id), body))

    # Devices ------------------------------------------------------------------------

    def device_add(
        self,
        *,
        node: str,
        name: str,
        destroy_data: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> Device:
        """Adds a device (pvcreate/vgcreate on the node)."""
        body = _bodies.device_add(node, name, destroy_data, tags)
        return Device.from_dict(self._raw.device_add(body))

    def device_info(self, id: str) -> Device:
        """One device with its bricks."""
        return Device.from_dict(self._raw.device_info(_bodies.check_id("id", id)))

    def device_delete(self, id: str, *, force_forget: bool = False) -> None:
        """Deletes a device without bricks (``force_forget``: forget it even if the node
        cannot be reached)."""
        self._raw.device_delete(
            _bodies.check_id("id", id), _bodies.check_bool("force_forget", force_forget)
        )

    def device_set_state(self, id: str, state: str) -> None:
        """Sets a device ``online``, ``offline`` or ``failed``."""
        self._raw.device_set_state(_bodies.check_id("id", id), _bodies.state(state))

    def device_resync(self, id: str) -> None:
        """Re-reads a device's size from its node."""
        self._raw.device_resync(_bodies.check_id("id", id))

    def device_set_tags(
        self, id: str, tags: Mapping[str, str], *, change: str = "set"
    ) -> dict[str, str]:
        """Sets, updates or deletes a device's tags; returns the resulting tags."""
        body = _bodies.tags_change(tags, change)
        return dict(self._raw.device_set_tags(_bodies.check_id("id", id), body))

    # Day-2 operations -----------------------------------------------------------------

    def brick_evict(self, id: str, *, heal_check: bool = True) -> None:
        """Replaces a brick by a new one placed by the rules that made its set (on another
        device); ``heal_check=False`` skips gluster's heal and quorum check."""
        self._raw.brick_evict(_bodies.check_id("id", id), _bodies.healcheck(heal_check))

    def device_remove(self, id: str, *, heal_check: bool = True) -> None:
        """Removes (fails) an offline device, moving every brick to another device first."""
        self._raw.device_remove(_bodies.check_id("id", id), _bodies.healcheck(heal_check))

    def node_remove(self, id: str, *, heal_check: bool = True) -> None:
        """Removes (fails) an offline node, moving the bricks of all its devices first."""
        self._raw.node_remove(_bodies.check_id("id", id), _bodies.healcheck(heal_check))

    def device_replace(self, id: str, name: str, *, heal_check: bool = True) -> Device:
        """Adds device ``name`` on the same node, moves every brick of device ``id`` (to the
        new device first) and retires the old device. Calling it again resumes it."""
        raw = self._raw.device_replace(
            _bodies.check_id("id", id), _bodies.check_id("name", name), _bodies.healcheck(heal_check)
        )
        return Device.from_dict(raw)

    def node_replace(
        self,
        id: str,
        *,
        manage: str | Iterable[str],
        devices: str | Iterable[str],
        storage: str | Iterable[str] | None = None,
        heal_check: bool = True,
    ) -> Node:
        """Adds a node (same cluster, zone and tags) with ``devices``, moves every brick of
        node ``id`` (to the new node first) and retires the old node. Calling it again
        resumes it."""
        manage_list = _bodies.str_list("manage", manage)
        body = {
            "hostnames": {
                "manage": manage_list,
                "storage": _bodies.str_list("storage", storage) if storage is not None else manage_list,
            },
            "devices": _bodies.str_list("devices", devices),
        }
        raw = self._raw.node_replace(_bodies.check_id("id", id), body, _bodies.healcheck(heal_check))
        return Node.from_dict(raw)

    # Volumes ------------------------------------------------------------------------

    def volume_plan(
        self,
        size: int = 1,
        name: str | None = None,
        durability: str = "replicate",
        replica: int = 3,
        disperse_data: int = 4,
        redundancy: int = 2,
        snapshot_factor: float | None = None,
        clusters: str | Iterable[str] | None = None,
        gluster_volume_options: str | Iterable[str] | None = None,
        gid: int = 0,
    ) -> Plan:
        """Where ``volume_create`` with the same arguments would put its bricks, without
        creating anything."""
        body = _bodies.volume_create(
            size=size,
            name=name,
            durability=durability,
            replica=replica,
            disperse_data=disperse_data,
            redundancy=redundancy,
            snapshot_factor=snapshot_factor,
            clusters=clusters,
            gluster_volume_options=gluster_volume_options,
            gid=gid,
        )
        return Plan.from_dict(self._raw.volume_plan(body))

    def volume_create(
        self,
        size: int = 1,
        name: str | None = None,
        durability: str = "replicate",
        replica: int = 3,
        disperse_data: int = 4,
        redundancy: int = 2,
        snapshot_factor: float | None = None,
        clusters: str | Iterable[str] | None = None,
        gluster_volume_options: str | Iterable[str] | None = None,
        gid: int = 0,
    ) -> Volume:
        """Creates a volume of ``size`` GiB (Heketi's request fields as keywords)."""
        body = _bodies.volume_create(
            size=size,
            name=name,
            durability=durability,
            replica=replica,
            disperse_data=disperse_data,
            redundancy=redundancy,
            snapshot_factor=snapshot_factor,
            clusters=clusters,
            gluster_volume_options=gluster_volume_options,
            gid=gid,
        )
        return Volume.from_dict(self._raw.volume_create(body))

    def volume_info(self, id: str) -> Volume:
        """One volume with its bricks."""
        return Volume.from_dict(self._raw.volume_info(_bodies.check_id("id", id)))

    def volume_list(self) -> list[str]:
        """Ids of every volume."""
        return list(self._raw.volume_list())

    def volume_expand(self, id: str, size: int) -> Volume:
        """Grows a volume by ``size`` GiB."""
        return Volume.from_dict(
            self._raw.volume_expand(_bodies.check_id("id", id), _bodies.check_int("size", size))
        )

    def volume_clone(self, id: str, name: str | None = None) -> Volume:
        """Clones a volume as Heketi does (a gluster snapshot of it, cloned): a new volume
        whose bricks share the source's thin pools, so it takes no space of its own;
        ``name`` defaults to ``vol_<new id>``. Deleting either leaves the other intact."""
        clone_name = "" if name is None else _bodies.check_str("name", name)
        return Volume.from_dict(self._raw.volume_clone(_bodies.check_id("id", id), clone_name))

    def volume_delete(self, id: str) -> None:
        """Deletes a volume and its bricks."""
        self._raw.volume_delete(_bodies.check_id("id", id))

    def volume_by_name(self, name: str) -> Volume | None:
        """The volume called ``name``, or None."""
        d = self._raw.volume_by_name(_bodies.check_str("name", name))
        return None if d is None else Volume.from_dict(d)

    # Database and operations --------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """The whole database in Heketi's ``db export`` format."""
        return dict(self._raw.export())

    def export_json(self) -> str:
        """The whole database as Heketi's ``db export`` JSON text."""
        return self._raw.export_json()

    def check(self) -> CheckReport:
        """The consistency check of the records."""
        return CheckReport.from_dict(self._raw.check())

    def pending_operations(self) -> list[PendingOperation]:
        """The pending operations."""
        return [PendingOperation.from_dict(p) for p in self._raw.pending_operations()]

    def cleanup(self, ids: Iterable[str] | None = None) -> CleanupReport:
        """Cleans up the given pending operations (all when None)."""
        id_list = None if ids is None else _bodies.str_list("ids", ids)
        return CleanupReport.from_dict(self._raw.cleanup(id_list))

    def reconcile(self, fix: bool = False) -> ReconcileReport:
        """Compares the records with the nodes; with ``fix``, repairs the safe drifts
        (re-mount a brick, re-add its fstab line, remove a stray LV of ours)."""
        return ReconcileReport.from_dict(self._raw.reconcile(_bodies.check_bool("fix", fix)))
