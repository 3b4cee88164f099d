"""The benchmarks run end to end at a tiny size and their correctness checks hold (not speed)."""

import json
from pathlib import Path

from bench.__main__ import run_all


def test_every_benchmark_runs_at_a_tiny_size_and_its_checks_hold(tmp_path: Path) -> None:
    results = run_all(out=tmp_path, quick=True)

    assert set(results) == {"shift_gap_http", "claim_contention", "scans", "event_delivery"}
    for name, result in results.items():
        assert result["checks"]["ok"], (name, result["checks"]["problems"])
        assert json.loads((tmp_path / f"{name}.json").read_text())["benchmark"] == name
    shift_gap = {(r["variant"], r["concurrency"]): r for r in results["shift_gap_http"]["rows"]}
    clinops = shift_gap[("clinops", 16)]
    # /shift-gap answers in its ack: every measured request carried the shift's reply.
    assert clinops["replies"] >= clinops["requests"] > 0
    assert clinops["replies_marked"] == clinops["replies"]
    assert results["claim_contention"]["outcomes"]["CLAIM_OUTCOME_AWARDED"] == 1
    assert {r["scan"] for r in results["scans"]["rows"]} == {
        "reminders", "reorder", "eligibility", "compliance"}
    assert results["event_delivery"]["posted"] == results["event_delivery"]["events"]
    tables = (tmp_path / "tables.md").read_text()
    assert "ClinOps / (b) throughput" in tables and "Claim under contention" in tables
