-- Notification hook: page someone when a device fails, or an operation fails.
-- Paging here is an error-level log line with a PAGE prefix; a site would forward
-- those lines (journald, Loki, ...) to its pager.

brickyard.on("device.post_state", function(ev)
  if ev.state == "failed" then
    brickyard.log("error", "PAGE: device " .. ev.id .. " failed")
  end
end)

brickyard.on("operation.failed", function(ev)
  brickyard.log("error", "PAGE: " .. ev.operation .. " failed (" .. ev.kind .. "): " .. ev.error)
end)
