"""Domain errors of the staffing service; the servicer maps each to a status code in one table."""

from collections.abc import Mapping, Sequence


class StaffingError(Exception):
    """A staffing rule refused the request."""


class UnknownUnit(StaffingError):
    def __init__(self, unit_id: str, known: Sequence[str] = ()) -> None:
        listed = f"; known units: {', '.join(known)}" if known else ""
        super().__init__(f"no unit {unit_id!r}{listed}")
        self.unit_id = unit_id
        self.known = tuple(known)


class UnknownFacility(StaffingError):
    def __init__(self, facility_id: str, known: Sequence[str] = ()) -> None:
        listed = f"; known facilities: {', '.join(known)}" if known else ""
        super().__init__(f"no facility {facility_id!r}{listed}")
        self.facility_id = facility_id


class UnknownCategory(StaffingError):
    def __init__(self, category: str) -> None:
        super().__init__(f"unknown unit category {category!r}")
        self.category = category


class NoRatioRule(StaffingError):
    def __init__(self, jurisdiction: str, category: str) -> None:
        super().__init__(f"no ratio rule for {category} in {jurisdiction}; add it to the table")


class UnknownStaff(StaffingError):
    """No such person in the staff directory."""


class NoHomeUnit(StaffingError):
    """The caller asked for 'my unit' but the directory cannot say which unit that is."""


class InvalidInput(StaffingError):
    def __init__(self, violations: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in violations.items()))
        self.violations = dict(violations)


class PermissionDenied(StaffingError):
    """The caller may not do this; the message says who may, for the bot to show."""


class NotQueued(StaffingError):
    """Confirm names a claim that is not waiting on this open shift."""


class NotOfferable(StaffingError):
    """The open shift cannot be offered: already filled, or the person has no Slack account."""


class UnknownOpenShift(StaffingError):
    def __init__(self, open_shift_id: str) -> None:
        super().__init__(f"no open shift {open_shift_id!r}")
        self.open_shift_id = open_shift_id


class NotCancellable(StaffingError):
    """The open shift is filled: every slot is someone's shift now, nothing is left to cancel."""
