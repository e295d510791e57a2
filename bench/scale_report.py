"""Render the JSON of ``bench/scale.py`` runs as docs/performance.md and SVG plots."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.svgplot import Series, line_chart

HUAWEI_PAGE = 200
RULES_PER_GATEWAY = 200
#: Kubernetes reads per drift pass that still count as "no read per resource": the
#: ProviderConfig and Secret of the namespace, and some slack
CONSTANT_READS = 5
DASH = "\u2013"

Result = Mapping[str, Any]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def secs(value: Any, digits: int = 1) -> str:
    number = _num(value)
    return DASH if number is None else f"{number:,.{digits}f} s"


def ms(value: Any) -> str:
    number = _num(value)
    return DASH if number is None else f"{number:,.0f} ms" if number >= 100 else f"{number:.1f} ms"


def mb(value: Any) -> str:
    number = _num(value)
    return DASH if number is None else f"{number:,.0f} MB"


def ratio(ours: Any, floor: Any) -> float | None:
    a, b = _num(ours), _num(floor)
    if a is None or b is None or b <= 0:
        return None
    return a / b


def times(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}\u00d7"


def verdict(ok: bool | None) -> str:
    return DASH if ok is None else ("met" if ok else "**missed**")


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def p_table(result: Result) -> list[str]:
    cfg = result["config"]
    n = int(cfg["count"])
    floor, ours = result["floor"], result["ours"]
    fc, oc = floor.get("convergence") or {}, ours.get("convergence") or {}
    lines = [
        row("", "figure", "no-op kopf floor", "cloudnet run", "ratio", "target", ""),
        row(*["---"] * 7),
    ]
    r = ratio(oc.get("all_active_s"), fc.get("all_active_s"))
    lines.append(
        row(
            "P1",
            f"{n:,} DnatRules → all ACTIVE, unthrottled",
            secs(fc.get("all_active_s")),
            secs(oc.get("all_active_s")),
            times(r),
            "≤ 1.3 \u00d7 floor",
            verdict(None if r is None else r <= 1.3),
        )
    )
    for rated in result.get("rated") or []:
        ideal = float(rated["ideal_s"])
        took = _num(rated.get("all_active_s"))
        share = rated["throttled"] / rated["calls"] if rated["calls"] else 0.0
        r = None if took is None else took / ideal
        ok = None if r is None else (r <= 1.1 and share < 0.01)
        lines.append(
            row(
                "P1",
                f"{rated['count']:,} rules, cloud limit {rated['limit']:g}/s, "
                f"`--cloud-rate {rated['cloud_rate']:g}`",
                f"N/R = {ideal:.1f} s",
                f"{secs(took)} ({secs(rated.get('from_first_call_s'))} from the first cloud "
                f"call); {rated['calls'] / rated['count']:.2f} calls per rule; "
                f"{rated['throttled']:,} throttled ({share:.1%})",
                f"{times(r)} N/R",
                "≤ 1.1 \u00d7 N/R, < 1 % throttled",
                verdict(ok),
            )
        )
    window = ours.get("window")
    if window and window["passes"]:
        passes = int(window["passes"])
        gateways = math.ceil(n / RULES_PER_GATEWAY)
        bound = gateways * math.ceil(RULES_PER_GATEWAY / HUAWEI_PAGE)
        reads = (sum(window["cloud"].values()) - window["cloud_writes"]) / passes
        kube_reads = window["kube_reads"] / passes
        kube_writes = window["kube_writes"] / passes
        interval = float(window["drift_interval"])
        lines += [
            row(
                "P2",
                f"cloud reads per drift pass ({gateways} gateways, {passes} passes in "
                f"{window['seconds']:.0f} s)",
                "\u2013 (no drift checks)",
                f"{reads:.1f} ({window['list_calls_per_pass']:.1f} list calls)",
                DASH,
                f"≤ {bound} (ceil(N / page) per scope)",
                verdict(reads <= bound),
            ),
            row(
                "P2",
                "cloud writes / Kubernetes writes per pass, nothing drifted",
                DASH,
                f"{window['cloud_writes'] / passes:.1f} / {kube_writes:.1f}",
                DASH,
                "0 / 0",
                verdict(window["cloud_writes"] == 0 and window["kube_writes"] == 0),
            ),
            row(
                "P2",
                "Kubernetes reads per pass",
                DASH,
                f"{kube_reads:.1f} ({kube_reads / n:.3f} per resource)",
                DASH,
                "none per resource",
                verdict(kube_reads <= CONSTANT_READS),
            ),
            row(
                "P2",
                f"pass duration (first to last list call), interval {interval:g} s",
                DASH,
                secs(window["pass_span_s"], 2),
                DASH,
                "well inside the interval (≤ ½)",
                verdict(window["pass_span_s"] <= interval / 2),
            ),
        ]
    elif window:
        lines.append(row("P2", "drift passes", DASH, "no pass in the window", DASH, DASH, DASH))
    r = ratio(oc.get("rss_settled_mb"), fc.get("rss_settled_mb"))
    lines.append(
        row(
            "P3",
            f"RSS at {n:,}, settled",
            mb(fc.get("rss_settled_mb")),
            mb(oc.get("rss_settled_mb")),
            times(r),
            "≤ 1.2 \u00d7 floor",
            verdict(None if r is None else r <= 1.2),
        )
    )
    fw, ow = floor.get("window"), ours.get("window")
    if ow:
        lines.append(
            row(
                "P3",
                f"RSS growth in steady state (floor {fw['seconds']:.0f} s, ours "
                f"{ow['seconds']:.0f} s of drift passes every {ow['drift_interval']:g} s)"
                if fw
                else "RSS growth in steady state",
                f"{fw['growth_mb']:+.1f} MB ({fw['growth_pct']:+.1f} %)" if fw else DASH,
                f"{ow['growth_mb']:+.1f} MB ({ow['growth_pct']:+.1f} %)",
                DASH,
                "< 5 % over an hour",
                f"met over {ow['seconds']:.0f} s" if ow["growth_pct"] < 5 else verdict(False),
            )
        )
    fr, orr = floor.get("restart"), ours.get("restart")
    if fr and orr:
        r = ratio(orr.get("quiet_s"), fr.get("quiet_s"))
        gateways = math.ceil(n / RULES_PER_GATEWAY)
        lines += [
            row(
                "P4",
                f"restart with {n:,} ACTIVE: until quiet",
                f"{secs(fr.get('quiet_s'))}, {fr['kube_requests']:,} Kubernetes requests",
                f"{secs(orr.get('quiet_s'))}, {orr['kube_requests']:,} Kubernetes requests",
                times(r),
                "≤ 1.3 \u00d7 floor",
                verdict(None if r is None else r <= 1.3),
            ),
            row(
                "P4",
                "restart: cloud writes / cloud reads",
                "0 / 0",
                f"{orr['cloud_writes']:,} / {orr['cloud_reads']:,}",
                DASH,
                f"0 / ≤ {gateways} (one per scope)",
                verdict(orr["cloud_writes"] == 0 and orr["cloud_reads"] <= gateways),
            ),
        ]
    fl, ol = floor.get("latency"), ours.get("latency")
    if fl and ol:
        for name, key in (("p50", "p50_ms"), ("p95", "p95_ms")):
            r = ratio(ol.get(key), fl.get(key))
            lines.append(
                row(
                    "P5",
                    f"apply → ACTIVE {name}, {len(ol['samples_ms'])} single rules on top of {n:,}",
                    ms(fl.get(key)),
                    ms(ol.get(key)),
                    times(r),
                    "≤ 2 \u00d7 floor",
                    verdict(None if r is None else r <= 2),
                )
            )
    return lines


def other_table(result: Result) -> list[str]:
    n = int(result["config"]["count"])
    floor, ours = result["floor"], result["ours"]
    fc, oc = floor.get("convergence") or {}, ours.get("convergence") or {}
    fi, oi = floor.get("idle") or {}, ours.get("idle") or {}
    lines = [row("figure", "no-op kopf floor", "cloudnet run", "ratio"), row(*["---"] * 4)]

    def add(
        label: str,
        key: str,
        fmt: Callable[[Any], str],
        f: Any = None,
        o: Any = None,
        *,
        compare: bool = True,
    ) -> None:
        a = fc.get(key) if f is None else f
        b = oc.get(key) if o is None else o
        lines.append(row(label, fmt(a), fmt(b), times(ratio(b, a)) if compare else DASH))

    add("rules converged", "converged", lambda v: DASH if v is None else f"{int(v):,} / {n:,}")
    add("first ACTIVE after start", "first_active_s", lambda v: secs(v, 2))
    add("half of the rules ACTIVE", "p50_active_s", secs)
    add("all ACTIVE", "all_active_s", secs)
    add("quiet again after convergence", "quiet_s", secs)
    add("operator CPU until all ACTIVE", "cpu_all_active_s", secs)
    add("operator CPU per rule, until quiet, start-up excluded", "cpu_per_rule_ms", ms)
    add("simulator CPU until all ACTIVE", "sim_cpu_all_active_s", secs, compare=False)
    add("test Kubernetes API CPU until all ACTIVE (its thread)", "api_cpu_all_active_s", secs)
    add("RSS when all ACTIVE", "rss_all_active_mb", mb)
    add("RSS settled", "rss_settled_mb", mb)
    add("idle RSS (empty namespace)", "", mb, fi.get("rss_mb"), oi.get("rss_mb"))
    add("start-up CPU (empty namespace)", "", secs, fi.get("cpu_s"), oi.get("cpu_s"))
    add(
        "log lines per rule (INFO)",
        "",
        lambda v: DASH if v is None else f"{float(v):.1f}",
        None if not fc else fc["log_lines"] / n,
        None if not oc else oc["log_lines"] / n,
    )
    return lines


def per_resource_tables(result: Result) -> list[str]:
    n = int(result["config"]["count"])
    floor, ours = result["floor"], result["ours"]
    out: list[str] = []

    def table(title: str, columns: Sequence[tuple[str, Mapping[str, float] | None, float]]) -> None:
        keys = sorted({k for _, counts, _ in columns if counts for k in counts})
        if not keys:
            return
        out.append(f"**{title}**")
        out.append("")
        out.append(row("", *(label for label, _, _ in columns)))
        out.append(row(*["---"] * (len(columns) + 1)))
        for key in keys:
            cells = []
            for _, counts, divisor in columns:
                value = (counts or {}).get(key)
                cells.append(DASH if value is None or divisor <= 0 else f"{value / divisor:.3g}")
            out.append(row(f"`{key}`", *cells))
        totals = []
        for _, counts, divisor in columns:
            totals.append(
                DASH if not counts or divisor <= 0 else f"{sum(counts.values()) / divisor:.3g}"
            )
        out.append(row("**total**", *totals))
        out.append("")

    fc, oc = floor.get("convergence") or {}, ours.get("convergence") or {}
    table(
        f"Kubernetes requests per rule, start → quiet, N = {n:,} (verb resource)",
        [("floor", fc.get("kube"), n), ("ours", oc.get("kube"), n)],
    )
    table(
        f"Cloud calls per rule, start → quiet, N = {n:,}",
        [("ours", oc.get("cloud"), n)],
    )
    fw, ow = floor.get("window"), ours.get("window")
    if ow and ow["passes"]:
        table(
            f"Steady state, per drift pass ({ow['passes']} passes in {ow['seconds']:.0f} s)",
            [
                ("ours: Kubernetes", ow.get("kube"), ow["passes"]),
                ("ours: cloud", ow.get("cloud"), ow["passes"]),
            ],
        )
    if fw and ow:
        table(
            "Steady state, requests over the whole window (no drift checks in the floor)",
            [
                (f"floor: Kubernetes ({fw['seconds']:.0f} s)", fw.get("kube"), 1),
                (f"ours: Kubernetes ({ow['seconds']:.0f} s)", ow.get("kube"), 1),
                (f"ours: cloud ({ow['seconds']:.0f} s)", ow.get("cloud"), 1),
            ],
        )
    fr, orr = floor.get("restart"), ours.get("restart")
    if fr and orr:
        table(
            f"Restart with {n:,} ACTIVE, start → quiet, per rule",
            [
                ("floor: Kubernetes", fr.get("kube"), n),
                ("ours: Kubernetes", orr.get("kube"), n),
                ("ours: cloud", orr.get("cloud"), n),
            ],
        )
    fl, ol = floor.get("latency"), ours.get("latency")
    if fl and ol:
        table(
            "Single new rules on top of N, per rule (apply → ACTIVE + 1 s)",
            [
                ("floor: Kubernetes", fl.get("kube_per_rule"), 1),
                ("ours: Kubernetes", ol.get("kube_per_rule"), 1),
                ("ours: cloud", ol.get("cloud_per_rule"), 1),
            ],
        )
    for rated in result.get("rated") or []:
        table(
            f"Rate-limited run, cloud limit {rated['limit']:g}/s, "
            f"`--cloud-rate {rated['cloud_rate']:g}`, per rule "
            f"(429 answers included: {rated['throttled']:,})",
            [("ours: cloud", rated.get("cloud"), rated["count"])],
        )
    return out


def plots(result: Result, directory: Path, suffix: str) -> list[tuple[str, Path]]:
    directory.mkdir(parents=True, exist_ok=True)
    n = int(result["config"]["count"])
    floor, ours = result["floor"], result["ours"]
    made: list[tuple[str, Path]] = []
    curves = [
        Series(
            f"{label} ({side['convergence']['converged']:,} rules)",
            [(float(x), float(y)) for x, y in side["convergence"]["curve"]],
            step=True,
        )
        for label, side in (("no-op kopf floor", floor), ("cloudnet run", ours))
        if side.get("convergence")
    ]
    if curves:
        path = directory / f"convergence{suffix}.svg"
        path.write_text(
            line_chart(
                curves,
                title=f"DnatRules ACTIVE after the operator starts (N = {n:,})",
                xlabel="seconds since the operator process started",
                ylabel="rules ACTIVE",
            )
        )
        made.append(("Convergence", path))
    rss = [
        Series(label, [(float(x), float(y)) for x, y in side["rss_series"]])
        for label, side in (("no-op kopf floor", floor), ("cloudnet run", ours))
        if side.get("rss_series")
    ]
    if rss:
        path = directory / f"rss{suffix}.svg"
        path.write_text(
            line_chart(
                rss,
                title=f"Operator RSS, convergence then steady state (N = {n:,})",
                xlabel="seconds since the operator process started",
                ylabel="RSS (MB)",
            )
        )
        made.append(("RSS", path))
    for label, side in (("floor", floor), ("ours", ours)):
        conv = side.get("convergence") or {}
        line = conv.get("timeline")
        if not line:
            continue
        bucket = float(line["bucket_s"])
        kinds = sorted(line["kube"].items(), key=lambda kv: -sum(kv[1]))
        picked = [(f"Kubernetes: {k}", v) for k, v in kinds[:5]]
        if line["cloud"]:
            calls = [sum(column) for column in zip(*line["cloud"].values(), strict=True)]
            picked.append(("cloud: every call", calls))
        series = [
            Series(name, [(i * bucket, n / bucket) for i, n in enumerate(counts)], step=True)
            for name, counts in picked
        ]
        path = directory / f"requests-{label}{suffix}.svg"
        path.write_text(
            line_chart(
                series,
                title=f"{'No-op kopf floor' if label == 'floor' else 'cloudnet run'}: "
                f"requests per second by kind, start to quiet (N = {n:,})",
                xlabel="seconds since the operator process started",
                ylabel="requests per second",
                height=460,
            )
        )
        made.append((f"Requests per second ({label})", path))
    return made


def machine_table(results: Sequence[Result]) -> list[str]:
    m = results[0]["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        row("", ""),
        row("---", "---"),
        row("CPU", f"{m['nproc']} cores available ({m['cpu']})"),
        row("memory", f"{m['memory_gib']} GiB"),
        row("Python", m["python"]),
        row("platform", m["platform"]),
        row("packages", versions),
    ]
    for result in results:
        rm = result["machine"]
        changed = ", ".join(f"`{path}`" for path in rm.get("uncommitted") or [])
        scope = "convergence only" if result["config"]["convergence_only"] else "every figure"
        lines.append(
            row(
                f"run N = {result['config']['count']:,} ({scope})",
                f"{result['date']}, {result['duration_s'] / 60:.1f} min, commit "
                f"`{rm['commit']}`"
                + (f" with uncommitted changes to {changed}" if changed else "")
                + f", load average {rm['loadavg_start'][0]} at the start, "
                f"{rm.get('loadavg_end', ['?'])[0]} at the end",
            )
        )
    return lines


METHOD = """\
Both operators run as real processes against the same test Kubernetes API
(`cloudnet_devkit.kubeapi`, served inside the benchmark process, which records every
request and the moment each DnatRule first shows `status.phase: ACTIVE`) and
the same `cloudnet sim` process (Huawei NAT v2; no create, update or delete
delay; no throttling except in the rate-limited runs; an inventory generated
with one NAT gateway and one EIP per 200 rules, the quota per gateway).

- **floor**: `bench/floor_operator.py`, a kopf operator with one create
  handler on `dnatrules.cloudnet.dev` that sets `status.phase: ACTIVE`,
  configured like `cloudnet run` (annotations for progress and diff-base,
  posting off, scanning off, `idle_timeout` 1 s, standalone, INFO logging).
- **ours**: `cloudnet run --namespace NS --cloud-rate C --drift-interval D`.

Each operator watches its own namespace; the N rules (same specs for both)
are created there first (HTTP, 16 at a time), then the operator starts.
Times count from the operator's process start (its imports included).

- *all ACTIVE* / *first ACTIVE*: the last / first rule's first ACTIVE.
- *quiet*: the last request after which neither the Kubernetes API (requests
  of the operator) nor the simulator saw any for the quiet period.
- *CPU per rule*: utime + stime of the process (`/proc/PID/stat`) when quiet,
  minus the start-up CPU of the same operator on an empty namespace, over N.
- *RSS settled*: VmRSS after quiet plus the settle period; *idle RSS*: the
  operator started on an empty namespace, when quiet.
- *steady state*: RSS and requests over a window after that (ours runs drift
  passes every D s; a pass is a burst of `ListNatGatewayDnatRules` calls).
- *restart*: SIGINT, start again with the N rules ACTIVE, until quiet.
- *apply → ACTIVE*: single new rules created one at a time (the next 0.2 s
  after the previous one is ACTIVE), from the POST to the first ACTIVE.
- *rate-limited*: fresh rules in a new namespace, the simulator throttling
  each access key at R calls/s (burst R), ours with `--cloud-rate R` and
  with `--cloud-rate` above R; N/R is the bound (one create per rule).
"""


#: ``bench/scale.py`` defaults, to name only the options a run changed
DEFAULTS = {
    "quiet": ("--quiet", 5.0),
    "settle": ("--settle", 10.0),
    "window": ("--window", 600.0),
    "floor_window": ("--floor-window", 60.0),
    "drift_interval": ("--drift-interval", 20.0),
    "cloud_rate": ("--cloud-rate", 100000.0),
    "rate": ("--rate", 50.0),
    "latency_rules": ("--latency-rules", 20),
}


def rerun_command(result: Result, json_path: str | None = None) -> str:
    """The ``bench/scale.py`` command line that measures what ``result`` holds."""
    cfg = result["config"]
    words = [".venv/bin/python", "bench/scale.py"]
    if cfg.get("small"):
        words.append("--small")
    else:
        words += ["--count", str(cfg["count"])]
        if cfg.get("convergence_only"):
            words.append("--convergence-only")
        for key, (flag, default) in DEFAULTS.items():
            if key in cfg and float(cfg[key]) != float(default):
                words += [flag, f"{cfg[key]:g}"]
    if json_path:
        words += ["--json", json_path]
    return " ".join(words)


def settings(result: Result) -> str:
    cfg = result["config"]
    text = (
        f"Settings: quiet period {cfg['quiet']:g} s, settle {cfg['settle']:g} s, "
        f"`--cloud-rate {cfg['cloud_rate']:g}`, `--drift-interval {cfg['drift_interval']:g}`"
    )
    if not cfg["convergence_only"]:
        text += (
            f", steady-state window {cfg['window']:g} s (floor {cfg['floor_window']:g} s), "
            f"{cfg['latency_rules']} latency rules, rate-limited runs of "
            f"{cfg['rate_count']:,} rules at {cfg['rate']:g} calls/s "
            f"(`--cloud-rate {cfg['rate']:g}` and `{cfg['over_rate']:g}`)"
        )
    return text + f", {result['gateways']} NAT gateways in the inventory."


def render(
    results: Sequence[Result],
    output: Path,
    *,
    notes: str = "",
    commands: Sequence[str] = (),
) -> str:
    plot_dir = output.parent / output.stem
    lines = [
        "# Performance at scale",
        "",
        "Tracker issue 11: `cloudnet run` measured beside a no-op kopf operator (the",
        "framework's floor) in the same run, against the same test Kubernetes API and",
        "cloud simulator. Generated by `bench/scale.py`; re-run with",
        "",
        "```sh",
        *commands,
        "```",
        "",
        "## Method",
        "",
        METHOD,
        "## Machine",
        "",
        *machine_table(results),
        "",
        "**The machine was shared** with other sessions running tests while these",
        "figures were taken (see the load averages): absolute times are noisy, the",
        "floor and ours were measured minutes apart in the same run.",
        "",
    ]
    seen: dict[int, int] = {}
    for result in results:
        cfg = result["config"]
        n = int(cfg["count"])
        seen[n] = seen.get(n, 0) + 1
        suffix = f"-n{n}" + ("" if seen[n] == 1 else f"-{seen[n]}")
        scope = "convergence only" if cfg["convergence_only"] else "every figure"
        lines += [
            f"## N = {n:,} ({scope})",
            "",
            settings(result),
            "",
            "### Targets",
            "",
            *p_table(result),
            "",
            "### Other figures",
            "",
            *other_table(result),
            "",
            "### Calls per resource",
            "",
            *per_resource_tables(result),
        ]
        made = plots(result, plot_dir, suffix)
        if made:
            lines += ["### Plots", ""]
            for title, path in made:
                rel = os.path.relpath(path, output.parent)
                lines += [f"![{title}, N = {n:,}]({rel})", ""]
    if notes.strip():
        lines += [notes.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"
