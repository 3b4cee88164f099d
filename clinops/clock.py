"""Time is injected: entry points pass a clock; domain code takes dates and instants."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, as an aware UTC instant."""
    return datetime.now(UTC)


def fixed_clock(instant: datetime) -> Clock:
    """A clock that always says `instant` (tests, reproducible demos)."""
    if instant.tzinfo is None:
        raise ValueError("a clock's instant must be timezone-aware")
    return lambda: instant
