"""Benchmark 2: 64 simultaneous claims for one open slot — exactly one award, every answer timed.

The staffing and training services run in their own process (bench.services) on SQLite seeded
with the demo hospital plus 64 fully certified ICU nurses; each claim is a ClaimOpenShift over
real gRPC carrying its nurse's Slack identity, all released at once. Staffing asks training
about each claimant's certifications, as in production.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc

from bench.loadclient import percentile
from bench.procs import Child
from bench.services import claimant_user_id
from clinops.demo.hospital import DEMO_TEAM_ID
from clinops.rpc import Caller, caller_metadata
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc

CLAIMANTS = 64
DEADLINE_SECONDS = 30.0


async def _claim_all(port: int, open_shift_id: str, claimants: int) -> list[tuple[str, float]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = staffing_pb2_grpc.StaffingServiceStub(channel)
        await channel.channel_ready()
        start = asyncio.Event()

        async def claim(number: int) -> tuple[str, float]:
            metadata = caller_metadata(Caller(slack_team_id=DEMO_TEAM_ID,
                                              slack_user_id=claimant_user_id(number)))
            await start.wait()
            began = time.perf_counter()
            try:
                answer = await stub.ClaimOpenShift(
                    staffing_pb2.ClaimOpenShiftRequest(open_shift_id=open_shift_id),
                    metadata=metadata, timeout=DEADLINE_SECONDS)
                outcome = staffing_pb2.ClaimOutcome.Name(answer.outcome)
            except grpc.aio.AioRpcError as error:
                outcome = f"error {error.code().name}"
            return outcome, time.perf_counter() - began

        tasks = [asyncio.create_task(claim(n)) for n in range(claimants)]
        await asyncio.sleep(0.05)  # every task is waiting at the start line
        start.set()
        return await asyncio.gather(*tasks)


def run(*, work_dir: Path, claimants: int = CLAIMANTS) -> dict:
    """One open slot, `claimants` claims at once; outcomes, latencies and the checks."""
    with Child("bench.services", str(work_dir / "claims"), str(claimants)) as services:
        port = int(services.expect("STAFFING"))
        open_shift_id = services.expect("OPEN_SHIFT")
        services.expect("READY")
        began = time.perf_counter()
        answers = asyncio.run(_claim_all(port, open_shift_id, claimants))
        took = time.perf_counter() - began
    outcomes: dict[str, int] = {}
    for outcome, _ in answers:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    latencies = sorted(seconds for _, seconds in answers)
    awards = outcomes.get("CLAIM_OUTCOME_AWARDED", 0)
    problems = []
    if awards != 1:
        problems.append(f"{awards} awards for one slot")
    others = claimants - awards - outcomes.get("CLAIM_OUTCOME_ALREADY_FILLED", 0)
    if others:
        problems.append(f"{others} answers neither the award nor 'already filled': {outcomes}")
    return {
        "benchmark": "claim_contention",
        "claimants": claimants,
        "outcomes": outcomes,
        "all_answered_s": round(took, 3),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "min_ms": round(latencies[0] * 1000, 1),
        "checks": {"ok": not problems, "problems": problems},
    }
