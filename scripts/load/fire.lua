-- wrk script: one fire per request, each with a distinct argument.
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOCSIN_LOAD_KEY")

request = function()
  counter = counter + 1
  local body = string.format(
    '{"args":{"title":"disk full","severity":"critical","host":"web-%d","team":"ops","marker":"%d-%d"}}',
    counter % 50, math.random(1, 1000000000), counter)
  return wrk.format(nil, "/api/v1/events/load/fire", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("wrk: %d requests, %d non-2xx/3xx, %d socket errors\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("wrk: latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
