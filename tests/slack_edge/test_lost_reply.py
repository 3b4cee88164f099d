"""No false "failed": a change whose reply is lost is not reported as a failure.

The supplies server is real (SQLite and PostgreSQL). Between it and the bot stands a TCP relay
that, once told, drops every byte coming back: the approval reaches the service and is
committed, and its answer never arrives, as when the network or the service dies after the
commit. The bot's deadline passes; the manager must not be told to try again as if nothing
happened, but that the decision may have gone through and where to look.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from datetime import UTC, date, datetime
from types import SimpleNamespace

from bot.ids import ActionId
from clinops.clock import fixed_clock
from clinops.console import block_actions_body, slack_user_of
from clinops.demo.hospital import build_hospital
from clinops.slack_standin import SlackStandIn
from services.supplies.seed import seed_demo
from services.supplies.server import create_server
from services.supplies.store import SuppliesStore, migrate
from tests.faults.fault_fixtures import served_bot, wait_until

HOST = "127.0.0.1"
TODAY = date(2026, 11, 26)
# 10:30 in San Francisco on the demo hospital's day: the ICU's proposal is decided in office hours.
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
ICU_CHANNEL = "C0ICU0001"


def icu_chg_cloths_only(hospital: SimpleNamespace) -> SimpleNamespace:
    """The demo hospital cut to the ICU and its chlorhexidine cloths (seeding it all takes
    seconds): its people, budget, approvers and the item's 90 days of use are all there."""
    def mine(row: object) -> bool:
        return row.unit_id == "ICU" and row.sku == "CHG-CLOTH"

    return SimpleNamespace(
        units=[u for u in hospital.units if u.unit_id == "ICU"], staff=hospital.staff,
        items=[i for i in hospital.items if i.sku == "CHG-CLOTH"],
        stock=[s for s in hospital.stock if mine(s)],
        consumption=[c for c in hospital.consumption if mine(c)])


class ReplyDroppingRelay:
    """A TCP relay to `upstream_port`; after `drop_replies()` nothing from upstream gets back."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self._dropping = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    @property
    def target(self) -> str:
        return f"{HOST}:{self.port}"

    def drop_replies(self) -> None:
        self._dropping.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection((HOST, self.upstream_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self._dropping),
                             daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, dropping: threading.Event | None
              ) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if dropping is not None and dropping.is_set():
                continue  # the reply is lost on the way
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


async def test_an_approval_whose_reply_is_lost_says_it_may_have_gone_through_and_where_to_look(
    database_url: str,
) -> None:
    hospital = build_hospital(TODAY)
    migrate(database_url)
    store = SuppliesStore.open(database_url)
    seed_demo(store, icu_chg_cloths_only(hospital))
    server, port = create_server(store=store, clock=fixed_clock(NOW))
    server.start()
    relay = ReplyDroppingRelay(port)
    named = {s.display_name: slack_user_of(s) for s in hospital.staff}
    maya, denise = named["Maya Castillo"], named["Denise Okafor"]
    try:
        with SlackStandIn(team_id=hospital.team_id) as slack:
            async with served_bot(slack, supplies=relay.target) as bot:
                status, name = await bot.command(maya, "/supply", "count ICU CHG-CLOTH 2")
                [counted] = await asyncio.to_thread(slack.wait_for, "response_url", 1, 5,
                                                    name=name)
                assert "opened reorder proposal RP-00001" in counted.body["text"]

                relay.drop_replies()
                button = {"action_id": ActionId.APPROVE_PROPOSAL, "value": "RP-00001",
                          "text": {"type": "plain_text", "text": "Approve"}}
                click = block_actions_body(
                    user=denise, block_id="proposal", button=button,
                    response_url=slack.response_url("approve"), channel_id=ICU_CHANNEL,
                    message={"ts": "1795000000.000100"}, ephemeral=False)
                assert await bot.post(click) == 200
                [answer] = await asyncio.to_thread(slack.wait_for, "response_url", 1, 10,
                                                   name="approve")
                # And it had gone through: committed, though its answer never came back.
                await asyncio.to_thread(
                    wait_until, lambda: store.get_proposal(1).state.value == "APPROVED",
                    seconds=10, what="the approval committed")
                assert len(store.purchase_orders()) == 1
    finally:
        relay.close()
        server.stop(grace=None)
        store.close()
    text = answer.body["text"]
    assert text.startswith("Supplies did not answer in time, so your decision may have gone "
                           "through. Check the proposal's thread in the unit channel before "
                           "trying again (ref ")
    assert "try again in a minute" not in text and "went wrong" not in text
    assert "fail" not in text.lower()
