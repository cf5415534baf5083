-- wrk script: counts non-2xx responses in every thread and prints one JSON line at the end
-- (requests, duration, errors by kind, p50/p95/p99/max latency in microseconds).
local hilos = {}

function setup(thread)
  table.insert(hilos, thread)
end

function init(args)
  no_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    no_2xx = no_2xx + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, hilo in ipairs(hilos) do
    n = n + (hilo:get("no_2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'SIGG_JSON {"peticiones": %.0f, "duracion_us": %.0f, "bytes": %.0f, "no_2xx": %.0f, ' ..
    '"connect": %.0f, "read": %.0f, "write": %.0f, "timeout": %.0f, ' ..
    '"p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f}\n',
    summary.requests, summary.duration, summary.bytes, n, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
