# llmgw bench: the wall-clock table from bench/run.sh's records,
#   case server round requests duration_us p50_us p99_us worker_cpu_ns
# Every figure is the median over rounds; "added" and the ratio are taken
# per round (llmgw against the plain round just before it), then the median.
#   1/RPS  1e6/RPS(llmgw) - 1e6/RPS(plain): µs a saturated worker loses
#   CPU    the worker's CPU time per request (from /proc/PID/schedstat),
#          llmgw minus plain: the same, without needing saturation

function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function med(c, s, f,    i, a) {
    for (i = 1; i <= rounds[c]; i++) a[i] = v[c, s, i, f]
    return median(a, rounds[c])
}

{
    c = $1; s = $2; r = $3
    if (!(c in rounds)) order[++ncases] = c
    if (r > rounds[c]) rounds[c] = r
    v[c, s, r, "rps"] = $4 / $5 * 1e6
    v[c, s, r, "p50"] = $6
    v[c, s, r, "p99"] = $7
    v[c, s, r, "busy"] = $8 / ($5 * 1000) * 100
    v[c, s, r, "cpu"] = $8 / $4 / 1000
}

END {
    printf "%-14s %15s %15s %15s %11s %16s %7s\n", "", "req/s",
           "p50 (µs)", "p99 (µs)", "busy (%)", "added µs/req", "ratio"
    printf "%-14s %7s %7s %7s %7s %7s %7s %5s %5s %8s %7s %7s\n", "case",
           "plain", "llmgw", "plain", "llmgw", "plain", "llmgw", "plain",
           "llmgw", "1/RPS", "CPU", "RPS"
    for (k = 1; k <= ncases; k++) {
        c = order[k]
        for (i = 1; i <= rounds[c]; i++) {
            d[i] = 1e6 / v[c, "gateway", i, "rps"] - 1e6 / v[c, "plain", i, "rps"]
            e[i] = v[c, "gateway", i, "cpu"] - v[c, "plain", i, "cpu"]
            q[i] = v[c, "gateway", i, "rps"] / v[c, "plain", i, "rps"]
        }
        printf "%-14s %7d %7d %7d %7d %7d %7d %5d %5d %8.1f %7.1f %7.2f\n", c,
               med(c, "plain", "rps"), med(c, "gateway", "rps"),
               med(c, "plain", "p50"), med(c, "gateway", "p50"),
               med(c, "plain", "p99"), med(c, "gateway", "p99"),
               med(c, "plain", "busy"), med(c, "gateway", "busy"),
               median(d, rounds[c]), median(e, rounds[c]),
               median(q, rounds[c])
    }
}
