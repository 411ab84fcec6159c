-- Paths after `--` are requested in turn (each wrk thread cycles through them);
-- without any, wrk requests the URL it was given.
-- wrk reports p50/p90/p99 but not p95: print what the runner needs as one JSON line.
local paths = {}
local turn = 0

init = function(args)
  for _, path in ipairs(args) do
    paths[#paths + 1] = path
  end
end

request = function()
  if #paths == 0 then
    return wrk.format()
  end
  turn = turn % #paths + 1
  return wrk.format(nil, paths[turn])
end

done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
