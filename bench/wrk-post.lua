-- wrk script for `npm run bench`: POSTs the bodies in the file named by
-- WRK_BODIES (one per line: a JSON body, or `hex <name=value&...|-> <hex>` for
-- a binary body with its own headers, as bench/lib/bodies.mjs writes them),
-- cycling through them, with an optional
-- bearer key from WRK_AUTH; at the end prints one line "WRKJSON {...}" with
-- the totals and latency percentiles (microseconds) for bench/run.mjs.
local bodies_file = os.getenv("WRK_BODIES")
local auth = os.getenv("WRK_AUTH")
local requests = {}
local counter = 0

-- The headers and body of one line of the bodies file.
local function parse(line)
  local headers = {}
  if auth ~= nil and auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  local hdrs, hex = line:match("^hex (%S+) (%x+)$")
  if hex == nil then
    headers["Content-Type"] = "application/json"
    return headers, line
  end
  if hdrs ~= "-" then
    for name, value in hdrs:gmatch("([^&=]+)=([^&]*)") do headers[name] = value end
  end
  return headers, (hex:gsub("%x%x", function(cc) return string.char(tonumber(cc, 16)) end))
end

function init(args)
  for line in io.lines(bodies_file) do
    if line ~= "" then
      local headers, body = parse(line)
      requests[#requests + 1] = wrk.format("POST", nil, headers, body)
    end
  end
  if #requests == 0 then error("no request bodies in " .. tostring(bodies_file)) end
  -- Start each thread at a different row.
  counter = math.random(0, #requests - 1)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"requests":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.2f,"stdev":%.2f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
