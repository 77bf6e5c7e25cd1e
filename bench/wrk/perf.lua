-- wrk script of bench/perf.py: one request shape per mode, a JSON summary at the end.
--
--   wrk -t T -c C -d 10s --timeout 30s -s bench/wrk/perf.lua URL -- MODE ARGS...
--
-- Modes (paths under /api/2.0/mlflow/, as the MLflow client sends them):
--   log-metric RUNS_FILE BASE_TS T   POST runs/log-metric, one metric per request: key "loss",
--                                    run = runs[i mod #runs], step = i, timestamp = BASE_TS + i,
--                                    where i numbers the requests across all threads (thread t
--                                    sends i = t, t+T, t+2T, ...), so every point differs.
--                                    The body carries run_id and run_uuid, as the client's does.
--   log-batch RUNS_FILE BASE_TS T    POST runs/log-batch with 1000 metrics: keys m0..m9, 100 steps
--                                    each (steps 100*i .. 100*i+99), run = runs[i mod #runs].
--   get PATH                         GET PATH (e.g. /api/2.0/mlflow/runs/get?run_id=...).
-- RUNS_FILE holds one run id per line; T is wrk's thread count (-t).
--
-- done() prints one line "WRK_JSON {...}": requests, duration, errors (non-2xx/3xx status,
-- socket errors, timeouts) and latency percentiles in microseconds.

local counter = 0

-- Runs in the main state once per thread before it starts: threads are numbered 0..T-1.
function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
end

function init(args)
   mode = args[1]
   n = 0
   if mode == "get" then
      path = args[2]
      return
   end
   runs = {}
   for line in io.lines(args[2]) do
      if #line > 0 then runs[#runs + 1] = line end
   end
   base = tonumber(args[3])
   nthreads = tonumber(args[4])
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

local function next_index()
   local i = n * nthreads + tid
   n = n + 1
   return i
end

function request()
   if mode == "get" then
      return wrk.format("GET", path)
   end
   local i = next_index()
   local run = runs[(i % #runs) + 1]
   if mode == "log-metric" then
      local body = string.format(
         '{"run_uuid":"%s","run_id":"%s","key":"loss","value":%d.25,"timestamp":%d,"step":%d}',
         run, run, i % 1000, base + i, i)
      return wrk.format(nil, "/api/2.0/mlflow/runs/log-metric", nil, body)
   end
   -- log-batch
   local parts = {}
   local ts = base + i
   for k = 0, 9 do
      for s = 0, 99 do
         parts[#parts + 1] = string.format('{"key":"m%d","value":%d.5,"timestamp":%d,"step":%d}',
                                           k, (s * 7 + k) % 1000, ts, i * 100 + s)
      end
   end
   local body = '{"run_id":"' .. run .. '","metrics":[' .. table.concat(parts, ",") .. ']}'
   return wrk.format(nil, "/api/2.0/mlflow/runs/log-batch", nil, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
