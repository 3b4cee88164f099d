"""`python -m bench [--quick] [--only NAME ...] [--out DIR]`: run the benchmarks, write the results.

Writes DIR/<benchmark>.json (raw figures) and DIR/tables.md (BENCHMARKS.md-ready), default
bench/results/. --quick runs every benchmark at a tiny size (the smoke test's size): it checks
that they run and that their correctness checks hold, not their speed. Exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import claims, events, http_e2e, report, scans
from bench.procs import ROOT

QUICK_SCANS = {"reminders": (200,), "reorder": (1,), "eligibility": (5,), "compliance": (20,)}


def run_all(*, out: Path, quick: bool, only: list[str] | None = None) -> dict[str, dict]:
    """Run the chosen benchmarks; write and return their results."""
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="clinops-bench-") as scratch:
        work = Path(scratch)
        plan = {
            "shift_gap_http": lambda: http_e2e.run(
                work_dir=work, seconds=0.3 if quick else 5.0, warmup=0.1 if quick else 1.0,
                levels=(1, 16) if quick else http_e2e.CONCURRENCY),
            "claim_contention": lambda: claims.run(work_dir=work,
                                                   claimants=8 if quick else claims.CLAIMANTS),
            "scans": lambda: scans.run(work_dir=work / "scans",
                                       sizes=QUICK_SCANS if quick else None, in_process=quick),
            "event_delivery": lambda: events.run(work_dir=work,
                                                 events=50 if quick else events.EVENTS),
        }
        for name, bench in plan.items():
            if only and name not in only:
                continue
            began = time.monotonic()
            print(f"bench: {name} …", file=sys.stderr, flush=True)
            results[name] = bench()
            results[name]["wall_s"] = round(time.monotonic() - began, 1)
            (out / f"{name}.json").write_text(json.dumps(results[name], indent=2) + "\n")
            print(f"bench: {name} done in {results[name]['wall_s']} s", file=sys.stderr,
                  flush=True)
    (out / "tables.md").write_text(report.tables(results))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="*", help="benchmark names to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    results = run_all(out=args.out, quick=args.quick, only=args.only)
    print((args.out / "tables.md").read_text())
    failed = [name for name, r in results.items() if not r.get("checks", {}).get("ok", True)]
    if failed:
        print(f"bench: checks failed in {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
