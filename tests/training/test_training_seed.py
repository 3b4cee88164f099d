"""The demo hospital seeds training: roster, records, and the deliberate gaps show up."""

from __future__ import annotations

from datetime import date, timedelta

from clinops.demo.hospital import build_hospital
from services.training import domain
from services.training.seed import seed_demo
from services.training.store import TrainingStore, migrate

TODAY = date(2026, 11, 26)


def test_the_demo_hospital_seeds_an_icu_nurse_with_an_expired_acls(database_url: str) -> None:
    migrate(database_url)
    store = TrainingStore.open(database_url)
    hospital = build_hospital(TODAY)
    seed_demo(store, hospital)
    try:
        assert len(store.list_records()) == len(hospital.certifications)
        derek = next(s for s in hospital.staff if s.display_name == "Derek Lindqvist")
        member = store.get_staff(derek.staff_id)
        unit = store.get_unit(member.home_unit_id or "")
        required = domain.required_codes(store.list_requirements(), role=member.role, unit=unit)
        findings = domain.eligibility(store.records_for(member.staff_id), required,
                                      TODAY + timedelta(days=1), shift_start_date=TODAY)
        assert [f.certification_code for f in findings] == ["ACLS"]
        assert findings[0].explanation.startswith("ACLS expired ")
        educator = next(s for s in hospital.staff if s.display_name == "Elaine Brennan")
        assert store.get_staff(educator.staff_id).is_educator
    finally:
        store.close()
