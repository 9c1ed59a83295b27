-- llmgw bench: wrk POSTs the body in $BENCH_BODY with the virtual key and
-- the case name (the mock streams when it starts with "stream"), and
-- prints one line for bench/run.sh:
--   BENCH requests duration_us p50_us p99_us errors

local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()

wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["X-Bench-Case"] = os.getenv("BENCH_CASE")

function done(s, latency, requests)
    local e = s.errors
    io.write(string.format("BENCH %d %d %d %d %d\n", s.requests, s.duration,
        latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.status + e.timeout))
end
