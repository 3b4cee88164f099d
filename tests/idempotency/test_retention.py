"""Remembered answers are kept a week, then forgotten, on SQLite and PostgreSQL alike: the
table a service keeps its first answers in does not grow for ever."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from clinops.idempotency import KEEP, Remembered, Retention, SqlResponseMemo, responses
from services.training.store import TrainingStore, migrate


@pytest.fixture
def memo(database_url: str) -> SqlResponseMemo:
    migrate(database_url)  # training's migrations create the memo table, as in production
    return SqlResponseMemo(TrainingStore.open(database_url).engine)


def remembered_at(memo: SqlResponseMemo, key: str, at: datetime) -> None:
    memo.answer_once(key, "request", lambda _claim: key.encode())
    with memo.engine.begin() as connection:
        connection.execute(update(responses).where(responses.c.key_digest == key)
                           .values(created_at=at))


def test_answers_older_than_a_week_are_forgotten_and_newer_ones_kept(
    memo: SqlResponseMemo,
) -> None:
    now = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    remembered_at(memo, "old", now - KEEP - timedelta(minutes=1))
    remembered_at(memo, "recent", now - KEEP + timedelta(minutes=1))
    assert Retention(memo, clock=lambda: now).run_once() == 1
    assert memo.recall("old") is None  # a repeat now is answered afresh
    assert memo.recall("recent") == Remembered("request", b"recent")


def test_the_retention_thread_forgets_at_start_and_stops_when_asked(
    memo: SqlResponseMemo,
) -> None:
    remembered_at(memo, "old", datetime.now(UTC) - timedelta(days=30))
    retention = Retention(memo, clock=lambda: datetime.now(UTC)).start()
    try:
        deadline = time.monotonic() + 5
        while memo.recall("old") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert memo.recall("old") is None
    finally:
        retention.stop()
    assert not retention._thread.is_alive()
