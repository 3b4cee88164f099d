"""BENCHMARKS.md-ready tables from the raw results of one run."""

from __future__ import annotations

import os
import platform


def machine() -> str:
    """One line about where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if
                     line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average at the end {load}")


def _ratio(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.0%}" if ceiling else "–"


def shift_gap_table(result: dict) -> str:
    rows = {(r["variant"], r["concurrency"]): r for r in result["rows"]}
    levels = sorted({r["concurrency"] for r in result["rows"] if r["variant"] == "clinops"})
    lines = [
        "| concurrency | ClinOps req/s | p50 ms | p99 ms | ceiling (b) one gRPC call req/s "
        "| p50 ms | p99 ms | ceiling (a) ack only req/s | p99 ms | ClinOps / (b) throughput "
        "| ClinOps p99 / (b) p99 | ClinOps CPU ms/request (bot, services) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for level in levels:
        c, b, a = (rows.get((v, level), {}) for v in ("clinops", "grpc", "ack"))
        cpu = c.get("cpu_ms_per_request", {})
        p99_ratio = f"{c['p99_ms'] / b['p99_ms']:.1f}×" if b.get("p99_ms") else "–"
        lines.append(
            f"| {level} | {c.get('rps', 0):,.0f} | {c.get('p50_ms', 0):.1f} | "
            f"{c.get('p99_ms', 0):.1f} | {b.get('rps', 0):,.0f} | {b.get('p50_ms', 0):.1f} | "
            f"{b.get('p99_ms', 0):.1f} | {a.get('rps', 0):,.0f} | {a.get('p99_ms', 0):.1f} | "
            f"{_ratio(c.get('rps', 0), b.get('rps', 0))} | {p99_ratio} | "
            f"{cpu.get('bot', 0):.2f}, {cpu.get('services', 0):.2f} |")
    extra = [r for r in result["rows"] if r["variant"].startswith(("standin", "clinops-"))]
    if extra:
        lines += ["", "| Slack stand-in | concurrency | req/s | p50 ms | p99 ms |",
                  "|---|---:|---:|---:|---:|"]
        for r in extra:
            lines.append(f"| {r['variant']} | {r['concurrency']} | {r['rps']:,.0f} | "
                         f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    serving = next((r["serving"] for r in result["rows"] if r["variant"] == "clinops"), "")
    lines += ["", f"Serving: {serving}. Checks: {_checks(result)}"]
    return "\n".join(lines)


def claims_table(result: dict) -> str:
    outcomes = ", ".join(f"{k.removeprefix('CLAIM_OUTCOME_').lower()} {v}"
                         for k, v in sorted(result["outcomes"].items()))
    return "\n".join([
        "| claims at once | outcomes | all answered in | p50 ms | p99 ms | max ms |",
        "|---:|---|---:|---:|---:|---:|",
        f"| {result['claimants']} | {outcomes} | {result['all_answered_s']:.2f} s | "
        f"{result['p50_ms']:.0f} | {result['p99_ms']:.0f} | {result['max_ms']:.0f} |",
        "", f"Checks: {_checks(result)}",
    ])


def scans_table(result: dict) -> str:
    lines = ["| scan | size | time s | found | peak RSS MB | data generated in s |",
             "|---|---|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['scan']} | {r['what']} | {r['scan_s']:.3f} | {r['found']:,} | "
                     f"{r['peak_rss_mb']:.0f} | {r['generate_s']:.1f} |")
    return "\n".join(lines)


def events_table(result: dict) -> str:
    if result.get("skipped"):
        return f"Not measured: {result['skipped']}"
    return "\n".join([
        "| events | channels | seconds | events/s | posted | out of order | duplicates |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['events']} | {result['channels']} | {result['seconds']:.2f} | "
        f"{result['events_per_second']:,.0f} | {result['posted']} | {result['out_of_order']} | "
        f"{result['duplicates']} |", "", f"Checks: {_checks(result)}",
    ])


def _checks(result: dict) -> str:
    checks = result.get("checks", {})
    return "all hold" if checks.get("ok") else "FAILED: " + "; ".join(checks.get("problems", []))


def tables(results: dict[str, dict]) -> str:
    """Every benchmark's table under its heading."""
    parts = [f"Measured on: {machine()}."]
    for key, title, render in (
        ("shift_gap_http", "/shift-gap end to end", shift_gap_table),
        ("claim_contention", "Claim under contention", claims_table),
        ("scans", "Scans at scale", scans_table),
        ("event_delivery", "Event delivery", events_table),
    ):
        if key in results:
            parts += [f"### {title}", render(results[key])]
    return "\n\n".join(parts) + "\n"
