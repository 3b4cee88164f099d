"""Queued claims and Confirm, overtime first, fill and offer, and the report modal: signed Slack
requests over HTTP into the real Bolt app, real staffing on port 0, a fake training servicer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent import futures
from urllib.parse import urlencode

import grpc
import pytest

from bot.ids import ActionId, BlockId, CallbackId
from clinops.clock import fixed_clock
from clinops.common.v1 import common_pb2
from clinops.console import (
    API_APP_ID,
    SlackUser,
    block_actions_body,
    buttons_in,
    render_blocks,
    signed_headers,
    slack_user_of,
)
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing.seed import seed_demo
from services.staffing.server import create_server
from services.staffing.store import StaffingStore, migrate
from tests.conftest import Prepare, demo_database
from tests.e2e.conftest import NOW, SIGNING_SECRET, Staffing


class FakeTraining(training_pb2_grpc.TrainingServiceServicer):
    """Everyone's certifications are current except the staff ids listed as expired."""

    def __init__(self, expired: dict[str, str]) -> None:
        self.expired = expired

    def CheckEligibility(self, request, context):  # noqa: N802 - generated name
        code = self.expired.get(request.staff_id)
        if code is None:
            return training_pb2.CheckEligibilityResponse(eligible=True)
        return training_pb2.CheckEligibilityResponse(eligible=False, findings=[
            training_pb2.CertificationFinding(
                certification_code=code, problem=training_pb2.CERTIFICATION_PROBLEM_EXPIRED,
                expires_on=common_pb2.Date(year=2026, month=10, day=31),
                explanation=f"{code} expired 2026-10-31")])


@pytest.fixture
def staffing(prepared_database: Prepare, hospital) -> Iterator[Staffing]:
    """The demo hospital's staffing service asking a fake training service about certificates."""
    derek = next(s for s in hospital.staff if s.display_name == "Derek Lindqvist")
    training = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    training_pb2_grpc.add_TrainingServiceServicer_to_server(
        FakeTraining({derek.staff_id: "ACLS"}), training)
    training_port = training.add_insecure_port("127.0.0.1:0")
    training.start()
    url = demo_database(prepared_database, "staffing", migrate, StaffingStore.open, seed_demo,
                        hospital)
    store = StaffingStore.open(url)
    server, port = create_server(store=store, clock=fixed_clock(NOW),
                                 training_target=f"127.0.0.1:{training_port}")
    server.start()
    yield Staffing(server, port, store)
    server.stop(grace=None)
    training.stop(grace=None)
    store.close()


def person(hospital, name: str) -> SlackUser:
    return slack_user_of(next(s for s in hospital.staff if s.display_name == name))


async def command(bot, user: SlackUser, text: str) -> list:
    """A signed /shift-gap, then staffing's outbox delivered (a report's post is its
    open_shift.posted event); returns every Slack call the bot made for it."""
    marker = bot.slack.call_count()
    body = bot.command_body(user, text)
    status, _ = await bot.post(body, signed_headers(body, SIGNING_SECRET, int(time.time())))
    assert status == 200
    await bot.deliver()
    return bot.slack.calls_since(marker)


async def click(bot, user: SlackUser, call, action_id: str, *, value: str = "") -> list:
    """Press the button `action_id` (with `value`, if given) of a message the bot sent."""
    blocks = call.body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    block_id, button = next((b, e) for b, e in buttons_in(blocks)
                            if e["action_id"] == action_id and (not value or e["value"] == value))
    marker = bot.slack.call_count()
    bot.sequence += 1
    message = {"ts": call.answer.get("ts", "1.0"), "blocks": blocks}
    body = block_actions_body(user=user, block_id=block_id, button=button,
                              response_url=bot.slack.response_url(f"click-{bot.sequence}"),
                              channel_id=call.body.get("channel", "C0"), message=message,
                              ephemeral=call.method == "response_url")
    status, _ = await bot.post(body, signed_headers(body, SIGNING_SECRET, int(time.time())))
    assert status == 200
    return bot.slack.calls_since(marker)


def only(calls: list, method: str):
    [found] = [c for c in calls if c.method == method]
    return found


def text_of(call) -> str:
    blocks = call.body.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return render_blocks(blocks) if blocks else call.body.get("text", "")


async def test_an_ld_claim_waits_for_the_charge_nurse_who_confirms_it(served_bot, hospital,
                                                                     staffing):
    leticia, adriana = person(hospital, "Leticia Vargas"), person(hospital, "Adriana Molina")
    posted = only(await command(served_bot, leticia, "report LD RN tomorrow night call-out"),
                  "chat.postMessage")
    claimed = await click(served_bot, adriana, posted, ActionId.CLAIM_OPEN_SHIFT)
    queued = only(claimed, "chat.postMessage")
    assert queued.body["thread_ts"] == posted.answer["ts"]
    assert "Claim from Adriana Molina — waiting for the charge nurse" in text_of(queued)
    assert "queued for the charge nurse" in only(claimed, "response_url").body["text"]
    assert not [c for c in claimed if c.method == "chat.update"]

    refused = await click(served_bot, person(hospital, "Sarah Whitman"), queued,
                          ActionId.CONFIRM_CLAIM)
    assert "Only the charge nurse or manager of LD" in only(refused, "response_url").body["text"]

    confirmed = await click(served_bot, leticia, queued, ActionId.CONFIRM_CLAIM)
    update = only(confirmed, "chat.update")
    assert update.body["ts"] == posted.answer["ts"] and "Filled by Adriana Molina" in text_of(
        update)
    assert not [c for c in confirmed if c.method == "chat.postMessage"]
    announced = await served_bot.deliver()
    award = only(announced, "chat.postMessage")
    assert "Awarded to Adriana Molina" in award.body["text"]
    assert award.body["thread_ts"] == posted.answer["ts"]
    marked = only(confirmed, "response_url").body
    assert marked["replace_original"] is True and "confirmed by" in marked["text"]

    again = await click(served_bot, leticia, queued, ActionId.CONFIRM_CLAIM)
    assert [c.method for c in again] == ["response_url"]  # one award, not two
    assert "already confirmed" in again[0].body["text"]


async def test_overtime_is_shown_first_and_only_the_second_click_awards(served_bot, hospital):
    posted = only(await command(served_bot, person(hospital, "Gloria Mendoza"),
                                "report 4W RN tomorrow day sick call"), "chat.postMessage")
    colleen = person(hospital, "Colleen Murphy")
    first = await click(served_bot, colleen, posted, ActionId.CLAIM_OPEN_SHIFT)
    answer = only(first, "response_url")
    assert "This shift would be 8 h overtime (48 h this week)" in text_of(answer)
    assert [c.method for c in first] == ["response_url"]
    second = await click(served_bot, colleen, answer, ActionId.CLAIM_WITH_OVERTIME)
    assert "Filled by Colleen Murphy" in text_of(only(second, "chat.update"))
    assert "8 h of it overtime" in only(second, "response_url").body["text"]


async def test_fill_ranks_candidates_and_offer_dms_the_claim_button(served_bot, hospital):
    maya = person(hospital, "Maya Castillo")
    await command(served_bot, maya, "report ICU RN tomorrow night extra admissions")
    listed = only(await command(served_bot, maya, "fill ICU tomorrow night"), "response_url")
    lines = [line for line in text_of(listed).splitlines() if " — " in line and " h " in line]
    assert [line.split(" — ")[0] for line in lines[:3]] == [
        "Aisha Rahman", "Harold Jimenez", "Rajesh Iyer"]
    assert "Derek Lindqvist" not in text_of(listed)
    rajesh = person(hospital, "Rajesh Iyer")
    offered = await click(served_bot, maya, listed, ActionId.OFFER_OPEN_SHIFT,
                          value=next(e["value"] for _, e in buttons_in(listed.body["blocks"])
                                     if e["action_id"] == ActionId.OFFER_OPEN_SHIFT
                                     and e["value"].endswith(
                                         next(s.staff_id for s in hospital.staff
                                              if s.display_name == "Rajesh Iyer"))))
    assert only(offered, "conversations.open").body["users"] == rajesh.user_id
    dm = only(offered, "chat.postMessage")
    assert "offers you an open RN shift on ICU" in text_of(dm) and "[1] Claim" in text_of(dm)
    claimed = await click(served_bot, rajesh, dm, ActionId.CLAIM_OPEN_SHIFT)
    assert "The shift is yours" in only(claimed, "response_url").body["text"]


async def test_a_staff_nurse_gets_no_candidates(served_bot, hospital):
    calls = await command(served_bot, person(hospital, "Derek Lindqvist"), "fill ICU")
    assert "Only the charge nurse or manager of ICU" in only(calls, "response_url").body["text"]


def view_submission_body(user: SlackUser, view: dict, values: dict) -> str:
    payload = {
        "type": "view_submission", "team": {"id": user.team_id, "domain": "clinops-demo"},
        "user": {"id": user.user_id, "username": user.user_name, "name": user.user_name,
                 "team_id": user.team_id},
        "api_app_id": API_APP_ID, "token": "demo-verification-token",
        "trigger_id": "1.2.3", "is_enterprise_install": False, "enterprise": None,
        "view": {**view, "id": "V0001", "team_id": user.team_id, "state": {"values": values},
                 "hash": "1.abc", "private_metadata": view.get("private_metadata", ""),
                 "app_id": API_APP_ID, "bot_id": "B0001"},
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def modal_values(unit: str = "LD", role: str = "rn", count: str = "2",
                 shift: str = "night", day: str | None = "2026-11-27",
                 reason: str = "two call-outs") -> dict:
    def selected(value: str) -> dict:
        return {"type": "static_select", "selected_option": {"value": value}}

    return {
        BlockId.REPORT_UNIT: {ActionId.REPORT_UNIT_INPUT: selected(unit) if unit else
                              {"type": "static_select", "selected_option": None}},
        BlockId.REPORT_ROLE: {ActionId.REPORT_ROLE_INPUT: selected(role)},
        BlockId.REPORT_COUNT: {ActionId.REPORT_COUNT_INPUT: {"type": "number_input",
                                                             "value": count}},
        BlockId.REPORT_SHIFT: {ActionId.REPORT_SHIFT_INPUT: selected(shift)},
        BlockId.REPORT_DATE: {ActionId.REPORT_DATE_INPUT: {"type": "datepicker",
                                                           "selected_date": day}},
        BlockId.REPORT_REASON: {ActionId.REPORT_REASON_INPUT: {"type": "plain_text_input",
                                                               "value": reason}},
    }


async def submit(bot, user: SlackUser, view: dict, values: dict) -> tuple[int, str, list]:
    marker = bot.slack.call_count()
    body = view_submission_body(user, view, values)
    status, answer = await bot.post(body, signed_headers(body, SIGNING_SECRET, int(time.time())))
    await bot.deliver()
    return status, answer, bot.slack.calls_since(marker)


async def test_report_without_arguments_opens_the_modal_and_its_submission_posts_the_shift(
    served_bot, hospital
):
    leticia = person(hospital, "Leticia Vargas")
    opened = only(await command(served_bot, leticia, "report"), "views.open")
    assert opened.body["trigger_id"]
    view = opened.body["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == CallbackId.REPORT_GAP
    units = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert {"ICU", "LD", "4W"} <= set(units)

    status, answer, calls = await submit(served_bot, leticia, view, modal_values())
    assert status == 200 and answer == ""  # the modal closes
    posted = only(calls, "chat.postMessage")
    assert posted.body["channel"] == "C0LD00001"
    shown = text_of(posted)
    assert "Needed: 2 of 2" in shown and "Night shift 2026-11-27" in shown
    assert "Why: two call-outs" in shown and "[1] Claim" in shown


async def test_modal_refusals_are_shown_on_the_fields(served_bot, hospital):
    leticia = person(hospital, "Leticia Vargas")
    view = json.loads(json.dumps(only(await command(served_bot, leticia, "report"),
                                      "views.open").body["view"]))
    status, answer, calls = await submit(served_bot, leticia, view,
                                         modal_values(unit="", count="40"))
    assert status == 200 and not [c for c in calls if c.method == "chat.postMessage"]
    errors = json.loads(answer)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {BlockId.REPORT_UNIT, BlockId.REPORT_COUNT}

    sarah = person(hospital, "Sarah Whitman")
    _, answer, calls = await submit(served_bot, sarah, view, modal_values())
    assert "Only the charge nurse or manager of LD" in json.loads(answer)["errors"][
        BlockId.REPORT_UNIT]
    assert not [c for c in calls if c.method == "chat.postMessage"]
