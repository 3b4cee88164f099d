"""Benchmark 3: the scans at scale, each at two sizes, with time and the service process's memory.

Each (scan, size) runs as two processes: one generates the data straight into a fresh SQLite
database through the store's tables (bulk inserts), then a fresh process — standing for the
service — opens the store and times the use case once, reporting its own peak RSS
(ru_maxrss: interpreter and imports included, as a service would carry them).

    python -m bench.scans generate|scan KIND SIZE WORK_DIR   → one JSON line
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.procs import ROOT
from bench.services import NOW, TODAY

CERT_CODES = ("BLS", "RN-CA", "ACLS", "PALS", "CCRN")
CHUNK = 20_000
# Sizes (full run): small, large. Reminders in staff (5 certifications each); reorder in units
# (2,000 items each); eligibility in candidates; compliance in people on one unit.
SIZES = {
    "reminders": (20_000, 100_000),
    "reorder": (10, 50),
    "eligibility": (100, 500),
    "compliance": (200, 1_000),
}
ITEMS_PER_UNIT = 2_000
HISTORY_DAYS = 180
# Share of days an item is used at a location: cabinets record use, and most items are not used
# every day (the demo's history is like this too); keeps 180 days of 100k locations generable.
USE_PER_DAY = 0.2


def _database(work_dir: Path, kind: str, size: int) -> str:
    path = work_dir / f"scan-{kind}-{size}.db"
    return f"sqlite:///{path}"


def _bulk(engine: Any, table: Any, rows: list[dict]) -> None:
    from sqlalchemy import insert

    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start:start + CHUNK])


# ---- training: reminders and compliance -------------------------------------------------------

def _training_store(url: str, fresh: bool) -> Any:
    from clinops.demo.hospital import build_hospital
    from services.training import seed as training_seed
    from services.training import store as training_store

    if fresh:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        training_store.migrate(url)
        store = training_store.TrainingStore.open(url)
        training_seed.seed_demo(store, build_hospital(TODAY))
        return store
    return training_store.TrainingStore.open(url)


def generate_training(url: str, staff_count: int, *, one_unit: str | None) -> int:
    """`staff_count` RNs (on `one_unit`, or spread over the demo units) with 5 records each."""
    from services.training.tables import RecordRow, StaffRow

    store = _training_store(url, fresh=True)
    units = [u.unit_id for u in store.list_units()]
    rng = random.Random(8)
    staff, records = [], []
    for n in range(staff_count):
        staff_id = f"SX{n:07d}"
        staff.append({"staff_id": staff_id, "display_name": f"Scale Nurse {n:07d}", "role": "RN",
                      "home_unit_id": one_unit or units[n % len(units)],
                      "slack_team_id": "T0CLINOPS", "slack_user_id": f"UX{n:07d}",
                      "duties": ""})
        for code in CERT_CODES:
            # A renewal replaces the record, so most expiries lie ahead (spread over two years,
            # some crossing a threshold today); about one in fifty has lapsed within two years.
            ahead = rng.randint(0, 2 * 365) if rng.random() >= 0.02 else -rng.randint(1, 730)
            expires = TODAY + timedelta(days=ahead)
            records.append({"record_id": f"RX{n:07d}{code}", "staff_id": staff_id,
                            "certification_code": code, "issued_on": expires - timedelta(730),
                            "expires_on": expires, "expiry_derived": False,
                            "evidence_reference": "", "verified_by": None,
                            "verified_at": None})
    _bulk(store.engine, StaffRow.__table__, staff)
    _bulk(store.engine, RecordRow.__table__, records)
    store.close()
    return len(records)


def scan_reminders(url: str) -> tuple[float, int]:
    from services.training import usecases

    store = _training_store(url, fresh=False)
    began = time.perf_counter()
    expiring = usecases.list_expiring(on=TODAY, since=TODAY - timedelta(days=1), unit_id="",
                                      store=store)
    return time.perf_counter() - began, len(expiring)


def scan_compliance(url: str) -> tuple[float, int]:
    from clinops.clock import fixed_clock
    from clinops.demo.hospital import build_hospital
    from services.training import usecases

    store = _training_store(url, fresh=False)
    manager = next(s for s in build_hospital(TODAY).staff
                   if s.home_unit_id == "ICU" and "MANAGER" in s.duties)
    began = time.perf_counter()
    compliance, with_gaps = usecases.get_unit_compliance(
        unit_id="ICU", on=TODAY, slack_team_id=manager.slack_team_id,
        slack_user_id=manager.slack_user_id, store=store, clock=fixed_clock(NOW))
    took = time.perf_counter() - began
    assert with_gaps, "the ICU manager sees the gaps"
    return took, len(compliance.gaps)


# ---- supplies: the reorder scan ----------------------------------------------------------------

def generate_supplies(url: str, units: int) -> int:
    """`units` × 2,000 item-locations with 180 days of (sparse) daily use."""
    from services.supplies import store as supplies_store
    from services.supplies.tables import ConsumptionRow, ItemRow, StockRow, UnitRow

    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    supplies_store.migrate(url)
    store = supplies_store.SuppliesStore.open(url)
    rng = random.Random(9)
    unit_rows = [{"unit_id": f"U{n:03d}", "name": f"Unit {n}", "slack_channel_id": f"C{n:08d}",
                  "time_zone": "America/Los_Angeles", "monthly_budget_cents": 10_000_000}
                 for n in range(units)]
    items = [{"sku": f"SKU{n:05d}", "name": f"Item {n}", "unit_of_issue": "each",
              "pack_size": rng.choice((1, 5, 10, 25)), "unit_cost_cents": rng.randint(50, 5000),
              "supplier": "Bench Supply", "lead_time_days": float(rng.randint(1, 7)),
              "lead_time_stddev_days": 0.5, "critical": n % 10 == 0, "substitute_skus": "",
              "service_level": 0.95, "use_eoq": False, "order_cost_cents": 0,
              "holding_cost_cents_per_year": 0} for n in range(ITEMS_PER_UNIT)]
    _bulk(store.engine, UnitRow.__table__, unit_rows)
    _bulk(store.engine, ItemRow.__table__, items)
    first = TODAY - timedelta(days=HISTORY_DAYS)
    locations = 0
    for unit in unit_rows:
        stock, used = [], []
        for item in items:
            mean = rng.uniform(1, 20)
            days = [d for d in range(HISTORY_DAYS) if rng.random() < USE_PER_DAY]
            used += [{"unit_id": unit["unit_id"], "sku": item["sku"],
                      "day": first + timedelta(days=d),
                      "quantity": max(1, int(rng.gauss(mean, mean / 3)))} for d in days]
            # About one location in twenty sits at or below its reorder point.
            on_hand = rng.randint(0, 5) if rng.random() < 0.05 else rng.randint(200, 400)
            stock.append({"unit_id": unit["unit_id"], "sku": item["sku"], "par": 400,
                          "fixed_reorder_point": None, "on_hand": on_hand, "on_order": 0,
                          "counted_at": None})
            locations += 1
        _bulk(store.engine, StockRow.__table__, stock)
        _bulk(store.engine, ConsumptionRow.__table__, used)
    store.close()
    return locations


def scan_reorder(url: str) -> tuple[float, int]:
    from clinops.clock import fixed_clock
    from services.supplies import store as supplies_store
    from services.supplies import usecases

    store = supplies_store.SuppliesStore.open(url)
    began = time.perf_counter()
    proposals = usecases.scan_reorders(store=store, clock=fixed_clock(NOW))
    return time.perf_counter() - began, sum(len(p.lines) for p in proposals)


# ---- staffing: eligibility of many candidates for one shift -----------------------------------

def scan_eligibility(work_dir: Path, candidates: int) -> tuple[float, int]:
    """ListCandidates for one open ICU shift with `candidates` extra ICU RNs, training over gRPC."""
    from bench.services import start
    from clinops.clock import fixed_clock
    from clinops.demo.hospital import build_hospital
    from services.staffing.candidates import list_candidates
    from services.staffing.eligibility import ClaimRules
    from services.staffing.training_client import TrainingChecker

    found = start(work_dir / f"eligibility-{candidates}", candidates)
    manager = next(s for s in build_hospital(TODAY).staff
                   if s.home_unit_id == "ICU" and "MANAGER" in s.duties)
    checker = TrainingChecker.connect(f"127.0.0.1:{found['training_port']}")
    try:
        began = time.perf_counter()
        answer = list_candidates(
            open_shift_id=str(found["open_shift_id"]), unit_id="", day=None, shift=None,
            slack_team_id=manager.slack_team_id, slack_user_id=manager.slack_user_id,
            store=found["stores"]["staffing"], clock=fixed_clock(NOW), certifications=checker,
            rules=ClaimRules())
        took = time.perf_counter() - began
    finally:
        for server in found["servers"]:
            server.stop(grace=None)
    return took, len(answer.candidates)


# ---- driving ------------------------------------------------------------------------------------

def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(phase: str, kind: str, size: int, work_dir: Path) -> dict:
    """One phase in this process; what it measured."""
    url = _database(work_dir, kind, size)
    if phase == "generate":
        began = time.perf_counter()
        if kind == "reminders":
            rows = generate_training(url, size, one_unit=None)
        elif kind == "compliance":
            rows = generate_training(url, size, one_unit="ICU")
        elif kind == "reorder":
            rows = generate_supplies(url, size)
        else:
            rows = 0
        return {"generated_rows": rows, "generate_s": round(time.perf_counter() - began, 2)}
    scans = {"reminders": scan_reminders, "compliance": scan_compliance,
             "reorder": scan_reorder}
    if kind == "eligibility":
        took, found = scan_eligibility(work_dir, size)
    else:
        took, found = scans[kind](url)
    return {"scan_s": round(took, 3), "found": found, "peak_rss_mb": _peak_rss_mb()}


def _run_child(phase: str, kind: str, size: int, work_dir: Path, timeout: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.scans", phase, kind, str(size),
                           str(work_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{kind} {phase} at {size} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def units_of(kind: str, size: int) -> str:
    """What a size counts, in words for the table."""
    return {"reminders": f"{size:,} staff × 5 certifications = {size * 5:,} records",
            "reorder": f"{size} units × {ITEMS_PER_UNIT:,} items = {size * ITEMS_PER_UNIT:,} "
                       f"item-locations, {HISTORY_DAYS} days of use",
            "eligibility": f"{size:,} candidates for one shift",
            "compliance": f"{size:,} people on one unit"}[kind]


def run(*, work_dir: Path, sizes: dict[str, tuple[int, ...]] | None = None,
        timeout: float = 600.0, in_process: bool = False) -> dict:
    """Every scan at each of its sizes: generate, then scan in a fresh process.

    `in_process` (the smoke run) skips the fresh processes: quicker, but RSS means nothing then.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, kind_sizes in (sizes or SIZES).items():
        for size in kind_sizes:
            if in_process:
                made = child("generate", kind, size, work_dir)
                measured = child("scan", kind, size, work_dir)
            else:
                made = _run_child("generate", kind, size, work_dir, timeout)
                measured = _run_child("scan", kind, size, work_dir, timeout)
            rows.append({"scan": kind, "size": size, "what": units_of(kind, size), **made,
                         **measured})
            Path(_database(work_dir, kind, size).removeprefix("sqlite:///")).unlink(
                missing_ok=True)
    return {"benchmark": "scans", "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": rows, "checks": {"ok": all(r["found"] >= 0 for r in rows), "problems": []}}


if __name__ == "__main__":
    phase, kind, size, work = sys.argv[1:5]
    print(json.dumps(child(phase, kind, int(size), Path(work))), flush=True)
