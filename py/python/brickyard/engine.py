"""The embedded engine: a redb file (or memory) and the executor, in this process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypedDict

from . import _brickyard
from ._api import Backend
from .errors import InvalidInput
from .models import CleanupReport

__all__ = ["Engine", "SshSettings"]


class SshSettings(TypedDict, total=False):
    """The ``ssh=`` settings of ``Engine(executor="ssh")``; only ``keyfile`` is required.

    Durations are seconds (``int`` or ``float``). Every key mirrors the server's
    ``glusterfs.sshexec`` section (Heketi's name in brackets where it differs).
    """

    #: Private key (OpenSSH, PEM or PKCS#8; ed25519, ecdsa or RSA), unencrypted.
    keyfile: str | os.PathLike[str]
    #: Remote user; default ``"heketi"``.
    user: str
    #: Port for hosts that do not name one (``host:port`` overrides it); default 22.
    port: int
    #: Run every command through ``sudo -n``; default False.
    sudo: bool
    #: known_hosts file to check host keys against; default ``~/.ssh/known_hosts``.
    known_hosts: str | os.PathLike[str] | None
    #: Refuse unknown or changed host keys (default True); False accepts any key.
    strict_host_key_checking: bool
    #: Commands running at once on one node (channels of one connection); default 8.
    max_concurrent_commands: int
    #: Limit for connect, key exchange and authentication; default 10.
    connect_timeout: float
    #: Keep-alive interval on idle connections, None for none; default 30.
    keepalive: float | None
    #: Keep one connection per node (default True); False dials one per command.
    reuse_connections: bool
    #: File brick mounts are recorded in; default ``/etc/fstab``.
    fstab: str
    #: Brick mount options [mountopts]; default ``rw,inode64,noatime,nouuid``.
    mount_opts: str
    #: Prefix for ``/usr/sbin/lvm`` and ``/usr/bin/udevadm``; default None.
    lvm_wrapper: str | None
    #: ``--autobackup=y`` on LVM commands; default False.
    backup_lvm_metadata: bool
    #: ``gluster --timeout=N`` seconds; default 600.
    gluster_cli_timeout: int
    #: ``pvcreate --dataalignment``; default ``256K``.
    pv_data_alignment: str
    #: ``vgcreate --physicalextentsize`` [vg_physicalextentsize]; default ``4M``.
    vg_physical_extent_size: str
    #: ``lvcreate --chunksize`` [lv_chunksize]; default ``256K``.
    lv_chunk_size: str
    #: XFS stripe unit in KiB (with ``xfs_sw``); default 0 (unset).
    xfs_su: int
    #: XFS stripe width (with ``xfs_su``); default 0 (unset).
    xfs_sw: int
    #: ``snap-max-hard-limit`` set after a peer probe; default None.
    snapshot_limit: int | None
    #: Timeout of device commands; default 300.
    device_timeout: float
    #: Timeout of the brick create batch; default 600.
    brick_create_timeout: float
    #: Timeout of each brick destroy step; default 300.
    brick_destroy_timeout: float
    #: Timeout of the glusterd check; default 600.
    glusterd_check_timeout: float
    #: Timeout of gluster commands; default None = ``max(10, 1 + (T+1)/60)`` minutes.
    gluster_timeout: float | None


class Engine(Backend):
    """The Brickyard engine embedded in this process.

    ``path`` is the redb database file (created when missing); ``None`` keeps everything
    in memory. ``executor="mock"`` runs the storage nodes as an in-memory model (see
    :attr:`mock`); ``mock_device_size_gb`` sizes its disks. ``executor="ssh"`` runs
    Heketi's commands on the real nodes over ssh with the settings in ``ssh``
    (:class:`SshSettings`: ``keyfile`` is required; host keys are checked against a
    known_hosts file unless ``strict_host_key_checking=False``). A bad setting raises
    :class:`InvalidInput` naming it. The other keywords are the
    engine options of ``heketi.json`` (``zone_checking``, ``brick_min_size_gb``,
    ``brick_max_size_gb``, ``max_bricks_per_volume``, ``average_file_size_kb``,
    ``pre_request_volume_options``, ``post_request_volume_options``,
    ``max_volumes_per_cluster``, ``rebalance_on_expansion``, ``cleanup_on_open``).

    Use it as a context manager to close the store at the end. Every blocking call
    releases the GIL, so several Python threads can drive one engine.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        executor: str = "mock",
        mock_device_size_gb: int | None = None,
        ssh: SshSettings | Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self._raw = self._native = _brickyard.Engine(
            None if path is None else os.fspath(path),
            executor=executor,
            mock_device_size_gb=mock_device_size_gb,
            ssh=_ssh_dict(ssh),
            **options,
        )

    @classmethod
    def import_json(
        cls,
        path: str | os.PathLike[str] | None,
        json: str,
        *,
        executor: str = "mock",
        mock_device_size_gb: int | None = None,
        ssh: SshSettings | Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Engine:
        """A new engine whose (empty) store is filled from a Heketi ``db export`` text."""
        if not isinstance(json, str):
            raise TypeError(f"json must be a str, not {type(json).__name__}")
        return cls(
            path,
            executor=executor,
            mock_device_size_gb=mock_device_size_gb,
            ssh=ssh,
            import_json=json,
            **options,
        )

    def close(self) -> None:
        """Closes the store; later calls raise :class:`StoreError`."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._native.closed

    @property
    def mock(self) -> _brickyard.MockNodes | None:
        """The mock storage nodes (None with another executor)."""
        return self._native.mock

    def recovery_report(self) -> CleanupReport:
        """What opening the engine cleaned up (operations a crash left pending)."""
        return CleanupReport.from_dict(self._native.recovery_report())

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<brickyard.Engine {'closed' if self.closed else 'open'}>"


def _ssh_dict(ssh: SshSettings | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``ssh=`` settings as the plain dict the native engine checks."""
    if ssh is None:
        return None
    if not isinstance(ssh, Mapping):
        raise InvalidInput(
            f"ssh: expected a dict of settings (at least {{'keyfile': ...}}), got {type(ssh).__name__}"
        )
    return dict(ssh)
