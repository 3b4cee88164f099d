"""Fixtures: the whole stack in one process (tests/observability/stack.py)."""

from tests.observability.stack import captured_logs, hospital, services, stack  # noqa: F401
