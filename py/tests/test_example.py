"""The Python example runs and does what it says, in few lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import brickyard
from conftest import REPO

EXAMPLE = REPO / "examples" / "python" / "provision.py"


def test_provision_example_runs_and_leaves_a_volume(tmp_path: Path) -> None:
    db = tmp_path / "example.redb"
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), str(db)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "1 clusters created, 3 nodes created" in out.stdout
    assert "volume demo: 1 GiB" in out.stdout
    with brickyard.Engine(db) as engine:
        vol = engine.volume_by_name("demo")
        assert vol is not None and len(vol.bricks) == 3


def test_provision_example_is_at_most_ten_lines_of_code() -> None:
    tree = ast.parse(EXAMPLE.read_text())
    body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body  # without the docstring
    lines = {n.lineno for stmt in body for n in ast.walk(stmt) if hasattr(n, "lineno")}
    assert len(lines) <= 10, sorted(lines)
