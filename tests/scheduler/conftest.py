"""Scheduler fixtures: real Redis (a unique key prefix per test), real training and staffing over
gRPC on OS-chosen ports, the Slack stand-in, and the scheduler's own SQLite database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import grpc
import pytest
import redis
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.scheduler.links import StaffingLink, TrainingLink
from bot.scheduler.marks import Marks
from bot.scheduler.process import slack_client
from clinops.clock import fixed_clock
from clinops.slack_standin import SlackStandIn
from services.staffing.model import Assignment, Duty, Role, Shift, Unit, UnitCategory
from services.staffing.server import create_server as create_staffing_server
from services.staffing.store import StaffingStore
from services.staffing.store import migrate as migrate_staffing
from services.training.server import create_server as create_training_server
from services.training.store import TrainingStore
from services.training.store import migrate as migrate_training
from tests.staffing.staffing_fixtures import nurse
from tests.training.training_fixtures import NOW, populate

REDIS_URL = "redis://127.0.0.1:6379/0"
DEADLINE = 5.0


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A prefix no other test (or engineer) uses; every key under it is deleted afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def training_store(new_database: Callable[[str], str]) -> Iterator[TrainingStore]:
    """Training's ICU/ED roster: N2's ACLS expired 2026-05-31, C1's BLS expires 2026-07-15."""
    url = new_database("training")
    migrate_training(url)
    store = TrainingStore.open(url)
    populate(store)
    yield store
    store.close()


@pytest.fixture
def training_target(training_store: TrainingStore) -> Iterator[str]:
    server, port = create_training_server(store=training_store, clock=fixed_clock(NOW))
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def staffing_store(new_database: Callable[[str], str]) -> Iterator[StaffingStore]:
    """Staffing's view of the same ICU: manager M1, N2 and C1 with shifts on either side of a
    lapse (N2's ACLS lapsed 2026-05-31; C1's BLS lapses after 2026-07-15)."""
    url = new_database("staffing")
    migrate_staffing(url)
    store = StaffingStore.open(url)
    store.add_unit(Unit("ICU", "Intensive Care", UnitCategory.ICU, "C_ICU",
                        "America/Los_Angeles"))
    store.add_staff(nurse("M1", duties=(Duty.MANAGER,)))
    store.add_staff(nurse("N2"))
    store.add_staff(nurse("C1", Role.CNA))
    for staff_id, day, shift in (("N2", date(2026, 6, 17), Shift.DAY),
                                 ("N2", date(2026, 6, 10), Shift.DAY),  # already worked
                                 ("C1", date(2026, 7, 10), Shift.NIGHT),  # still valid
                                 ("C1", date(2026, 7, 20), Shift.DAY)):
        store.add_assignment(Assignment(staff_id, "ICU", day, shift, Duty.STAFF, True))
    yield store
    store.close()


@pytest.fixture
def staffing_target(staffing_store: StaffingStore) -> Iterator[str]:
    server, port = create_staffing_server(store=staffing_store, clock=fixed_clock(NOW))
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def training(training_target: str) -> Iterator[TrainingLink]:
    with grpc.insecure_channel(training_target) as channel:
        yield TrainingLink(channel, deadline_seconds=DEADLINE)


@pytest.fixture
def staffing(staffing_target: str) -> Iterator[StaffingLink]:
    with grpc.insecure_channel(staffing_target) as channel:
        yield StaffingLink(channel, deadline_seconds=DEADLINE)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id="T0001") as standin:
        yield standin


@pytest.fixture
def slack_web(slack: SlackStandIn):  # noqa: ANN201
    """The real slack_sdk client with the scheduler's retry handlers, retrying quickly."""
    return slack_client("xoxb-test", slack.base_url,
                        interval=FixedValueRetryIntervalCalculator(0.01))


@pytest.fixture
def scheduler_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scheduler.db'}"


@pytest.fixture
def marks(scheduler_db: str) -> Iterator[Marks]:
    opened = Marks.open(scheduler_db)
    yield opened
    opened.close()
