"""Request bodies in Heketi's wire format, built from keyword arguments.

Shared by :class:`brickyard.Engine` (which hands them to the native engine) and
:class:`brickyard.Client` (which sends them over HTTP), so both check arguments the same
way: a wrong type raises :class:`TypeError` naming the argument.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ._brickyard import InvalidInput

DURABILITIES = ("replicate", "disperse", "none")
TAG_CHANGES = ("set", "update", "delete")


def check_int(name: str, value: object) -> int:
    """``value`` as an int; bools and other types raise ``TypeError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def check_str(name: str, value: object) -> str:
    """``value`` as a str; other types raise ``TypeError`` naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool; other types raise ``TypeError`` naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def check_id(name: str, value: object) -> str:
    """An id: a non-empty str."""
    value = check_str(name, value)
    if not value:
        raise InvalidInput(f"{name} cannot be empty")
    return value


def str_list(name: str, value: str | Iterable[str] | None) -> list[str]:
    """One str or an iterable of str, as a list (None gives an empty list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a str or a list of str, not {type(value).__name__}")
    out = list(value)
    for item in out:
        check_str(name, item)
    return out


def tags(name: str, value: Mapping[str, str] | None) -> dict[str, str]:
    """A tag map: str keys and str values."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict of str to str, not {type(value).__name__}")
    out: dict[str, str] = {}
    for k, v in value.items():
        out[check_str(name, k)] = check_str(name, v)
    return out


def cluster_flags(block: bool, file: bool) -> dict[str, Any]:
    """Body of ``POST /clusters`` and ``POST /clusters/{id}/flags``."""
    return {"block": check_bool("block", block), "file": check_bool("file", file)}


def node_add(
    cluster: str,
    zone: int,
    manage: str | Iterable[str],
    storage: str | Iterable[str] | None,
    node_tags: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Body of ``POST /nodes``; ``storage`` defaults to ``manage``."""
    manage_list = str_list("manage", manage)
    storage_list = str_list("storage", storage) if storage is not None else list(manage_list)
    body: dict[str, Any] = {
        "cluster": check_id("cluster", cluster),
        "zone": check_int("zone", zone),
        "hostnames": {"manage": manage_list, "storage": storage_list},
    }
    t = tags("tags", node_tags)
    if t:
        body["tags"] = t
    return body


def device_add(
    node: str, name: str, destroy_data: bool, device_tags: Mapping[str, str] | None
) -> dict[str, Any]:
    """Body of ``POST /devices``."""
    body: dict[str, Any] = {
        "node": check_id("node", node),
        "name": check_str("name", name),
        "destroydata": check_bool("destroy_data", destroy_data),
    }
    t = tags("tags", device_tags)
    if t:
        body["tags"] = t
    return body


def tags_change(new_tags: Mapping[str, str], change: str) -> dict[str, Any]:
    """Body of ``POST /nodes/{id}/tags`` and ``POST /devices/{id}/tags``."""
    check_str("change", change)
    if change not in TAG_CHANGES:
        raise InvalidInput(f"change must be one of {', '.join(TAG_CHANGES)}, not {change!r}")
    return {"tags": tags("tags", new_tags), "change_type": change}


def healcheck(enabled: bool) -> str:
    """Heketi's ``healcheck`` value."""
    if not isinstance(enabled, bool):
        raise TypeError(f"heal_check must be a bool, not {type(enabled).__name__}")
    return "" if enabled else "disable"


def state(value: str) -> str:
    """A node or device state."""
    return check_str("state", value)


def volume_create(
    *,
    size: int,
    name: str | None,
    durability: str,
    replica: int,
    disperse_data: int,
    redundancy: int,
    snapshot_factor: float | None,
    clusters: str | Iterable[str] | None,
    gluster_volume_options: str | Iterable[str] | None,
    gid: int,
    block: bool = False,
) -> dict[str, Any]:
    """Body of ``POST /volumes``."""
    check_int("size", size)
    check_str("durability", durability)
    if durability not in DURABILITIES:
        raise InvalidInput(
            f"durability must be one of {', '.join(DURABILITIES)}, not {durability!r}"
        )
    dur: dict[str, Any] = {"type": durability}
    if durability == "replicate":
        dur["replicate"] = {"replica": check_int("replica", replica)}
    elif durability == "disperse":
        dur["disperse"] = {
            "data": check_int("disperse_data", disperse_data),
            "redundancy": check_int("redundancy", redundancy),
        }
    body: dict[str, Any] = {"size": size, "durability": dur}
    if name is not None:
        body["name"] = check_str("name", name)
    if snapshot_factor is not None:
        if isinstance(snapshot_factor, bool) or not isinstance(snapshot_factor, (int, float)):
            raise TypeError(
                f"snapshot_factor must be a number, not {type(snapshot_factor).__name__}"
            )
        body["snapshot"] = {"enable": True, "factor": float(snapshot_factor)}
    cl = str_list("clusters", clusters)
    if cl:
        body["clusters"] = cl
    opts = str_list("gluster_volume_options", gluster_volume_options)
    if opts:
        body["glustervolumeoptions"] = opts
    if check_int("gid", gid):
        body["gid"] = gid
    if check_bool("block", block):
        body["block"] = True
    return body
