-- Tag-based tenancy: volumes of tenant X (names starting with "tenantx_") go only on
-- devices tagged disk=ssd; nobody else may use those devices.
--
-- Load with LuaHooks::load({"examples/lua/tenancy.lua"}, ...) or the server's `hooks` key.

local TENANT_PREFIX = "tenantx_"

local function is_tenant(name)
  return type(name) == "string" and name:sub(1, #TENANT_PREFIX) == TENANT_PREFIX
end

brickyard.on("volume.pre_create", function(req)
  if req.name == nil or req.name == "" then
    return true
  end
  if req.name:find("^tenantx") and not is_tenant(req.name) then
    return false, "tenant volumes are named tenantx_<something>"
  end
end)

brickyard.on("placement.filter", function(device, ctx)
  local ssd = device.tags.disk == "ssd"
  if is_tenant(ctx.name) then
    return ssd
  end
  return not ssd
end)
