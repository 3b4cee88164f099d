"""All RPCs of one Slack request share one deadline budget, so the reply beats Slack's 3 s."""

import time

from bot.clients import MIN_TIMEOUT_SECONDS, StaffingClient
from clinops.rpc import Caller

CALLER = Caller(slack_team_id="T1", slack_user_id="U1")


def test_an_unbound_client_uses_the_whole_deadline_per_call():
    client = StaffingClient(stub=None, deadline_seconds=2.0)
    assert client.timeout() == 2.0


def test_a_client_bound_to_a_caller_never_waits_longer_than_the_deadline():
    client = StaffingClient(stub=None, deadline_seconds=2.0).acting_for(CALLER)
    assert 1.5 < client.timeout() <= 2.0


def test_a_second_call_gets_only_what_the_first_left_of_the_budget():
    client = StaffingClient(
        stub=None, deadline_seconds=2.0, caller=CALLER, budget_ends=time.monotonic() + 0.4
    )
    assert client.timeout() <= 0.4


def test_a_spent_budget_still_makes_the_call_fail_fast_rather_than_hang():
    client = StaffingClient(
        stub=None, deadline_seconds=2.0, caller=CALLER, budget_ends=time.monotonic() - 5
    )
    assert client.timeout() == MIN_TIMEOUT_SECONDS
