-- wrk script: the read-only mix of scripts/load-replicas.sh, one request drawn per call with
-- these weights (undated routes, dated routes, the works list, one work, an OGC page, a tile).
local mix = {
  {30, "/api/v1/route?from=121.10,41.125&to=121.15,41.085"},
  {10, "/api/v1/route?from=121.1226,41.1152&to=121.1453,41.1130"},
  {20, "/api/v1/route?from=121.105,41.105&to=121.105,41.085&date=2024-06-01"},
  {15, "/api/v1/works"},
  {10, "/api/v1/works/P1"},
  {10, "/collections/works/items?limit=20"},
  {5,  "/api/v1/nearest?point=121.12,41.11&number=3"},
}
local total = 0
for _, m in ipairs(mix) do total = total + m[1] end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  local r = math.random(total)
  for _, m in ipairs(mix) do
    r = r - m[1]
    if r <= 0 then
      return wrk.format("GET", m[2], {["Accept"] = "application/json"})
    end
  end
end
