-- volume.pre_create: veto with `false, reason`, veto with error{...}, shape the request.
brickyard.on("volume.pre_create", function(req)
  if req.name == "forbidden" then
    return false, "name not allowed here"
  end
  if req.name == "raised" then
    error({ reason = "raised a veto table" })
  end
end)

-- A second handler sees what the first let through, and shapes it.
brickyard.on("volume.pre_create", function(req)
  if req.name == "" or req.name == nil then
    req.name = "pvc_" .. req.size .. "g"
  end
  local opts = req.glustervolumeoptions or {}
  table.insert(opts, "performance.cache-size 64MB")
  req.glustervolumeoptions = opts
  if req.size > 50 then
    req.size = 50
  end
  return req
end)

brickyard.on("volume.pre_expand", function(vol, size)
  if vol.size + size > 100 then
    return false, "volumes stay under 100 GiB"
  end
  return true
end)
