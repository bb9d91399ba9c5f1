-- wrk script: one route between two random points of a box per request.
--   wrk ... -s random-routes.lua URL -- STYLE MINLON MINLAT MAXLON MAXLAT
-- STYLE: "osrm" asks GET /route/v1/driving/A;B?overview=false (OSRM, and jzplan's OSRM
-- service), "native" GET /api/v1/route?from=A&to=B (jzplan). Each thread draws from its own
-- fixed seed, so two runs with the same thread count ask the same pairs in the same order.
-- Non-2xx answers are counted by wrk ("Non-2xx or 3xx responses").
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

local style, x0, y0, x1, y1

function init(args)
  style = args[1] or "osrm"
  x0 = tonumber(args[2] or "121.09")
  y0 = tonumber(args[3] or "41.08")
  x1 = tonumber(args[4] or "121.66")
  y1 = tonumber(args[5] or "41.51")
  math.randomseed(7919 * (seed or 1))
end

local function point()
  return string.format("%.6f,%.6f", x0 + (x1 - x0) * math.random(), y0 + (y1 - y0) * math.random())
end

function request()
  local a, b = point(), point()
  local path
  if style == "native" then
    path = "/api/v1/route?from=" .. a .. "&to=" .. b
  else
    path = "/route/v1/driving/" .. a .. ";" .. b .. "?overview=false"
  end
  return wrk.format("GET", path)
end
