"""A small ICU and ED with an educator, a manager and a few nurses, for training tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.training.model import CertificationRecord, StaffMember, Unit
from services.training.store import TrainingStore

TEAM = "T0001"
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 17, 0, tzinfo=UTC)  # 10:00 in California


def person(staff_id: str, role: str = "RN", home: str | None = "ICU", *duties: str) -> StaffMember:
    return StaffMember(staff_id=staff_id, display_name=f"Nurse {staff_id}", role=role,
                       home_unit_id=home, slack_team_id=TEAM, slack_user_id=f"U{staff_id}",
                       duties=duties)


def card(staff_id: str, code: str, expires_on: date, issued_on: date | None = None
         ) -> CertificationRecord:
    return CertificationRecord(staff_id, code, issued_on or date(2024, 6, 1), expires_on,
                               evidence_reference=f"card-{staff_id}-{code}")


def populate(store: TrainingStore) -> None:
    """ICU: manager M1 and nurses N1 (all current) and N2 (ACLS expired 2026-05-31); CNA C1.

    ED: manager M2 and N3. Educator E1 has no home unit.
    """
    store.add_unit(Unit("icu", "Intensive Care", "ICU"))
    store.add_unit(Unit("ED", "Emergency Department", "EMERGENCY"))
    store.add_staff(person("M1", "RN", "ICU", "MANAGER"))
    store.add_staff(person("N1"))
    store.add_staff(person("N2"))
    store.add_staff(person("C1", "CNA"))
    store.add_staff(person("M2", "RN", "ED", "MANAGER"))
    store.add_staff(person("N3", "RN", "ED"))
    store.add_staff(person("E1", "RN", None, "EDUCATOR"))
    later = date(2027, 5, 31)
    store.put_records([
        card("M1", "BLS", later), card("M1", "RN-CA", later), card("M1", "ACLS", later),
        card("N1", "BLS", later), card("N1", "RN-CA", later), card("N1", "ACLS", later),
        card("N2", "BLS", later), card("N2", "RN-CA", later),
        card("N2", "ACLS", date(2026, 5, 31)),
        card("C1", "BLS", date(2026, 7, 15)),
        card("N3", "BLS", later), card("N3", "RN-CA", later),
    ])
