"""Redis stopped while nurses and managers decide: Slack answers as usual, nothing is lost.

A redis-server of the test's own (never the shared one) carries the event stream. It is stopped
(SIGKILL, its data gone) before a claim is awarded and a proposal approved; both decisions go
through, their events wait in the services' outboxes, and once Redis is back the notifier
announces the award in the shift's thread and the approval in the proposal's thread, each
exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent import futures
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import ServiceClients
from bot.ids import ActionId
from bot.notifier.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.notifier.recording import ServiceRecorder
from bot.notifier.stream import RedisEventStream
from clinops.clock import fixed_clock
from clinops.console import SlackUser, block_actions_body, buttons_in, slack_user_of
from clinops.demo.hospital import build_hospital
from clinops.outbox import STREAM, RedisPublisher
from clinops.slack_standin import RecordedCall, SlackStandIn
from clinops.training.v1 import training_pb2, training_pb2_grpc
from services.staffing import outbox as staffing_outbox
from services.staffing import server as staffing_server
from services.staffing import store as staffing_store
from services.staffing.seed import seed_demo as seed_staffing
from services.supplies import outbox as supplies_outbox
from services.supplies import server as supplies_server
from services.supplies import store as supplies_store
from services.supplies.seed import seed_demo as seed_supplies
from tests.faults.fault_fixtures import PrivateRedis, ServedBot, served_bot, wait_until

NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)


class EveryoneCurrent(training_pb2_grpc.TrainingServiceServicer):
    def CheckEligibility(self, request, context):  # noqa: N802 - generated name
        return training_pb2.CheckEligibilityResponse(eligible=True)


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    with tempfile.TemporaryDirectory(prefix="clinops-faults-redis-") as workdir:
        server = PrivateRedis(Path(workdir))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def services(tmp_path: Path, hospital, redis_url: str) -> Iterator[dict]:
    """Training (fake, everyone current), staffing and supplies on port 0, relays to `redis_url`."""
    clock = fixed_clock(NOW)
    training = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    training_pb2_grpc.add_TrainingServiceServicer_to_server(EveryoneCurrent(), training)
    training_port = training.add_insecure_port("127.0.0.1:0")
    training.start()
    staffing_url, supplies_url = (f"sqlite:///{tmp_path / 'staffing.db'}",
                                  f"sqlite:///{tmp_path / 'supplies.db'}")
    staffing_store.migrate(staffing_url)
    supplies_store.migrate(supplies_url)
    staffing = staffing_store.StaffingStore.open(staffing_url)
    supplies = supplies_store.SuppliesStore.open(supplies_url)
    seed_staffing(staffing, hospital)
    seed_supplies(supplies, hospital)
    staffing_grpc, staffing_port = staffing_server.create_server(
        store=staffing, clock=clock, training_target=f"127.0.0.1:{training_port}")
    supplies_grpc, supplies_port = supplies_server.create_server(store=supplies, clock=clock)
    relays = [module.relay(store.engine, publisher=RedisPublisher.from_url(redis_url),
                           clock=clock, poll_seconds=0.05).start()
              for module, store in ((staffing_outbox, staffing), (supplies_outbox, supplies))]
    staffing_grpc.start()
    supplies_grpc.start()
    try:
        yield {"staffing": f"127.0.0.1:{staffing_port}",
               "supplies": f"127.0.0.1:{supplies_port}",
               "training": f"127.0.0.1:{training_port}"}
    finally:
        for relay in relays:
            relay.stop()
        for server in (staffing_grpc, supplies_grpc, training):
            server.stop(grace=None)
        staffing.close()
        supplies.close()


def person(hospital, name: str) -> SlackUser:
    return slack_user_of(next(s for s in hospital.staff if s.display_name == name))


def blocks_of(call: RecordedCall) -> list:
    blocks = call.body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def click(bot: ServedBot, user: SlackUser, call: RecordedCall, action_id: str,
                ts: str) -> list[RecordedCall]:
    """Press `action_id` on a message the bot sent; every Slack call the bot made for it."""
    blocks = blocks_of(call)
    [(block_id, button)] = [(b, x) for b, x in buttons_in(blocks) if x["action_id"] == action_id]
    marker = bot.slack.call_count()
    bot.sequence += 1
    body = block_actions_body(user=user, block_id=block_id, button=button,
                              response_url=bot.slack.response_url(f"click-{bot.sequence}"),
                              channel_id=call.body.get("channel", "C0"),
                              message={"ts": ts, "blocks": blocks},
                              ephemeral=call.method == "response_url")
    assert await bot.post(body) == 200
    return bot.slack.calls_since(marker)


def only(calls: list[RecordedCall], method: str) -> RecordedCall:
    [found] = [c for c in calls if c.method == method]
    return found


def awards(slack: SlackStandIn) -> list[RecordedCall]:
    return [c for c in slack.calls("chat.postMessage")
            if c.body.get("text", "").startswith("Awarded to")]


async def test_with_redis_down_a_claim_is_awarded_and_a_proposal_approved_and_announced_once_after(
    tmp_path: Path,
) -> None:
    hospital = build_hospital(TODAY)
    gloria, colleen = person(hospital, "Gloria Mendoza"), person(hospital, "Colleen Murphy")
    maya, denise = person(hospital, "Maya Castillo"), person(hospital, "Denise Okafor")
    with private_redis() as private, services(tmp_path, hospital, private.url) as targets, \
            SlackStandIn(team_id=hospital.team_id) as slack:
        stream = RedisEventStream.from_url(private.url)
        web = AsyncWebClient(token="xoxb-faults", base_url=slack.base_url)
        # Posts whose ts a service keeps (open shift, proposal) are recorded back through these.
        clients = ServiceClients.connect(staffing_target=targets["staffing"],
                                         supplies_target=targets["supplies"],
                                         training_target=targets["training"],
                                         deadline_seconds=2.0)
        notifier = Notifier(stream=stream, consumer="bot-1", pacer=ChannelPacer(0), client=web,
                            recorder=ServiceRecorder(staffing=clients.staffing,
                                                     supplies=clients.supplies, slack=web))
        stop = asyncio.Event()
        announcing = asyncio.create_task(notifier.run(stop, block_ms=50))
        try:
            async with served_bot(slack, **targets) as bot:
                # While Redis is up: the open shift and the proposal are posted (events too).
                marker = slack.call_count()
                status, _ = await bot.command(gloria, "/shift-gap",
                                              "report 4W RN tomorrow day sick call")
                assert status == 200
                shift = only(await asyncio.to_thread(_calls_after, slack, marker),
                             "chat.postMessage")
                status, name = await bot.command(maya, "/supply", "count ICU CHG-CLOTH 2")
                [reply] = await asyncio.to_thread(slack.wait_for, "response_url", 1, 5,
                                                  name=name)
                assert "opened reorder proposal RP-00001" in reply.body["text"]
                proposals = lambda: [  # noqa: E731
                    c for c in slack.calls("chat.postMessage")
                    if c.body.get("channel") == "C0ICU0001" and not c.body.get("thread_ts")]
                await asyncio.to_thread(wait_until, lambda: len(proposals()) == 1, seconds=5,
                                        what="the proposal posted")
                [proposal] = proposals()
                await asyncio.to_thread(wait_until, lambda: _recorded(targets, tmp_path),
                                        seconds=5, what="both posts recorded in the services")
                private.stop()

                offer = only(await click(bot, colleen, shift, ActionId.CLAIM_OPEN_SHIFT,
                                         shift.answer["ts"]), "response_url")
                claimed = await click(bot, colleen, offer, ActionId.CLAIM_WITH_OVERTIME,
                                      shift.answer["ts"])
                assert ":white_check_mark: Filled" in json.dumps(only(claimed, "chat.update").body)

                approved = await click(bot, denise, proposal, ActionId.APPROVE_PROPOSAL,
                                       proposal.answer["ts"])
                assert "purchase order PO-00001" in json.dumps([c.body for c in approved])
                approval_lines = lambda: [  # noqa: E731
                    c for c in slack.calls("chat.postMessage")
                    if c.body.get("thread_ts") == proposal.answer["ts"]
                    and "Approved by" in c.body.get("text", "")]
                # Nothing announced while the stream is away.
                assert awards(slack) == [] and approval_lines() == []

                private.start()
                await asyncio.to_thread(wait_until, lambda: len(awards(slack)) == 1,
                                        seconds=8, what="the award announced after Redis")
                [award] = awards(slack)
                assert award.body["thread_ts"] == shift.answer["ts"]
                assert award.body["text"].startswith("Awarded to Colleen Murphy")
                # The supplies decision reached the stream too, once.
                kinds = [fields[b"kind"] for _, fields in
                         redis.Redis.from_url(private.url).xrange(STREAM)]
                # (The private Redis keeps nothing across its restart: only what waited in the
                # outboxes while it was away is in the stream now.)
                assert sorted(kinds) == [b"open_shift.awarded", b"proposal.decided"]
                await asyncio.to_thread(wait_until, lambda: len(approval_lines()) >= 1,
                                        seconds=5, what="the approval announced after Redis")
                await asyncio.sleep(0.5)  # a few more notifier rounds: still one of each
                assert len(awards(slack)) == 1
                assert len(approval_lines()) == 1
        finally:
            stop.set()
            async with asyncio.timeout(10):
                await announcing
            await stream.close()
            await clients.close()


def _recorded(targets: dict, tmp_path: Path) -> bool:
    """The open shift's and the proposal's posts are known to their services."""
    with sqlite3.connect(tmp_path / "staffing.db") as staffing, \
            sqlite3.connect(tmp_path / "supplies.db") as supplies:
        shifts = staffing.execute("SELECT slack_message_ts FROM open_shifts").fetchall()
        proposals = supplies.execute("SELECT slack_message_ts FROM proposals").fetchall()
    return all(ts for (ts,) in shifts + proposals) and bool(shifts and proposals)


def _calls_after(slack: SlackStandIn, marker: int) -> list[RecordedCall]:
    wait_until(lambda: any(c.method == "chat.postMessage" for c in slack.calls_since(marker)),
               seconds=5, what="the open shift posted")
    return slack.calls_since(marker)
