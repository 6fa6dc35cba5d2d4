-- placement.score: prefer the second disk of every node (/dev/sdc), and a tiny bias
-- towards zone 2 that must not break the one-brick-per-node rule.
brickyard.on("placement.score", function(device, ctx)
  assert(ctx.operation == "create" or ctx.operation == "expand")
  local s = 0
  if device.name == "/dev/sdc" then
    s = s + 10
  end
  if device.zone == 2 then
    s = s + 1
  end
  return s
end)

-- brickyard.devices() is a read-only snapshot of every candidate.
brickyard.on("placement.filter", function(device, ctx)
  local all = brickyard.devices()
  assert(#all > 0, "snapshot is empty")
  all[1].name = "changed"   -- a copy: the engine never sees this
  return true
end)
