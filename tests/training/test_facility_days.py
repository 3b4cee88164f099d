"""Days left and a unit's compliance count from today at the unit's facility, not one zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from clinops.clock import fixed_clock
from services.training import usecases
from services.training.model import Unit
from services.training.store import TrainingStore
from tests.training.training_fixtures import TEAM, card, person

LA, NEW_YORK = "America/Los_Angeles", "America/New_York"
# 00:30 on 16 June in New York; still 21:30 on the 15th in California.
JUST_AFTER_MIDNIGHT_IN_NY = datetime(2026, 6, 16, 4, 30, tzinfo=UTC)


def _days_left(store: TrainingStore, staff_id: str, code: str) -> int:
    _, views = usecases.list_records(
        staff_id=staff_id, slack_team_id=TEAM, slack_user_id="UE1", store=store,
        clock=fixed_clock(JUST_AFTER_MIDNIGHT_IN_NY), time_zone=LA)
    return next(v.days_left for v in views if v.record.certification_code == code)


def test_days_left_count_from_the_persons_facility_date(training_store: TrainingStore) -> None:
    training_store.add_unit(Unit("ICU", "Intensive Care", "ICU", "MAIN", LA))
    training_store.add_unit(Unit("HC1", "Hudson infusion", "MED_SURG", "NYC", NEW_YORK))
    training_store.add_staff(person("N9", "RN", "HC1"))
    expiry = date(2026, 6, 30)
    training_store.put_records([card("N1", "PALS", expiry), card("N9", "PALS", expiry)])
    # The educator (E1) looks at both: the ICU nurse's day is the 15th, the clinic's the 16th.
    assert _days_left(training_store, "N1", "PALS") == 15
    assert _days_left(training_store, "N9", "PALS") == 14


def test_a_unit_without_a_zone_on_file_keeps_the_services_setting(
        training_store: TrainingStore) -> None:
    # Units imported before facilities: the service's CLINOPS_TRAINING_TIME_ZONE (here LA).
    training_store.put_records([card("N1", "PALS", date(2026, 6, 30))])
    assert training_store.get_unit("ICU").time_zone == ""
    assert _days_left(training_store, "N1", "PALS") == 15


def test_unit_compliance_is_as_of_the_units_facility_date(training_store: TrainingStore) -> None:
    training_store.add_unit(Unit("ED", "Emergency Department", "EMERGENCY", "NYC", NEW_YORK))
    compliance, _ = usecases.get_unit_compliance(
        unit_id="ED", on=None, slack_team_id=TEAM, slack_user_id="UE1", store=training_store,
        clock=fixed_clock(JUST_AFTER_MIDNIGHT_IN_NY), time_zone=LA)
    assert compliance.on == date(2026, 6, 16)
    icu, _ = usecases.get_unit_compliance(
        unit_id="ICU", on=None, slack_team_id=TEAM, slack_user_id="UE1", store=training_store,
        clock=fixed_clock(JUST_AFTER_MIDNIGHT_IN_NY), time_zone=LA)
    assert icu.on == date(2026, 6, 15)
