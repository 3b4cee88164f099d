"""A service killed in the middle of a command: the nurse is answered in time, nothing half-done.

The staffing service runs as `clinops serve staffing` in its own process. It is frozen (SIGSTOP)
so the bot's RecordCensus is in flight against a process that will never answer, then killed
with SIGKILL, as a crash would.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from clinops.console import slack_user_of
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from services.staffing.seed import seed_demo
from services.staffing.store import StaffingStore, migrate
from tests.faults.fault_fixtures import ServiceProcess, served_bot

# A census is a change: with no answer the bot cannot know it was not recorded, so it says where
# to look rather than that it failed (issue 16 section 4).
MAY_HAVE_GONE_THROUGH = ("Staffing did not answer in time, so the census may have gone through. "
                         "Check `/shift-gap` for the unit before trying again")


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, to show that nothing changed."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {table: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{table}"'))),
                                  key=repr)
                    for table in inspect(connection).get_table_names()}
    finally:
        engine.dispose()


async def reply_to(slack: SlackStandIn, name: str, seconds: float) -> str:
    [reply] = await asyncio.to_thread(slack.wait_for, "response_url", 1, seconds, name=name)
    return reply.body.get("text", "")


async def test_a_service_killed_mid_command_answers_within_3_s_never_as_failed_writing_nothing(
    tmp_path: Path,
) -> None:
    hospital = build_hospital(date.today())
    url = f"sqlite:///{tmp_path / 'staffing.db'}"
    migrate(url)
    store = StaffingStore.open(url)
    seed_demo(store, hospital)
    store.close()
    charge_nurse = slack_user_of(hospital.featured_users()[0])
    staffing = ServiceProcess("staffing", url, tmp_path / "staffing.log").start()
    try:
        with SlackStandIn(team_id=hospital.team_id) as slack:
            async with served_bot(slack, staffing=staffing.target) as bot:
                before = snapshot(url)
                staffing.freeze()
                started = time.monotonic()
                sending = asyncio.create_task(bot.command(charge_nurse, "/census", "ICU 12"))
                await asyncio.sleep(0.3)  # the census call is now waiting on the frozen process
                staffing.kill()
                status, name = await sending
                answer = await reply_to(slack, name, seconds=3)
                assert time.monotonic() - started < 3
                assert status == 200
                assert MAY_HAVE_GONE_THROUGH in answer
                assert "ref " in answer
                assert snapshot(url) == before

                # Back up on the same database, trying again as told records the census: the
                # bot finds the restarted service by itself within a couple of tries.
                staffing.start()
                answers = []
                for _ in range(6):
                    status, name = await bot.command(charge_nurse, "/census", "ICU 12")
                    answers.append(await reply_to(slack, name, seconds=5))
                    if "did not answer" not in answers[-1]:
                        break
                    await asyncio.sleep(0.5)
                assert "did not answer" not in answers[-1], answers
                assert len(answers) <= 3
                assert snapshot(url) != before
    finally:
        staffing.kill()
