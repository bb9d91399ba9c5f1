-- wrk script: OSRM route requests between random points of urban Jinzhou.
--   wrk -t2 -c64 -d30s --latency -s tests/load/osrm_route.lua http://127.0.0.1:8080
-- Every thread seeds its own generator; wrk counts non-2xx/3xx answers in errors.status.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(12345 + id)
end
local function pt()
  return string.format("%.5f,%.5f", 121.05 + math.random() * 0.15, 41.07 + math.random() * 0.07)
end
request = function()
  return wrk.format("GET", "/route/v1/driving/" .. pt() .. ";" .. pt() .. "?overview=false")
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d, socket errors: %d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
