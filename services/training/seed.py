"""Load the demo hospital (clinops.demo.hospital) into a training store, for `clinops demo`."""

from __future__ import annotations

from typing import Any

from clinops import sql
from services.training.model import CertificationRecord, StaffMember, Unit
from services.training.store import TrainingStore


def _seed_demo(store: TrainingStore, hospital: Any) -> None:
    """Units, the roster and the certifications of a `clinops.demo.hospital.DemoHospital`."""
    for unit in hospital.units:
        store.add_unit(Unit(unit.unit_id, unit.name, unit.category,
                            getattr(unit, "facility_id", ""), unit.time_zone))
    for member in hospital.staff:
        store.add_staff(StaffMember(
            staff_id=member.staff_id, display_name=member.display_name, role=member.role,
            home_unit_id=member.home_unit_id or None, slack_team_id=member.slack_team_id,
            slack_user_id=member.slack_user_id, duties=tuple(member.duties),
        ))
    # The demo's expiry is the one printed on the card, so nothing is derived.
    store.put_records([
        CertificationRecord(c.staff_id, c.code, c.issued_on, c.expires_on, expiry_derived=False,
                            evidence_reference=f"demo card {c.staff_id}-{c.code}")
        for c in hospital.certifications
    ])


def seed_demo(store: TrainingStore, hospital: Any) -> None:
    """The demo hospital in one transaction: a commit per row made the seed take seconds."""
    with sql.one_transaction(store.engine):
        _seed_demo(store, hospital)
