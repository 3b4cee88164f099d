"""Fixtures of the digest tests (see tests/digest/digest_fixtures.py)."""

from tests.digest.digest_fixtures import hospital, services, slack  # noqa: F401
