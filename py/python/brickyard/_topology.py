"""``apply_topology`` over REST: the engine's matching rules (nodes by their first
manage hostname, devices by name on that node, a new cluster only for a file cluster
none of whose nodes exist), with the same report, so :class:`brickyard.Client` answers
as :class:`brickyard.Engine` does."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._brickyard import BrickyardError, InvalidInput

if TYPE_CHECKING:
    from .client import _Rest


def summary(items: list[dict[str, Any]]) -> str:
    """The engine's one-line summary of a report."""

    def count(kind: str, outcome: str) -> int:
        return sum(1 for i in items if i["kind"] == kind and i["outcome"] == outcome)

    failed = sum(1 for i in items if i["outcome"] == "failed")
    return (
        f"{count('cluster', 'created')} clusters created, {count('node', 'created')} nodes created, "
        f"{count('node', 'existing')} nodes unchanged, {count('device', 'created')} devices added, "
        f"{count('device', 'existing')} devices unchanged, {failed} failed"
    )


def _item(kind: str, name: str, id: str | None, outcome: str, error: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": kind, "name": name, "id": id, "outcome": outcome}
    if error is not None:
        item["error"] = error
    return item


def apply(rest: _Rest, text: str) -> dict[str, Any]:
    """Applies the topology file ``text`` through ``rest``; returns the report dict."""
    try:
        file = json.loads(text)
    except ValueError as e:
        raise InvalidInput(f"Unable to parse config file: {e}") from e
    if not isinstance(file, dict):
        raise InvalidInput("Unable to parse config file: not a JSON object")
    nodes_by_host: dict[str, dict[str, Any]] = {}
    for cid in rest.cluster_list():
        for nid in rest.cluster_info(cid).get("nodes") or []:
            info = rest.node_info(nid)
            manage = (info.get("hostnames") or {}).get("manage") or []
            if manage:
                nodes_by_host[manage[0]] = info
    items: list[dict[str, Any]] = []
    for fc in file.get("clusters") or []:
        target: str | None = None
        created: str | None = None
        for fnode in fc.get("nodes") or []:
            node = dict(fnode.get("node") or {})
            manage_list = (node.get("hostnames") or {}).get("manage") or []
            if not manage_list:
                items.append(_item("node", "(no manage hostname)", None, "failed", "node has no manage hostname"))
                continue
            manage = manage_list[0]
            existing = nodes_by_host.get(manage)
            if existing is not None:
                target = target or existing.get("cluster")
                items.append(_item("node", manage, existing["id"], "existing"))
                node_info = existing
            else:
                if target is None:
                    c = rest.cluster_create({"block": fc.get("block", True), "file": fc.get("file", True)})
                    items.append(_item("cluster", c["id"], c["id"], "created"))
                    created = target = c["id"]
                node["cluster"] = target
                try:
                    node_info = rest.node_add(node)
                except BrickyardError as e:
                    items.append(_item("node", manage, None, "failed", str(e)))
                    continue
                nodes_by_host[manage] = node_info
                items.append(_item("node", manage, node_info["id"], "created"))
            have = {d.get("name"): d.get("id") for d in node_info.get("devices") or []}
            for dev in fnode.get("devices") or []:
                spec = {"name": dev} if isinstance(dev, str) else dict(dev)
                name = spec.get("name", "")
                label = f"{manage}:{name}"
                if name in have:
                    items.append(_item("device", label, have[name], "existing"))
                    continue
                body: dict[str, Any] = {
                    "node": node_info["id"],
                    "name": name,
                    "destroydata": bool(spec.get("destroydata", False)),
                }
                if spec.get("tags"):
                    body["tags"] = spec["tags"]
                try:
                    d = rest.device_add(body)
                except BrickyardError as e:
                    items.append(_item("device", label, None, "failed", str(e)))
                    continue
                have[name] = d["id"]
                items.append(_item("device", label, d["id"], "created"))
        if created is not None:
            info = rest.cluster_info(created)
            if not info.get("nodes") and not info.get("volumes"):
                rest.cluster_delete(created)
    failed = sum(1 for i in items if i["outcome"] == "failed")
    return {
        "items": items,
        "summary": summary(items),
        "changed": any(i["outcome"] == "created" for i in items),
        "failed": failed,
    }
