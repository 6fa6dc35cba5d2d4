"""The embedded engine: a redb file (or memory) and the executor, in this process."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from . import _brickyard
from ._api import Backend
from .models import CleanupReport


class Engine(Backend):
    """The Brickyard engine embedded in this process.

    ``path`` is the redb database file (created when missing); ``None`` keeps everything
    in memory. ``executor="mock"`` runs the storage nodes as an in-memory model (see
    :attr:`mock`); ``mock_device_size_gb`` sizes its disks. The other keywords are the
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
        **options: Any,
    ) -> None:
        self._raw = self._native = _brickyard.Engine(
            None if path is None else os.fspath(path),
            executor=executor,
            mock_device_size_gb=mock_device_size_gb,
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
        **options: Any,
    ) -> Engine:
        """A new engine whose (empty) store is filled from a Heketi ``db export`` text."""
        if not isinstance(json, str):
            raise TypeError(f"json must be a str, not {type(json).__name__}")
        return cls(
            path,
            executor=executor,
            mock_device_size_gb=mock_device_size_gb,
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
