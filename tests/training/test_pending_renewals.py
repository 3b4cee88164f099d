"""Renewals waiting for a verification, as an educator's or manager's App Home lists them: who
may verify sees them with since when; nobody sees their own; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from clinops.clock import fixed_clock
from services.training import usecases
from services.training.store import TrainingStore, migrate
from tests.training.training_fixtures import NOW, TEAM, populate


@pytest.fixture
def store(database_url: str) -> Iterator[TrainingStore]:
    migrate(database_url)
    opened = TrainingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def submit(store: TrainingStore, staff_id: str, code: str = "ACLS", *, minutes: int = 0) -> str:
    view = usecases.submit_renewal(
        certification_code=code, expires_on=date(2028, 5, 31), issued_on=None,
        evidence_reference="ecard", slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
        store=store, clock=fixed_clock(NOW + timedelta(minutes=minutes)))
    return view.renewal.renewal_id


def pending_for(store: TrainingStore, staff_id: str) -> list[tuple[str, str]]:
    return [(v.submitter.staff_id, v.renewal.certification_code)
            for v in usecases.list_pending_renewals(slack_team_id=TEAM,
                                                    slack_user_id=f"U{staff_id}", store=store)]


def test_the_educator_sees_every_pending_renewal_oldest_first_with_since_when(store) -> None:
    submit(store, "N2")
    submit(store, "N3", "BLS", minutes=5)
    views = usecases.list_pending_renewals(slack_team_id=TEAM, slack_user_id="UE1", store=store)
    assert [(v.submitter.staff_id, v.renewal.certification_code) for v in views] == [
        ("N2", "ACLS"), ("N3", "BLS")]
    assert views[0].renewal.submitted_at == NOW


def test_a_manager_sees_only_their_units_renewals_and_never_their_own(store) -> None:
    submit(store, "N2")
    submit(store, "N3", "BLS")
    submit(store, "M1", "BLS")
    assert pending_for(store, "M1") == [("N2", "ACLS")]
    assert pending_for(store, "M2") == [("N3", "BLS")]


def test_a_staff_nurse_sees_none_and_a_decided_renewal_leaves_the_list(store) -> None:
    renewal_id = submit(store, "N2")
    assert pending_for(store, "N1") == []
    usecases.decide_renewal(renewal_id=renewal_id, verify=True, reason="", slack_team_id=TEAM,
                            slack_user_id="UE1", store=store, clock=fixed_clock(NOW))
    assert pending_for(store, "E1") == []
