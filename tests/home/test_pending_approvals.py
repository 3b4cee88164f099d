"""App Home's pending approvals beyond proposals: the charge nurse's queued claim to confirm, the
educator's renewal to verify, each saying what and since when; readiness cards for charge nurses
and every unit a house supervisor answers for."""

from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.blocks.home import Home, home_view
from bot.blocks.open_shift import confirm_value
from bot.ids import ActionId
from clinops.common.v1 import common_pb2
from clinops.console import block_actions_body
from clinops.staffing.v1 import staffing_pb2
from services.staffing.model import OpenShift, Role, Shift
from services.training.model import Renewal, RenewalState
from tests.observability.stack import NOW, TODAY, view_text

ZONE = ZoneInfo("America/Los_Angeles")


def staff_named(hospital, name: str):  # noqa: ANN001, ANN201
    return next(s for s in hospital.staff if s.display_name == name)


def queue_a_claim(services, hospital, *, claimant: str = "Alicia Fernandez") -> str:  # noqa: ANN001
    store = services.store
    shift = store.add_open_shift(OpenShift(
        open_shift_id="os-home-1", unit_id="ICU", date=TODAY + timedelta(days=3),
        shift=Shift.DAY, role=Role.RN, slots=1, slack_channel_id="C0ICU0001",
        slack_message_ts="1700000000.000100", created_at=NOW, created_by="U0MAYA"))
    store.queue_claim(shift.open_shift_id, staff_named(hospital, claimant).staff_id, NOW, 0.0)
    return shift.open_shift_id


def training_store(services):  # noqa: ANN001, ANN201
    return next(s for s in services.other_stores if hasattr(s, "renewals_waiting"))


async def test_the_charge_nurse_sees_the_claim_waiting_for_her_confirm(
        stack, services, hospital) -> None:
    queue_a_claim(services, hospital)
    text = view_text(await stack.open_home(stack.user("charge")))
    assert "Confirm *Alicia Fernandez* for ICU 11-29 day — claimed 11-26 10:30" in text
    assert "Nothing waiting for you." not in text


async def test_a_staff_nurse_does_not_see_the_claim(stack, services, hospital) -> None:
    queue_a_claim(services, hospital)
    text = view_text(await stack.open_home(stack.user("float")))
    assert "Alicia Fernandez" not in text.split("*My pending approvals*")[1]


async def test_the_educator_sees_the_renewal_waiting_for_her_verification(
        stack, services, hospital) -> None:
    nurse = staff_named(hospital, "Derek Lindqvist")
    training_store(services).add_renewal(Renewal(
        "", nurse.staff_id, "ACLS", date(2028, 11, 30), None, "ecard-1", RenewalState.PENDING,
        NOW - timedelta(hours=2)))
    text = view_text(await stack.open_home(stack.user("educator")))
    assert ("Verify *Derek Lindqvist*'s ACLS renewal (new expiry 2028-11-30) — "
            "submitted 11-26 08:30") in text


async def test_a_charge_nurse_gets_the_readiness_card_of_her_unit(stack) -> None:
    text = view_text(await stack.open_home(stack.user("charge")))
    assert "Readiness — Intensive Care Unit" in text
    assert "% compliant" in text


def test_a_part_that_did_not_answer_says_so_beside_those_that_did() -> None:
    claim = staffing_pb2.PendingClaim(
        open_shift=staffing_pb2.OpenShift(unit_id="ICU", window=common_pb2.ShiftWindow(
            shift=common_pb2.SHIFT_DAY)),
        claimant=staffing_pb2.StaffMember(display_name="Aisha Rahman"))
    claim.open_shift.window.starts_at.FromSeconds(1796482800)  # 2026-12-05 07:00 in California
    claim.claimed_at.FromSeconds(1796403600)
    text = view_text(home_view(Home(proposals=[], claims=[claim], renewals=None), zone=ZONE)
                     .to_dict())
    assert "Confirm *Aisha Rahman* for ICU 12-05 day — claimed 12-04 09:00" in text
    assert "*Renewals to verify:* _not available right now_" in text
    assert "Nothing waiting for you." not in text


async def test_the_confirming_charge_nurses_home_is_republished_without_the_claim(
        stack, services, hospital) -> None:
    shift_id = queue_a_claim(services, hospital)
    charge = stack.user("charge")
    assert "Confirm *Alicia Fernandez*" in view_text(await stack.open_home(charge))

    marker = stack.slack.call_count()
    claimant = staff_named(hospital, "Alicia Fernandez").staff_id
    body = block_actions_body(
        user=charge, block_id="open_shift_queued",
        button={"action_id": ActionId.CONFIRM_CLAIM, "type": "button",
                "value": confirm_value(shift_id, claimant)},
        response_url=stack.slack.response_url("confirm-1"), channel_id="C0ICU0001",
        message={"ts": "1700000000.000200", "blocks": []}, ephemeral=False)
    await stack._dispatch(body, "application/x-www-form-urlencoded")

    calls = stack.slack.calls_since(marker)
    assert "confirmed by" in [c for c in calls if c.method == "response_url"][0].body["text"]
    [published] = [c for c in calls if c.method == "views.publish"]
    assert published.body["user_id"] == charge.user_id
    view = published.body["view"]
    text = view_text(json.loads(view) if isinstance(view, str) else view)
    assert "Alicia Fernandez" not in text
    assert "Nothing waiting for you." in text


async def test_a_home_that_cannot_be_republished_does_not_break_the_confirm(
        stack, services, hospital) -> None:
    shift_id = queue_a_claim(services, hospital)
    charge = stack.user("charge")
    stack.slack.fail_next("views.publish", count=5, status=500)
    marker = stack.slack.call_count()
    claimant = staff_named(hospital, "Alicia Fernandez").staff_id
    body = block_actions_body(
        user=charge, block_id="open_shift_queued",
        button={"action_id": ActionId.CONFIRM_CLAIM, "type": "button",
                "value": confirm_value(shift_id, claimant)},
        response_url=stack.slack.response_url("confirm-2"), channel_id="C0ICU0001",
        message={"ts": "1700000000.000300", "blocks": []}, ephemeral=False)
    await stack._dispatch(body, "application/x-www-form-urlencoded")
    calls = stack.slack.calls_since(marker)
    assert "confirmed by" in [c for c in calls if c.method == "response_url"][0].body["text"]
    assert services.store.get_open_shift(shift_id).slots_filled == 1
