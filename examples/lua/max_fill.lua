-- Max fill: never put a brick on a device that would then be more than 70 % full.
-- Sizes: device.total/used/free are KiB; ctx.size is the GiB being placed (a brick of a
-- replicated volume is at most that big, so this is a safe upper bound).

local MAX_FILL = 0.70
local KIB_PER_GIB = 1024 * 1024

brickyard.on("placement.filter", function(device, ctx)
  if device.total == 0 then
    return false
  end
  local after = device.total - device.free + ctx.size * KIB_PER_GIB
  return after / device.total <= MAX_FILL
end)
