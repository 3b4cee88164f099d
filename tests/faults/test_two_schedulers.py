"""Two `clinops scheduler` processes: each reminder goes out once; kill -9 the leader, the other
takes over and runs the job from then on, sending nothing twice.

Both processes share a private Redis (the leader lock, TTL 1.5 s, polled every 0.3 s) and the
scheduler database (job store and scan marks), and ask a real training service on port 0. The
certification-reminder job normally runs daily at 07:00; here each process is the real
`clinops scheduler` with that one job on a 1 s interval instead, so the test waits seconds. The
job has training queue the reminders as events; training's relay publishes them to the same
Redis and a real `clinops notifier` DMs them and records them sent in training.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from clinops.clock import system_clock
from clinops.outbox import RedisPublisher
from clinops.slack_standin import SlackStandIn
from services.staffing.model import Unit, UnitCategory
from services.staffing.server import create_server as create_staffing_server
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.training import outbox as training_outbox
from services.training.reminders import reminder_key
from services.training.server import create_server
from services.training.store import TrainingStore, migrate
from tests.faults.fault_fixtures import CLINOPS, ROOT, stop_process, wait_until
from tests.faults.test_redis_down import private_redis
from tests.training.training_fixtures import card, populate

ZONE = "America/Los_Angeles"
# The real `clinops scheduler`, with the reminder job every second instead of daily at 07:00.
REMINDERS_EVERY_SECOND = """
import sys
from apscheduler.triggers.interval import IntervalTrigger
from bot.scheduler import jobs
daily = jobs.schedule_jobs
def every_second(scheduler, settings, facilities):
    daily(scheduler, settings, facilities)
    for facility in facilities:
        scheduler.add_job(jobs.certification_reminders, IntervalTrigger(seconds=1),
                          id=f"{jobs.REMINDERS_JOB}:{facility.facility_id}",
                          kwargs={"facility_id": facility.facility_id,
                                  "time_zone": facility.time_zone},
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=60)
jobs.schedule_jobs = every_second
from clinops.cli import main
sys.exit(main(["scheduler"]))
"""


def reminders(slack: SlackStandIn) -> list[tuple[str, str]]:
    return [(c.body["channel"], c.body["text"].split(" — ")[0])
            for c in slack.calls("chat.postMessage")
            if c.answer.get("ok") and c.body.get("text", "").startswith("Your ")]


def test_two_schedulers_send_each_reminder_once_and_the_standby_takes_over_a_killed_leader(
    tmp_path: Path,
) -> None:
    today = system_clock().astimezone(ZoneInfo(ZONE)).date()
    url = f"sqlite:///{tmp_path / 'training.db'}"
    migrate(url)
    store = TrainingStore.open(url)
    populate(store)
    store.put_records([card("N3", "ACLS", today + timedelta(days=30)),
                       card("E1", "BLS", today + timedelta(days=7))])
    training, port = create_server(store=store, clock=system_clock)
    training.start()
    # Staffing lists the facility (its zone) and its units: the scan covers that facility's.
    staffing_url = f"sqlite:///{tmp_path / 'staffing.db'}"
    migrate_staffing(staffing_url)
    staffing_store = StaffingStore.open(staffing_url)
    for unit_id, category in (("ICU", UnitCategory.ICU), ("ED", UnitCategory.EMERGENCY)):
        staffing_store.add_unit(Unit(unit_id, unit_id, category, "", ZONE))
    staffing, staffing_port = create_staffing_server(store=staffing_store, clock=system_clock)
    staffing.start()
    schedulers: dict[str, subprocess.Popen] = {}
    logs = {name: tmp_path / f"scheduler-{name}.log" for name in ("a", "b", "notifier")}
    relay = None
    try:
        with private_redis() as private, SlackStandIn(team_id="T0001") as slack:
            relay = training_outbox.relay(store.engine, clock=system_clock, poll_seconds=0.2,
                                          publisher=RedisPublisher.from_url(private.url)).start()
            env = {**os.environ, "CLINOPS_REDIS_URL": private.url,
                   "SLACK_API_URL": slack.base_url, "SLACK_BOT_TOKEN": "xoxb-faults",
                   "SLACK_SIGNING_SECRET": "faults", "CLINOPS_NOTIFIER_SECONDS_PER_POST": "0",
                   "CLINOPS_TRAINING_TARGET": f"127.0.0.1:{port}",
                   "CLINOPS_STAFFING_TARGET": f"127.0.0.1:{staffing_port}",
                   "CLINOPS_SUPPLIES_TARGET": "127.0.0.1:1",
                   "CLINOPS_SCHEDULER_DATABASE_URL": f"sqlite:///{tmp_path / 'scheduler.db'}",
                   "CLINOPS_SCHEDULER_LOCK_NAME": "faults:scheduler:leader",
                   "CLINOPS_SCHEDULER_LOCK_TTL_SECONDS": "1.5",
                   "CLINOPS_SCHEDULER_POLL_SECONDS": "0.3",
                   "CLINOPS_SCHEDULER_PORT": "0"}
            env.pop("CLINOPS_METRICS_PORT", None)

            def start(name: str) -> None:
                schedulers[name] = subprocess.Popen(
                    [sys.executable, "-c", REMINDERS_EVERY_SECOND], cwd=ROOT, env=env,
                    stdout=logs[name].open("ab"), stderr=subprocess.STDOUT)

            def leads(name: str) -> bool:
                return "scheduler leads" in logs[name].read_text(errors="replace")

            notifier = subprocess.Popen([CLINOPS, "notifier"], cwd=ROOT, env=env,
                                        stdout=logs["notifier"].open("ab"),
                                        stderr=subprocess.STDOUT)
            schedulers["notifier"] = notifier
            start("a")
            wait_until(lambda: leads("a"), seconds=10, what="the first scheduler leading")
            start("b")
            wait_until(lambda: "scheduler started" in logs["b"].read_text(errors="replace"),
                       seconds=10, what="the second scheduler standing by")
            expected = {("DUN3", "Your ACLS expires " + str(today + timedelta(days=30))),
                        ("DUE1", "Your BLS expires " + str(today + timedelta(days=7)))}
            wait_until(lambda: expected <= set(reminders(slack)), seconds=8,
                       what="the due reminders sent")
            assert not leads("b")  # a standby runs nothing while the leader renews
            stop_process(schedulers["a"])  # SIGKILL: the lock is left to expire

            # The standby takes over within the lock's TTL and runs the job from then on; what
            # the dead leader sent is not sent again.
            wait_until(lambda: leads("b"), seconds=5, what="the standby taking over")
            ran = "certification reminders at MAIN: QueueReport"
            wait_until(lambda: ran in logs["b"].read_text(errors="replace").split(
                "scheduler leads", 1)[-1], seconds=5,
                       what="the new leader running the reminder job")
            counts = Counter(reminders(slack))
            assert [dm for dm, n in counts.items() if n > 1] == []  # each reminder once
            assert schedulers["b"].poll() is None
            # The notifier recorded each DM in training: no later scan queues them again.
            wait_until(lambda: {reminder_key(k) for k in store.reminders_recorded(
                sent_only=True)} >= {f"N3/ACLS/{today + timedelta(days=30)}/30",
                                     f"E1/BLS/{today + timedelta(days=7)}/7"},
                       seconds=5, what="the reminders recorded sent")
    finally:
        for process in schedulers.values():
            stop_process(process)
        if relay is not None:
            relay.stop()
        training.stop(None)
        staffing.stop(None)
        store.close()
        staffing_store.close()
