"""The services under test, in their own process: staffing (and training) seeded with the demo
hospital on a fixed clock, over real gRPC on ports the OS picks.

Run: `python -m bench.services DATABASE_DIR [CLAIMANTS]`; prints `STAFFING n`, `TRAINING n` and,
with CLAIMANTS > 0, `OPEN_SHIFT id` (one ICU RN slot tomorrow day that CLAIMANTS extra, fully
certified ICU nurses may claim). Stops at EOF on stdin.
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from clinops.clock import fixed_clock
from clinops.demo.hospital import DemoCertification, DemoHospital, DemoStaff, build_hospital

# 10:30 in San Francisco on the demo hospital's "today" (as in tests/e2e).
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)
CLAIM_CODES = ("BLS", "RN-CA", "ACLS")


def claimant_user_id(number: int) -> str:
    """Slack user id of the n-th bench claimant."""
    return f"U0BENCH{number:04d}"


def with_claimants(hospital: DemoHospital, count: int) -> DemoHospital:
    """The demo hospital plus `count` ICU RNs with no shifts and every ICU RN certification."""
    staff = [DemoStaff(
        staff_id=f"SB{n:05d}", display_name=f"Bench Nurse {n:04d}", role="RN",
        employment_type="UNIT_STAFF", home_unit_id="ICU", slack_team_id=hospital.team_id,
        slack_user_id=claimant_user_id(n), duties=(), oriented_categories=("ICU",),
    ) for n in range(count)]
    certifications = [
        DemoCertification(person.staff_id, code, TODAY - timedelta(days=100),
                          TODAY + timedelta(days=600))
        for person in staff for code in CLAIM_CODES
    ]
    return dataclasses.replace(hospital, staff=hospital.staff + tuple(staff),
                               certifications=hospital.certifications + tuple(certifications))


def start(database_dir: Path, claimants: int = 0) -> dict[str, object]:
    """Migrate, seed and start training then staffing; returns ports, servers and stores."""
    from services.staffing import seed as staffing_seed
    from services.staffing import server as staffing_server
    from services.staffing import store as staffing_store
    from services.staffing.model import OpenShift, Role, Shift
    from services.training import seed as training_seed
    from services.training import server as training_server
    from services.training import store as training_store

    hospital = with_claimants(build_hospital(TODAY), claimants)
    clock = fixed_clock(NOW)
    database_dir.mkdir(parents=True, exist_ok=True)
    opened = {}
    for name, module, store_class, seed in (
        ("training", training_store, training_store.TrainingStore, training_seed),
        ("staffing", staffing_store, staffing_store.StaffingStore, staffing_seed),
    ):
        database = database_dir / f"{name}.db"
        database.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
        module.migrate(url)
        opened[name] = store_class.open(url)
        seed.seed_demo(opened[name], hospital)
    training, training_port = training_server.create_server(store=opened["training"],
                                                            clock=clock)
    training.start()
    staffing, staffing_port = staffing_server.create_server(
        store=opened["staffing"], clock=clock, training_target=f"127.0.0.1:{training_port}")
    staffing.start()
    found: dict[str, object] = {"staffing_port": staffing_port, "training_port": training_port,
                                "servers": [staffing, training], "stores": opened}
    if claimants:
        shift = opened["staffing"].add_open_shift(OpenShift(
            open_shift_id="OS-BENCH-1", unit_id="ICU", date=TODAY + timedelta(days=1),
            shift=Shift.DAY,
            role=Role.RN, slots=1, reason="bench: one slot, many claims", created_at=NOW))
        found["open_shift_id"] = shift.open_shift_id
    return found


def main() -> None:
    database_dir = Path(sys.argv[1])
    claimants = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    found = start(database_dir, claimants)
    print(f"STAFFING {found['staffing_port']}", flush=True)
    print(f"TRAINING {found['training_port']}", flush=True)
    if "open_shift_id" in found:
        print(f"OPEN_SHIFT {found['open_shift_id']}", flush=True)
    print("READY", flush=True)
    sys.stdin.read()
    for server in found["servers"]:
        server.stop(grace=None).wait(5)


if __name__ == "__main__":
    main()
