"""The training store's contract, on a SQLite file and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.training.errors import AlreadyDecided, UnknownStaff, UnknownUnit
from services.training.model import AuditEntry, Renewal, RenewalState
from services.training.store import TrainingStore, migrate
from tests.training.training_fixtures import NOW, card, person, populate


@pytest.fixture
def store(database_url: str) -> Iterator[TrainingStore]:
    migrate(database_url)
    opened = TrainingStore.open(database_url)
    populate(opened)
    yield opened
    opened.close()


def test_migrating_twice_is_harmless_and_loads_the_reference_data(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    store = TrainingStore.open(database_url)
    types = {t.code: t for t in store.list_types()}
    assert set(types) == {"BLS", "ACLS", "PALS", "NRP", "TNCC", "CCRN", "RN-CA", "LVN-CA"}
    assert types["TNCC"].validity_months == 48 and types["CCRN"].validity_months == 36
    assert types["CCRN"].reminder_days == (120, 90, 60, 30, 7)
    assert types["BLS"].reminder_days == (90, 60, 30, 7)
    emergency = [r for r in store.list_requirements() if r.unit_category == "EMERGENCY"]
    assert [r.certification_codes for r in emergency] == [("ACLS", "PALS", "TNCC")]
    store.close()


def test_the_roster_finds_people_by_slack_id_and_unit(store: TrainingStore) -> None:
    manager = store.find_staff_by_slack("T0001", "UM1")
    assert manager is not None and manager.manages("ICU") and manager.unit_category == "ICU"
    assert store.find_staff_by_slack("T0001", "UNOBODY") is None
    assert [m.staff_id for m in store.staff_of_unit("icu")] == ["C1", "M1", "N1", "N2"]
    assert store.get_staff("E1").is_educator and store.get_staff("E1").home_unit_id is None
    with pytest.raises(UnknownStaff):
        store.get_staff("NOPE")
    with pytest.raises(UnknownUnit, match="known units: ED, ICU"):
        store.get_unit("5E")


def test_a_record_of_the_same_type_replaces_the_one_on_file(store: TrainingStore) -> None:
    store.put_records([card("N2", "ACLS", date(2028, 5, 31))])
    acls = [r for r in store.records_for("N2") if r.certification_code == "ACLS"]
    assert [r.expires_on for r in acls] == [date(2028, 5, 31)]
    assert len(store.records_for_unit("ICU")) == 10


def test_a_failed_batch_of_records_writes_nothing(store: TrainingStore) -> None:
    before = store.list_records()
    with pytest.raises(Exception):  # noqa: B017 - the unknown person breaks the foreign key
        store.put_records([card("N1", "PALS", date(2028, 1, 31)),
                           card("GHOST", "BLS", date(2028, 1, 31))])
    assert store.list_records() == before


def test_the_same_reminder_is_recorded_once_and_refused_the_second_time(
    store: TrainingStore,
) -> None:
    key = ("N2", "ACLS", date(2026, 5, 31), -1)
    assert store.record_reminder(key, sent_at=NOW) is True
    assert store.record_reminder(key, sent_at=NOW + timedelta(minutes=1)) is False
    assert store.record_reminder(("N2", "ACLS", date(2026, 5, 31), -8), sent_at=NOW) is True
    assert store.reminders_recorded(["N2"]) == {key, ("N2", "ACLS", date(2026, 5, 31), -8)}


def test_a_second_store_on_the_same_database_cannot_record_the_reminder_again(
    store: TrainingStore, database_url: str,
) -> None:
    other = TrainingStore.open(database_url)
    key = ("C1", "BLS", date(2026, 7, 15), 30)
    try:
        assert other.record_reminder(key, sent_at=NOW) is True
        assert store.record_reminder(key, sent_at=NOW) is False
    finally:
        other.close()


def test_a_renewal_is_decided_once_and_a_verified_one_replaces_the_record(
    store: TrainingStore,
) -> None:
    pending = store.add_renewal(Renewal("", "N2", "ACLS", date(2028, 5, 31), None, "ecard-1",
                                        RenewalState.PENDING, NOW))
    assert pending.renewal_id and store.pending_renewals("N2") == [pending]
    renewed = replace(card("N2", "ACLS", date(2028, 5, 31)), verified_by="E1", verified_at=NOW)
    decided = store.decide_renewal(pending.renewal_id, state=RenewalState.VERIFIED,
                                   decided_by="E1", decided_at=NOW, record=renewed,
                                   audit=AuditEntry(NOW, "RENEWAL_VERIFIED", "N2 ACLS", "ok"))
    assert decided.state is RenewalState.VERIFIED and decided.decided_by == "E1"
    [acls] = [r for r in store.records_for("N2") if r.certification_code == "ACLS"]
    assert (acls.expires_on, acls.verified_by, acls.verified_at) == (date(2028, 5, 31), "E1", NOW)
    with pytest.raises(AlreadyDecided):
        store.decide_renewal(pending.renewal_id, state=RenewalState.REJECTED, decided_by="M1",
                             decided_at=NOW, reason="too late")
    assert [e.action for e in store.audit_log()] == ["RENEWAL_VERIFIED"]


def test_adding_a_person_again_replaces_their_roster_entry(store: TrainingStore) -> None:
    store.add_staff(replace(person("N1", home="ED"), display_name="Nurse One"))
    assert store.get_staff("N1").home_unit_id == "ED"
    assert store.get_staff("N1").display_name == "Nurse One"
