"""Odd Slack input through the real Bolt app never breaks it.

Command texts for every command, button presses with odd values and modal submissions with odd
state go through the real AsyncApp (signature check on, process_before_response) against the
three real services on port 0 and the Slack stand-in. Every input is answered 200 and, for a
command, with a reply; none reaches the error handler (an exception, or a service refusing a
value the bot should have caught) and none gets a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings
from bot.ids import ActionId, BlockId, CallbackId
from clinops.console import (
    API_APP_ID,
    SlackUser,
    block_actions_body,
    signed_headers,
    slack_user_of,
    slash_command_body,
)
from clinops.slack_standin import SlackStandIn
from tests.properties.services import running_services

SECRET = "properties-signing-secret"
COMMANDS = ["/shift-gap", "/census", "/supply", "/certs", "/clinops"]
WORDS = ["help", "report", "fill", "offer", "count", "status", "renew", "verify", "ICU", "4W",
         "ED", "LD", "RN", "CNA", "BLS", "ACLS", "today", "tomorrow", "night", "day", "12",
         "0", "-3", "1e9", "2026-02-30", "CHG-CLOTH", "RP-00001", "RP-99999999999999999999",
         "<@U0ICU001>", "<#C0ICU0001|icu>", "*", "\u202e", "é", "\t", "x" * 300]
ODD = st.one_of(st.sampled_from(["", " ", "RP-00001", "RP-", "os-1", "os-1:S001", ":", "-1",
                                 "9" * 40, "null", "{}", "\x00", "\u202e", "é" * 50]),
                st.text(max_size=60))
TEXTS = st.one_of(st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
                  st.text(max_size=80))


class Recorder(logging.Handler):
    """What reached the one error handler (it logs 'ref=...'), and anything logged as an error."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("ref=") or record.levelno >= logging.ERROR:
            self.records.append(record)


class Bot:
    """The real app, dispatching signed requests on one event loop kept for all examples."""

    def __init__(self, targets: dict[str, str], slack: SlackStandIn, users: list[SlackUser]):
        self.loop = asyncio.new_event_loop()
        self.slack, self.users, self.sequence = slack, users, 0
        bot_settings = BotSettings(
            bot_token="xoxb-properties", signing_secret=SECRET, slack_api_url=slack.base_url,
            staffing_target=targets["staffing"], supplies_target=targets["supplies"],
            training_target=targets["training"], rpc_deadline_seconds=5.0)

        class NoDedupe:
            async def first_time(self, *_args, **_kwargs) -> bool:
                return True

        async def build() -> None:  # grpc.aio channels belong to the loop they are made in
            self.clients = ServiceClients.from_settings(bot_settings)
            self.app = create_app(bot_settings, self.clients, dedupe=NoDedupe())

        self.loop.run_until_complete(build())
        self.errors = Recorder()
        logging.getLogger().addHandler(self.errors)

    def response_url(self) -> tuple[str, str]:
        self.sequence += 1
        name = f"p-{self.sequence}"
        return name, self.slack.response_url(name)

    def dispatch(self, body: str) -> tuple[int, str]:
        self.errors.records.clear()
        signed = signed_headers(body, SECRET, int(time.time()))
        headers = {key.lower(): [value] for key, value in signed.items()}
        request = AsyncBoltRequest(body=body, headers=headers)
        response = self.loop.run_until_complete(
            asyncio.wait_for(self.app.async_dispatch(request), timeout=10))
        return response.status, response.body

    def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        self.loop.run_until_complete(self.clients.close())
        self.loop.close()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    folder: Path = tmp_path_factory.mktemp("slack-inputs")
    with running_services(folder) as running, SlackStandIn(
            team_id=running.hospital.team_id) as slack:
        users = [slack_user_of(s) for s in running.hospital.featured_users()]
        users.append(SlackUser(team_id=running.hospital.team_id, user_id="U0NOBODY",
                               user_name="nobody"))
        served = Bot(running.targets, slack, users)
        try:
            yield served
        finally:
            served.close()


def assert_nothing_broke(bot: Bot, what: object) -> None:
    assert [r.getMessage() for r in bot.errors.records] == [], what
    bot.errors.records.clear()


# Buttons send block_actions; inputs inside modals arrive only with the view's submission.
BUTTONS = [a for a in ActionId if not a.name.endswith("_INPUT")]
# The modals the bot opens (Slack submits only views the app opened; RECORD_CENSUS opens none).
MODALS = [c for c in CallbackId if c is not CallbackId.RECORD_CENSUS]
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@PROPERTY
@given(command=st.sampled_from(COMMANDS), text=TEXTS, who=st.integers(0, 50))
def test_every_command_text_gets_a_reply_never_an_error(bot: Bot, command: str, text: str,
                                                        who: int) -> None:
    user = bot.users[who % len(bot.users)]
    name, url = bot.response_url()
    marker = bot.slack.call_count()
    status, body = bot.dispatch(slash_command_body(user=user, command=command, text=text,
                                                   response_url=url, channel_id="C0ICU0001"))
    assert status == 200, (command, text, body)
    replied = body.strip() or [c for c in bot.slack.calls_since(marker)
                               if c.method in ("response_url", "views.open",
                                               "chat.postMessage", "chat.postEphemeral")]
    assert replied, ("silence", command, text)
    assert_nothing_broke(bot, (command, text))


@PROPERTY
@given(action=st.sampled_from(BUTTONS), value=ODD, who=st.integers(0, 50),
       ephemeral=st.booleans())
def test_a_button_press_with_any_value_is_acknowledged_and_never_breaks_the_app(
        bot: Bot, action: ActionId, value: str, who: int, ephemeral: bool) -> None:
    user = bot.users[who % len(bot.users)]
    _, url = bot.response_url()
    body = block_actions_body(user=user, block_id="b", button={
        "action_id": action.value, "value": value, "text": {"type": "plain_text", "text": "x"}},
        response_url=url, channel_id="C0ICU0001",
        message={"ts": "1700000000.000100", "blocks": []}, ephemeral=ephemeral)
    status, answer = bot.dispatch(body)
    assert status == 200, (action, value, answer)
    assert_nothing_broke(bot, (action, value))


STATE_VALUE = st.one_of(
    ODD.map(lambda v: {"type": "plain_text_input", "value": v}),
    st.just({"type": "plain_text_input", "value": None}),
    ODD.map(lambda v: {"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": v}, "value": v}}),
    st.just({"type": "static_select", "selected_option": None}),
    ODD.map(lambda v: {"type": "datepicker", "selected_date": v}),
)
STATE = st.dictionaries(
    st.sampled_from([b.value for b in BlockId]),
    st.dictionaries(st.sampled_from([a.value for a in ActionId]), STATE_VALUE, max_size=3),
    max_size=8)


@PROPERTY
@given(callback=st.sampled_from(MODALS), state=STATE, metadata=ODD,
       who=st.integers(0, 50))
def test_a_modal_submitted_with_any_state_gets_field_errors_or_closes_never_breaks(
        bot: Bot, callback: CallbackId, state: dict, metadata: str, who: int) -> None:
    user = bot.users[who % len(bot.users)]
    payload = {
        "type": "view_submission", "api_app_id": API_APP_ID, "trigger_id": "1.2.3",
        "team": {"id": user.team_id, "domain": "clinops-demo"},
        "user": {"id": user.user_id, "username": user.user_name, "team_id": user.team_id},
        "view": {"id": "V0PROPS", "type": "modal", "callback_id": callback.value,
                 "private_metadata": metadata, "blocks": [], "state": {"values": state}},
    }
    status, answer = bot.dispatch(urlencode({"payload": json.dumps(payload)}))
    assert status == 200, (callback, state, metadata, answer)
    if answer.strip():
        assert json.loads(answer).get("response_action") in ("errors", "update", "clear"), answer
    assert_nothing_broke(bot, (callback, state, metadata))
