"""Open shifts travel as staffing events: ReportGap commits `open_shift.posted`, the notifier
posts the blocks with Claim and records the ts back through SetOpenShiftMessage (real gRPC); an
award or cancel written before that answers in the thread of the post the notifier made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import StaffingClient
from bot.ids import ActionId
from bot.notifier.announcements import Recording, announcement
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import InProcessEventStream
from clinops.clock import fixed_clock
from clinops.console import buttons_in, render_blocks
from clinops.outbox import InProcessStream, pending_events
from clinops.staffing.v1 import staffing_pb2_grpc
from services.staffing import usecases
from services.staffing.model import Role, Shift
from services.staffing.outbox import OUTBOX, posted_event_id, relay
from services.staffing.server import create_server
from tests.events.conftest import NOW, TODAY


def staff(hospital, name: str):  # noqa: ANN001, ANN201
    return next(s for s in hospital.staff if s.display_name == name)


def report_icu_night(store, hospital, slots: int = 2):  # noqa: ANN001, ANN201
    maya = staff(hospital, "Maya Castillo")
    return usecases.report_gap(unit_id="ICU", role=Role.RN, slots=slots,
                               day=TODAY + timedelta(days=1), shift=Shift.NIGHT,
                               reason="two call-outs", slack_team_id=maya.slack_team_id,
                               slack_user_id=maya.slack_user_id, store=store,
                               clock=fixed_clock(NOW))


@pytest.fixture
async def staffing_client(staffing_store) -> AsyncIterator[StaffingClient]:
    server, port = create_server(store=staffing_store, clock=fixed_clock(NOW))
    server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield StaffingClient(staffing_pb2_grpc.StaffingServiceStub(channel), deadline_seconds=2.0)
    await channel.close()
    server.stop(grace=None)


def notifier_for(store, slack, staffing: StaffingClient) -> tuple[Notifier, object]:  # noqa: ANN001
    stream = InProcessStream()
    client = AsyncWebClient(token="xoxb-events", base_url=slack.base_url)
    bot = Notifier(stream=InProcessEventStream(stream), client=client, consumer="events",
                   pacer=ChannelPacer(0),
                   recorder=ServiceRecorder(staffing=staffing, supplies=None, slack=client))
    return bot, relay(store.engine, publisher=stream, clock=fixed_clock(NOW))


def test_report_gap_commits_the_posted_event_with_the_shift_and_its_reporter(
        staffing_store, hospital):
    opened = report_icu_night(staffing_store, hospital)
    [event] = pending_events(staffing_store.engine, OUTBOX)
    assert (event.kind, event.event_id) == ("open_shift.posted",
                                            posted_event_id(opened.open_shift_id))
    maya = staff(hospital, "Maya Castillo")
    post = announcement(event)
    assert post is not None and post.channel == "C0ICU0001"
    assert post.recording == Recording("open_shift", opened.open_shift_id, maya.slack_team_id,
                                       maya.slack_user_id)
    shown = render_blocks(list(post.blocks))
    assert "Open shift — ICU" in shown and "Needed: 2 of 2" in shown
    assert "Why: two call-outs" in shown
    assert [b["action_id"] for _, b in buttons_in(list(post.blocks))] == [
        ActionId.CLAIM_OPEN_SHIFT, ActionId.CANCEL_OPEN_SHIFT]


async def test_the_notifier_posts_the_shift_and_staffing_learns_where(
        staffing_store, hospital, slack, staffing_client):
    opened = report_icu_night(staffing_store, hospital)
    bot, relaying = notifier_for(staffing_store, slack, staffing_client)
    relaying.publish_pending()
    assert await bot.run_once() == 1
    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == "C0ICU0001" and "[1] Claim" in render_blocks(
        post.body["blocks"])
    shift = staffing_store.get_open_shift(opened.open_shift_id)
    assert (shift.slack_channel_id, shift.slack_message_ts) == ("C0ICU0001", post.answer["ts"])
    assert slack.calls("chat.update") == []  # nothing changed before it was recorded


async def test_an_award_before_the_post_was_recorded_still_answers_in_the_posts_thread(
        staffing_store, hospital, slack, staffing_client):
    opened = report_icu_night(staffing_store, hospital)
    aisha = staff(hospital, "Aisha Rahman")
    # The award commits while the shift's post is still only an event in the outbox.
    staffing_store.award(opened.open_shift_id, aisha.staff_id, NOW)
    [_, award] = pending_events(staffing_store.engine, OUTBOX)
    assert award.payload["slack_message_ts"] == ""
    bot, relaying = notifier_for(staffing_store, slack, staffing_client)
    relaying.publish_pending()
    assert await bot.run_once() == 2
    parent, answer = slack.calls("chat.postMessage")
    assert answer.body["thread_ts"] == parent.answer["ts"]
    assert answer.body["text"].startswith("Awarded to Aisha Rahman")
    [line] = answer.body["blocks"]  # the line is a Block Kit section too
    assert (line["type"], line["text"]["text"]) == ("section", answer.body["text"])
    # The post went out as reported; recording it showed the award already made: updated.
    [update] = slack.calls("chat.update")
    assert update.body["ts"] == parent.answer["ts"]
    assert "Filled by Aisha Rahman" in render_blocks(update.body["blocks"])


async def test_a_cancel_writes_its_thread_line_as_an_event(
        staffing_store, hospital, slack, staffing_client):
    opened = report_icu_night(staffing_store, hospital)
    maya = staff(hospital, "Maya Castillo")
    bot, relaying = notifier_for(staffing_store, slack, staffing_client)
    relaying.publish_pending()
    await bot.run_once()
    usecases.cancel_open_shift(open_shift_id=opened.open_shift_id,
                               slack_team_id=maya.slack_team_id,
                               slack_user_id=maya.slack_user_id, store=staffing_store,
                               clock=fixed_clock(NOW))
    # A second click changes nothing and writes nothing.
    usecases.cancel_open_shift(open_shift_id=opened.open_shift_id,
                               slack_team_id=maya.slack_team_id,
                               slack_user_id=maya.slack_user_id, store=staffing_store,
                               clock=fixed_clock(NOW))
    relaying.publish_pending()
    assert await bot.run_once() == 1
    parent, line = slack.calls("chat.postMessage")
    assert line.body["thread_ts"] == parent.answer["ts"]
    assert line.body["text"].startswith(f":x: Cancelled by <@{maya.slack_user_id}> (Maya "
                                        "Castillo) at 2026-11-26 18:30 UTC")
