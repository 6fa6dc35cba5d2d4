"""Brickyard: GlusterFS volume provisioning, wire-compatible with Heketi.

Two front doors with the same methods and results:

- :class:`Engine` runs the engine in this process on a redb file (or in memory), with
  the mock executor for tests and demos or the ssh executor for real nodes;
- :class:`Client` talks to a Brickyard (or Heketi) server over REST.

Errors are :class:`BrickyardError` subclasses (``NotFound``, ``NoSpace`` …), raised
identically by both.
"""

from ._brickyard import __version__
from .client import Client
from .engine import Engine, SshSettings
from .errors import (
    AlreadyExists,
    BrickyardError,
    Busy,
    Conflict,
    ExecutorError,
    InvalidInput,
    NoSpace,
    NotFound,
    Rejected,
    StoreError,
    Unauthorized,
    Unsupported,
)
from .models import (
    Brick,
    CheckReport,
    CleanedOperation,
    CleanupReport,
    Drift,
    ReconcileReport,
    Cluster,
    Device,
    Node,
    PendingOperation,
    Plan,
    PlannedBrick,
    Storage,
    Topology,
    TopologyCluster,
    TopologyItem,
    TopologyReport,
    Volume,
)

__all__ = [
    "AlreadyExists",
    "Brick",
    "BrickyardError",
    "Busy",
    "CheckReport",
    "CleanedOperation",
    "CleanupReport",
    "Drift",
    "ReconcileReport",
    "Client",
    "Cluster",
    "Conflict",
    "Device",
    "Engine",
    "ExecutorError",
    "InvalidInput",
    "NoSpace",
    "Node",
    "NotFound",
    "PendingOperation",
    "Plan",
    "PlannedBrick",
    "Rejected",
    "SshSettings",
    "Storage",
    "StoreError",
    "Topology",
    "TopologyCluster",
    "TopologyItem",
    "TopologyReport",
    "Unauthorized",
    "Unsupported",
    "Volume",
    "__version__",
]
