"""Turns the benchmark's hyperfine exports and measurements into RESULTS.md."""
import json
import sys
from pathlib import Path

work = Path(sys.argv[1])
out = Path(sys.argv[2])
meta = json.loads((work / "meta.json").read_text())


def runs(name):
    """{command label: median seconds} of one hyperfine export, in order."""
    data = json.loads((work / f"{name}.json").read_text())
    return [(r["command"], r["median"], r["mean"], r["stddev"]) for r in data["results"]]


def ms(seconds):
    return f"{seconds * 1000:.2f}"


lines = [
    "# vitals benchmark results",
    "",
    f"Measured by `bench/run` on {meta['date']}.",
    "",
    f"- machine: {meta['machine']}",
    f"- vitals {meta['vitals']} (release build, LTO, stripped: {meta['binary_bytes'] / 1048576:.2f} MiB)",
    f"- PostgreSQL {meta['postgres']}, Redis {meta['redis']}, hyperfine {meta['hyperfine']}",
    f"- {meta['runs']} runs per command after warm-up; medians in milliseconds; ratio = vitals / peer.",
    "- Commands as typed, with this build of `vitals` and the monitoring plugins on PATH;"
    " `$PGPORT`, `$PGPASSWORD` and `$RPORT` stand for the throwaway servers' ports and password.",
    "",
]


def comparison(title, name, baseline_index, target=None, note=None):
    rows = runs(name)
    base = rows[baseline_index][1]
    lines.extend([f"## {title}", ""])
    if note:
        lines.extend([note, ""])
    lines.extend(["| command | median ms | mean ± σ ms | ratio to baseline |", "|---|---|---|---|"])
    for i, (command, median, mean, stddev) in enumerate(rows):
        ratio = "baseline" if i == baseline_index else f"{median / base:.2f}"
        lines.append(f"| `{command}` | {ms(median)} | {ms(mean)} ± {ms(stddev)} | {ratio} |")
    if target:
        lines.extend(["", target(rows)])
    lines.append("")


def verdict(ok, text):
    return f"**{'met' if ok else 'missed'}**: {text}"


comparison(
    "1. `check db` against pg_isready, check_pgsql and psql",
    "db",
    1,
    lambda r: verdict(r[0][1] <= 1.2 * r[1][1], f"`check db` is {r[0][1] / r[1][1]:.2f}× `pg_isready` (target ≤ 1.2) while it also authenticates, runs `SELECT 1` and reads server facts."),
)
comparison(
    "2. `check cache` against redis-cli",
    "cache",
    1,
    lambda r: verdict(r[0][1] <= 0.75 * r[1][1], f"`check cache` is {r[0][1] / r[1][1]:.2f}× `redis-cli ping` (target ≤ 0.75), with PING and INFO."),
)
comparison(
    "3. `check all` against the same checks by the peers in sequence",
    "all",
    1,
    lambda r: verdict(r[0][1] <= 0.4 * r[1][1], f"`check all` is {r[0][1] / r[1][1]:.2f}× the peers in sequence (target ≤ 0.4)."),
    note="Database, cache, an RQ agent registry of 100 workers and 3 external services answering after 100 ms. The peers: `pg_isready`, `redis-cli ping`, `redis-cli scard rq:workers` and three `curl` calls, in one shell script.",
)

lines.extend(["## 4. Declared endpoints at 100 ms latency", "",
              "| endpoints | median ms | peak RSS MiB |", "|---|---|---|"])
scale_ok = True
for n, median, rss_kib in meta["scale"]:
    lines.append(f"| {n} | {ms(median)} | {rss_kib / 1024:.1f} |")
    if n == 500:
        scale_ok = median < 1.0 and rss_kib / 1024 < 50
lines.extend(["", verdict(scale_ok, "500 endpoints under 1 s wall and under 50 MiB peak RSS."), ""])

lines.extend(["## 5. Agents on an RQ registry", "", "| workers | median ms |", "|---|---|"])
for n, median in meta["agents"]:
    lines.append(f"| {n} | {ms(median)} |")
lines.append("")

hung = meta["hung_seconds"]
lines.extend(["## 6. A hung dependency", "",
              f"PostgreSQL paused with SIGSTOP: `check all --timeout 2s` returned in {hung:.3f} s (worst of {meta['hung_runs']} runs).",
              "", verdict(hung < 2.2, "under 2.2 s."), ""])

startup = runs("startup")
startup_runs = len(json.loads((work / "startup.json").read_text())["results"][0]["times"])
lines.extend([
    "## 7. Start-up",
    "",
    f"{startup_runs} runs per command (a start is a few milliseconds, so more runs than the rest).",
    "",
    "| command | median ms | peak RSS MiB |",
    "|---|---|---|",
])
for (command, median, _, _), rss_kib in zip(startup, meta["startup_rss"]):
    lines.append(f"| `{command}` | {ms(median)} | {rss_kib / 1024:.1f} |")
lines.extend(["", verdict(startup[0][1] < 0.003, f"`vitals --version` in {ms(startup[0][1])} ms (target < 3 ms)."), ""])

serve = json.loads((work / "serve.json").read_text())
lines.extend([
    "## 8. `vitals serve`",
    "",
    f"`wrk -t2 -c32 -d10s --latency` (wrk {serve['wrk']}) against `vitals serve` answering from its last round"
    f" (4 checks, interval 60 s) and, in the same run, nginx {serve['nginx']} serving a file of the same bytes."
    " wrk shares the 2 cores with the server it measures.",
    "",
    "| endpoint | bytes | requests/s | p99 latency | ratio to nginx |",
    "|---|---|---|---|---|",
])
rows = serve["rows"]
for i, row in enumerate(rows):
    ratio = ""
    if row["label"].startswith("nginx"):
        ratio = "baseline"
    elif i + 1 < len(rows) and rows[i + 1]["label"].startswith("nginx"):
        ratio = f"{row['rps'] / rows[i + 1]['rps']:.2f}"
    lines.append(f"| {row['label']} | {row['bytes']} | {row['rps']:,.0f} | {row['p99']} | {ratio} |")


def millis(text):
    """wrk's latency (`812.00us`, `3.21ms`, `1.02s`) in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float("inf")


api = [(row, rows[i + 1]) for i, row in enumerate(rows[:-1]) if row["label"].startswith("/") and rows[i + 1]["label"].startswith("nginx")]
rates = ", ".join(f"{r['label']} {r['rps']:,.0f}/s" for r, _ in api)
lines.extend(["", verdict(all(r["rps"] >= 5000 for r, _ in api), f"≥ 5,000 requests/s from the last round: {rates}."), ""])
p99s = ", ".join(f"{r['label']} {r['p99']} (nginx {n['p99']})" for r, n in api)
lines.extend([verdict(all(millis(r["p99"]) < 10 for r, _ in api), f"p99 < 10 ms: {p99s}."), ""])
ratios = ", ".join(f"{r['label']} {r['rps'] / n['rps']:.2f}" for r, n in api)
lines.extend([verdict(all(r["rps"] >= 0.5 * n["rps"] for r, n in api), f"at least half nginx's rate for the same bytes: {ratios}."), ""])
page = rows[-1]
lines.extend([verdict(millis(page["p99"]) < 50, f"the dashboard's p99 is {page['p99']} (target < 50 ms; over a store holding this run's rounds only: 30 days of history for 10 checks is measured by bench/dashboard, below)."), ""])
lines.extend([
    f"With 500 declared endpoints (answering after 100 ms) checked every 30 s, after {serve['rounds']} rounds:"
    f" resident memory {serve['rss'] / 1024:.1f} MiB, peak {serve['hwm'] / 1024:.1f} MiB.",
    "",
    verdict(serve["hwm"] / 1024 < 40, "under 40 MiB resident."),
    "",
])

# The dashboard over 30 days of history comes from bench/dashboard, which runs on its own.
dashboard = Path(__file__).with_name("dashboard.md")
if dashboard.exists():
    lines.extend([dashboard.read_text().strip(), ""])

# Section 9 comes from bench/history, which runs on its own.
history = Path(__file__).with_name("history.md")
if history.exists():
    lines.extend([history.read_text().strip(), ""])

comparison(
    "10. 100 declared checks against the same plugins in a shell loop",
    "declared",
    1,
    lambda r: verdict(r[0][1] <= 0.2 * r[1][1], f"`check all` of 100 declared checks is {r[0][1] / r[1][1]:.2f}× the plugins one after the other (target ≤ 0.2)."),
    note="`[[check]]` entries: 25 `check_dummy`, 15 `check_tcp` and 10 `check_disk` and 10 `check_procs` run as `kind = \"command\"`, 20 `kind = \"tcp\"` and 20 `kind = \"http\"` checks of an endpoint answering after 100 ms. The peer: the same plugins, `check_tcp` for the TCP checks and `check_http` for the HTTP ones, in one shell script. The built-in checks are not configured.",
)

thousand = runs("thousand")[0]
lines.extend(["## 11. 1,000 TCP and HTTP checks at 100 ms latency", "",
              "500 `kind = \"tcp\"` checks that send a request and expect its answer and 500 `kind = \"http\"` checks, against a server answering every request after 100 ms; at most `VITALS_MAX_IN_FLIGHT` (256) at once.", "",
              "| command | median ms | mean ± σ ms | peak RSS MiB |", "|---|---|---|---|",
              f"| `vitals check all` | {ms(thousand[1])} | {ms(thousand[2])} ± {ms(thousand[3])} | {meta['thousand_rss'] / 1024:.1f} |",
              "", verdict(thousand[1] < 1.0, f"1,000 checks in {ms(thousand[1])} ms (target < 1 s)."), ""])

notes = Path(__file__).with_name("NOTES.md")
if notes.exists():
    lines.extend(["## Profiling notes", "", notes.read_text().strip(), ""])

out.write_text("\n".join(lines))
print(f"wrote {out}")
