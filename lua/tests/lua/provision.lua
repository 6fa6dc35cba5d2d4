-- Provisions a volume through `require "brickyard"` with the mock executor.
-- Run by the embedded VM (tests/module.rs) and by Debian's lua5.4 with the built module.
local brickyard = require "brickyard"

local eng = brickyard.open { executor = "mock" }

local nodes = {}
for n = 1, 3 do
  local host = "10.1.0." .. n
  nodes[n] = {
    node = { hostnames = { manage = { host }, storage = { host } }, zone = n },
    devices = { "/dev/sdb", "/dev/sdc" },
  }
end
local report = eng:topology_apply { clusters = { { nodes = nodes } } }
assert(report.failed == 0, report.summary)
assert(report.changed)

local topo = eng:topology_info()
assert(#topo.clusters == 1 and #topo.clusters[1].nodes == 3)

local vol = eng:volume_create {
  size = 2,
  name = "from_lua",
  durability = { type = "replicate", replicate = { replica = 3 } },
}
assert(vol.name == "from_lua", vol.name)
assert(vol.size == 2)
assert(#vol.bricks == 3, #vol.bricks)

vol = eng:volume_expand(vol.id, 1)
assert(vol.size == 3)
assert(#eng:volume_list().volumes == 1)

-- A clone: a volume of its own whose bricks share the source's thin pools.
local copy = eng:volume_clone(vol.id, "copy_from_lua")
assert(copy.name == "copy_from_lua" and copy.size == 3, copy.name)
assert(copy.id ~= vol.id)
assert(#copy.bricks == #vol.bricks)
assert(copy.bricks[1].path:find("/run/gluster/snaps/", 1, true) == 1, copy.bricks[1].path)
local unnamed = eng:volume_clone(vol.id)
assert(unnamed.name == "vol_" .. unnamed.id, unnamed.name)
assert(eng:volume_delete(copy.id) == true)
assert(eng:volume_delete(unnamed.id) == true)

-- A device can be added and taken offline.
local node_id = topo.clusters[1].nodes[1].id
local dev = eng:device_add { name = "/dev/sdd", node = node_id }
assert(eng:device_state(dev.id, "offline") == true)

-- Day-2: a brick moves to the other device of its node; a device is replaced.
local brick = vol.bricks[1]
assert(eng:brick_evict(brick.id) == true)
local info = eng:volume_info(vol.id)
for _, b in ipairs(info.bricks) do
  assert(b.id ~= brick.id, "evicted brick still listed")
end
local moved = info.bricks[1]
local new_dev = eng:device_replace(moved.device, "/dev/sde")
assert(new_dev.name == "/dev/sde", new_dev.name)
assert(#new_dev.bricks >= 1)
local ok_r, err_r = pcall(eng.brick_evict, eng, moved.id, "maybe")
assert(not ok_r and err_r.kind == "invalid_input", tostring(err_r))

-- Errors are tables with kind and message.
local ok, err = pcall(eng.volume_info, eng, "0123456789abcdef0123456789abcdef")
assert(not ok)
assert(type(err) == "table", type(err))
assert(err.kind == "not_found", err.kind)
assert(err.message == "Id not found", err.message)
assert(tostring(err):find("Id not found", 1, true))

ok, err = pcall(eng.volume_create, eng, { size = 100000, durability = { type = "replicate", replicate = { replica = 3 } } })
assert(not ok and err.kind == "no_space", tostring(err))

assert(eng:volume_delete(vol.id) == true)
assert(#eng:volume_list().volumes == 0)
print("provisioned and deleted " .. vol.name)
