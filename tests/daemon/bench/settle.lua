-- wrk script for scripts/bench-api: every request is a settlement
-- (POST /accounts/bench/settlements, {"amount":"1","scale":6}) with its own
-- Idempotency-Key, so each one is a new, durably committed record.
-- Prints p50/p99 latency and counts answers other than 201.
local threads = {}
local counter = 0
local bad = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(os.time() + tid)
  prefix = string.format("b%d-%d-", tid, math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/accounts/bench/settlements", {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }, '{"amount":"1","scale":6}')
end

function response(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local nbad = 0
  for _, t in ipairs(threads) do
    nbad = nbad + (t:get("bad") or 0)
  end
  local secs = summary.duration / 1e6
  io.write(string.format("BENCH requests=%d seconds=%.2f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non201=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, nbad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
