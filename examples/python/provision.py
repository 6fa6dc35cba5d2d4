"""Provision the demo topology and a replica-3 volume on an embedded engine.

Run: python examples/python/provision.py [DB]   (no DB: in memory)
For a server, replace the Engine line with: brickyard.Client("http://host:8080", "admin", KEY)
"""
import pathlib, sys

import brickyard

with brickyard.Engine(sys.argv[1] if len(sys.argv) > 1 else None) as engine:
    print(engine.apply_topology(pathlib.Path(__file__).parents[1] / "topology.json").summary)
    volume = engine.volume_create(size=1, name="demo", durability="replicate", replica=3)
    print(f"volume {volume.name}: {volume.size} GiB, mount {volume.mount}, {len(volume.bricks)} bricks")
