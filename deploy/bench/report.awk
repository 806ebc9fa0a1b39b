# The report of deploy/bench/bench.sh: reads its runs.csv (-F,), prints markdown (tables ready for
# docs/benchmarks.md, then the validity checks) and writes the same figures as JSON to the file `json`.
# Variables: targets, paths (in order), rounds, min_ratio, layout, loops, pairs ("a:b ..."), sanity_failures,
# header (a file whose lines head the report), json (where to write).
# Every figure is the median over the rounds with its min-max; ratios are of medians, except the A/B ones, which are
# medians of the per-round ratios (both sides measured in the same round, so a slow round slows both).
#
# runs.csv: phase,round,target,path,req_s,p50_ms,p99_ms,mean_ms,requests,errors,cpu_us_per_req,target_cores,
#           support_busy_pct,backend_cpu_us_per_req,peak_rss_mib,load1,rate

function sorted(list, a,    n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n
}
function median(list,    a, n) {
    n = sorted(list, a)
    if (n == 0) return "NaN"
    return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(list,    a) { return sorted(list, a) ? a[1] + 0 : "NaN" }
function hi(list,    a, n) { n = sorted(list, a); return n ? a[n] + 0 : "NaN" }
function commas(x,    s, r) {
    s = sprintf("%.0f", x); r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return s r
}
function fmt(x, f) { return (x == "NaN" || x == "") ? "–" : sprintf(f, x) }
# "median (min–max)" of a list, or the median alone when there is one value
function spread(list, f,    n, a) {
    n = sorted(list, a)
    if (n == 0) return "–"
    if (f == "commas") return n == 1 ? commas(median(list)) : commas(median(list)) " (" commas(a[1]) "–" commas(a[n]) ")"
    return n == 1 ? sprintf(f, median(list)) : sprintf(f, median(list)) " (" sprintf(f, a[1]) "–" sprintf(f, a[n]) ")"
}
function ratio(k, base) { return ((base in med) && med[base] > 0 && (k in med)) ? sprintf("%.2f", med[k] / med[base]) : "–" }
function jnum(x) { return (x == "NaN" || x == "") ? "null" : x + 0 }
function jstats(list) { return sprintf("{\"median\": %s, \"min\": %s, \"max\": %s}", jnum(median(list)), jnum(lo(list)), jnum(hi(list))) }
function add(arr, k, v) { if (v != "NaN" && v != "") arr[k] = arr[k] " " v }

NR == 1 { next }
{
    ph = $1; r = $2; t = $3; p = $4; k = ph SUBSEP t SUBSEP p
    seen[k] = 1; n[k]++
    add(rps, k, $5); add(p50, k, $6); add(p99, k, $7); add(mean, k, $8); add(cpu, k, $11); add(cores, k, $12)
    add(support, k, $13); add(backend, k, $14); rate[k] = $17
    err[k] += $10
    byround[k SUBSEP r] = $5; cpuround[k SUBSEP r] = $11; p99round[k SUBSEP r] = $7
    if (ph != "open") { rk = t SUBSEP r; if (!(rk in rss) || $15 + 0 > rss[rk] + 0) rss[rk] = $15 }
    if ($10 + 0 > 0) bad[++nbad] = sprintf("%s round %s %s %s: %d errors (socket errors, non-2xx, failed streams or open-loop backlog)", ph, r, t, p, $10)
    if (layout == "split" && t != "direct" && ph != "open" && $12 + 0 < 0.9 * loops)
        warn[++nwarn] = sprintf("%s round %s %s %s: the target used %.2f of its %d core(s): something else limited it (load generator, backend, neighbours)", ph, r, t, p, $12, loops)
    if (layout == "split" && ph != "open" && $13 + 0 >= 90)
        warn[++nwarn] = sprintf("%s round %s %s %s: the load generator's and backend's CPUs were %d %% busy: they may have limited it", ph, r, t, p, $13)
}

END {
    nt = split(targets, T, " "); np = split(paths, P, " ")
    for (k in seen) med[k] = median(rps[k])
    for (i = 1; i <= nt; i++) {
        l = ""
        for (r = 1; r <= rounds; r++) if ((T[i] SUBSEP r) in rss) l = l " " rss[T[i] SUBSEP r]
        rsslist[T[i]] = l
    }

    while ((getline line < header) > 0) hdr = hdr line "\n"
    printf "```\n%s```\n\n", hdr
    json_rows = ""

    # --- the tables ---
    split("http1 h2 open", PH, " ")
    for (f = 1; f <= 3; f++) {
        ph = PH[f]; any = 0
        for (i = 1; i <= nt; i++) for (j = 1; j <= np; j++) if ((ph SUBSEP T[i] SUBSEP P[j]) in seen) any = 1
        if (!any) continue
        if (ph == "http1") {
            printf "HTTP/1.1, closed loop (wrk): median of %d round(s) (min–max); ratios of the medians\n\n", rounds
            print "| target | path | req/s | × HAProxy | × NGINX | CPU µs/req | p50 ms | p99 ms | target's cores used | support CPUs busy | peak RSS MiB |"
            print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        } else if (ph == "h2") {
            printf "\nHTTP/2 from clients (h2load, h2c), HTTP/1.1 to the backend: median of %d round(s) (min–max)\n\n", rounds
            print "| target | path | req/s | × HAProxy | × NGINX | CPU µs/req | mean ms | target's cores used | support CPUs busy |"
            print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
        } else {
            printf "\nOpen loop (OpenLoop.java, latency from each request's due time): median of %d round(s) (min–max)\n\n", rounds
            print "| target | path | rate req/s | p50 ms | p99 ms | p99 − direct's ms | CPU µs/req | errors + backlog |"
            print "|---|---|---:|---:|---:|---:|---:|---:|"
        }
        for (j = 1; j <= np; j++) for (i = 1; i <= nt; i++) {
            k = ph SUBSEP T[i] SUBSEP P[j]
            if (!(k in seen)) continue
            vh = ratio(k, ph SUBSEP "haproxy" SUBSEP P[j]); vn = ratio(k, ph SUBSEP "nginx" SUBSEP P[j])
            if (ph == "http1")
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s %% | %s |\n", T[i], P[j], spread(rps[k], "commas"), vh, vn,
                    spread(cpu[k], "%.1f"), fmt(median(p50[k]), "%.2f"), spread(p99[k], "%.2f"), fmt(median(cores[k]), "%.2f"),
                    fmt(median(support[k]), "%.0f"), spread(rsslist[T[i]], "%.0f")
            else if (ph == "h2")
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s %% |\n", T[i], P[j], spread(rps[k], "commas"), vh, vn,
                    spread(cpu[k], "%.1f"), fmt(median(mean[k]), "%.2f"), fmt(median(cores[k]), "%.2f"), fmt(median(support[k]), "%.0f")
            else {
                dk = ph SUBSEP "direct" SUBSEP P[j]
                dp = (dk in seen && T[i] != "direct" && median(p99[k]) != "NaN" && median(p99[dk]) != "NaN") \
                    ? sprintf("%+.2f", median(p99[k]) - median(p99[dk])) : "–"
                printf "| %s | %s | %s | %s | %s | %s | %s | %d |\n", T[i], P[j], commas(rate[k]), fmt(median(p50[k]), "%.2f"),
                    spread(p99[k], "%.2f"), dp, spread(cpu[k], "%.1f"), err[k]
            }
            json_rows = json_rows sprintf("%s\n    {\"phase\": \"%s\", \"target\": \"%s\", \"path\": \"%s\", \"runs\": %d, \"req_s\": %s, \"vs_haproxy\": %s, \"vs_nginx\": %s, \"cpu_us_per_req\": %s, \"p50_ms\": %s, \"p99_ms\": %s, \"mean_ms\": %s, \"target_cores\": %s, \"support_busy_pct\": %s, \"backend_cpu_us_per_req\": %s, \"peak_rss_mib\": %s, \"rate\": %s, \"errors\": %d}",
                json_rows == "" ? "" : ",", ph, T[i], P[j], n[k], jstats(rps[k]), jnum(vh == "–" ? "" : vh), jnum(vn == "–" ? "" : vn),
                jstats(cpu[k]), jstats(p50[k]), jstats(p99[k]), jstats(mean[k]), jstats(cores[k]), jstats(support[k]),
                jstats(backend[k]), ph == "open" ? "null" : jstats(rsslist[T[i]]), jnum(rate[k]), err[k])
        }
    }

    # --- A/B: per-round ratios B/A ---
    json_ab = ""
    npairs = split(pairs, PR, " ")
    abhead = 0
    for (q = 1; q <= npairs; q++) {
        split(PR[q], AB, ":")
        for (f = 1; f <= 3; f++) for (j = 1; j <= np; j++) {
            ka = PH[f] SUBSEP AB[1] SUBSEP P[j]; kb = PH[f] SUBSEP AB[2] SUBSEP P[j]
            if (!(ka in seen) || !(kb in seen)) continue
            lr = ""; lc = ""; lp = ""
            for (r = 1; r <= rounds; r++) {
                ra = ka SUBSEP r; rb = kb SUBSEP r
                if (!(ra in byround) || !(rb in byround)) continue
                if (byround[ra] > 0) lr = lr " " byround[rb] / byround[ra]
                if (cpuround[ra] > 0) lc = lc " " cpuround[rb] / cpuround[ra]
                if (p99round[ra] != "NaN" && p99round[ra] > 0) lp = lp " " p99round[rb] / p99round[ra]
            }
            if (!abhead) {
                printf "\nA/B: B / A per round (both in the same round), median (min–max); req/s above 1 and CPU below 1 favour B\n\n"
                print "| phase | B / A | path | req/s | CPU µs/req | p99 |"
                print "|---|---|---|---:|---:|---:|"
                abhead = 1
            }
            printf "| %s | %s / %s | %s | %s | %s | %s |\n", PH[f], AB[2], AB[1], P[j], spread(lr, "%.3f"), spread(lc, "%.3f"), spread(lp, "%.3f")
            json_ab = json_ab sprintf("%s\n    {\"phase\": \"%s\", \"a\": \"%s\", \"b\": \"%s\", \"path\": \"%s\", \"req_s\": %s, \"cpu_us_per_req\": %s, \"p99_ms\": %s}",
                json_ab == "" ? "" : ",", PH[f], AB[1], AB[2], P[j], jstats(lr), jstats(lc), jstats(lp))
        }
    }

    # --- validity: direct well above every proxy, no errors, complete bodies ---
    invalid = 0; checks = ""; json_checks = ""
    for (f = 1; f <= 2; f++) for (j = 1; j <= np; j++) {
        dk = PH[f] SUBSEP "direct" SUBSEP P[j]
        best = 0; bestname = ""
        for (i = 1; i <= nt; i++) {
            k = PH[f] SUBSEP T[i] SUBSEP P[j]
            if (T[i] != "direct" && (k in seen) && med[k] > best) { best = med[k]; bestname = T[i] }
        }
        if (best == 0) continue
        if (!(dk in seen)) { checks = checks sprintf("- %s %s: no direct figure, so nothing shows the backend is not the limit\n", PH[f], P[j]); invalid = 1; continue }
        x = med[dk] / best; ok = x >= min_ratio
        if (!ok) invalid = 1
        checks = checks sprintf("- %s %s: direct %s req/s = %.2f× the fastest proxy (%s, %s): %s\n", PH[f], P[j], commas(med[dk]), x,
            bestname, commas(best), ok ? "ok (≥ " min_ratio ")" : "**below " min_ratio "×: the backend or the load generator may be what limits the proxies**")
        json_checks = json_checks sprintf("%s\n    {\"phase\": \"%s\", \"path\": \"%s\", \"direct_over_fastest_proxy\": %.3f, \"fastest\": \"%s\", \"ok\": %s}",
            json_checks == "" ? "" : ",", PH[f], P[j], x, bestname, ok ? "true" : "false")
    }
    if (nbad > 0) invalid = 1
    if (sanity_failures + 0 > 0) invalid = 1
    printf "\nChecks\n\n%s", checks
    for (i = 1; i <= nbad; i++) printf "- **%s**\n", bad[i]
    if (sanity_failures + 0 > 0) printf "- **%d sanity check(s) failed: a target truncated or stalled a response (see above)**\n", sanity_failures
    for (i = 1; i <= nwarn; i++) printf "- warning: %s\n", warn[i]
    # INVALID: the figures are wrong (errors, truncated bodies) or bounded by the backend; a run that is not invalid
    # is a result only with 3 rounds or more, and one with warnings needs them read before it is quoted.
    if (invalid) printf "\n**INVALID RUN**: see the checks above; do not quote these figures.\n"
    else if (rounds + 0 < 3) printf "\nNOT A RESULT: %d round(s); a result takes the median of 3 or more (this run only shows that the benchmark runs).\n", rounds
    else if (nwarn > 0) printf "\nvalid, with %d warning(s) above: direct is at least %s× every proxy, no errors, complete bodies; read the warnings before quoting a figure.\n", nwarn, min_ratio
    else printf "\nvalid: direct is at least %s× every proxy on every path, every proxy saturated its core(s), no errors, complete bodies.\n", min_ratio

    printf "{\n  \"header\": \"%s\",\n  \"rounds\": %d,\n  \"layout\": \"%s\",\n  \"event_loops\": %d,\n  \"valid\": %s,\n  \"result\": %s,\n  \"warnings\": %d,\n  \"rows\": [%s\n  ],\n  \"ab\": [%s\n  ],\n  \"checks\": [%s\n  ]\n}\n",
        jesc(hdr), rounds, layout, loops, invalid ? "false" : "true", (!invalid && rounds + 0 >= 3) ? "true" : "false", nwarn, json_rows, json_ab, json_checks > json
}
function jesc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\n/, "\\n", s); return s }
