"""Slack request verification over real HTTP, on the bot's real listener.

A request Slack did not sign gets 401 and the bot calls nothing anywhere: not the response_url
its body names (an address the sender chose), not the Slack Web API. The refusal is logged with
the timestamp header and the source address, never the body or the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from slack_bolt.context.async_context import AsyncBoltContext

from bot.errors import on_error
from clinops.slack_standin import SlackStandIn
from tests.faults.fault_fixtures import SIGNING_SECRET, served_bot
from tests.slack_edge.conftest import OutboundRecorder

TEAM = "T0EDGE"
# What a slash command's body carries that must never reach a log: Slack's verification token
# and what the nurse typed.
VERIFICATION_TOKEN = "verif-token-Q7xK2mZ9"
TYPED = "count ICU CHG-CLOTH 2 for the night charge"
TIMESTAMP = "x-slack-request-timestamp"
SIGNATURE = "x-slack-signature"


def command_body(response_url: str, text: str = TYPED) -> str:
    return urlencode({
        "token": VERIFICATION_TOKEN, "team_id": TEAM, "team_domain": "edge", "user_id": "U0EDGE",
        "user_name": "nurse", "channel_id": "C0EDGE", "command": "/supply", "text": text,
        "api_app_id": "A0EDGE", "response_url": response_url,
        "trigger_id": f"{time.time():.0f}.1.{hashlib.sha256(text.encode()).hexdigest()[:8]}",
    })


def sign(body: str | bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    raw = body if isinstance(body, bytes) else body.encode()
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def now(offset: int = 0) -> str:
    return str(int(time.time()) + offset)


@dataclass(frozen=True)
class Unsigned:
    """One way a request can fail verification: its headers, and its body if not the usual."""

    headers: Callable[[str], dict[str, str]]
    body: Callable[[str], bytes] | None = None


CASES: dict[str, Unsigned] = {
    # Each timestamp below is signed correctly for what it is: only the timestamp is wrong.
    "timestamp abc": Unsigned(lambda b: {TIMESTAMP: "abc", SIGNATURE: sign(b, "abc")}),
    "empty timestamp": Unsigned(lambda b: {TIMESTAMP: "", SIGNATURE: sign(b, "")}),
    "timestamp 1e10": Unsigned(lambda b: {TIMESTAMP: "1e10", SIGNATURE: sign(b, "1e10")}),
    "timestamp of 5000 digits": Unsigned(
        lambda b: {TIMESTAMP: "9" * 5000, SIGNATURE: sign(b, "9" * 5000)}),
    "no timestamp header": Unsigned(lambda b: {SIGNATURE: sign(b, now())}),
    "no signature header": Unsigned(lambda b: {TIMESTAMP: now()}),
    "no headers at all": Unsigned(lambda b: {}),
    "stale timestamp": Unsigned(lambda b: {TIMESTAMP: now(-600), SIGNATURE: sign(b, now(-600))}),
    "timestamp ten minutes ahead": Unsigned(
        lambda b: {TIMESTAMP: now(600), SIGNATURE: sign(b, now(600))}),
    "signed with another secret": Unsigned(
        lambda b: {TIMESTAMP: now(), SIGNATURE: sign(b, now(), "someone-elses-secret")}),
    "signature not ascii": Unsigned(lambda b: {TIMESTAMP: now(), SIGNATURE: "v0=\u00e9" * 16}),
    "body not utf-8": Unsigned(
        lambda b: {TIMESTAMP: now(), SIGNATURE: sign(b"\xff" + b.encode(), now())},
        body=lambda b: b"\xff" + b.encode()),
    "body not json": Unsigned(
        lambda b: {TIMESTAMP: now(), SIGNATURE: sign("{" + b, now()), "content-type":
                   "application/json"},
        body=lambda b: ("{" + b).encode()),
}


async def _send_every_case(outbound: OutboundRecorder, *, then_signed: bool = True
                           ) -> tuple[dict[str, int], list, list]:
    """Each unsigned request, then one Slack signed; statuses, then what went out, per place."""
    statuses: dict[str, int] = {}
    with SlackStandIn(team_id=TEAM) as slack:
        async with served_bot(slack) as bot:
            for name, case in CASES.items():
                body = command_body(outbound.url(f"/hooks/{name.replace(' ', '-')}"))
                data = case.body(body) if case.body else body.encode()
                headers = {"content-type": "application/x-www-form-urlencoded",
                           **case.headers(body)}
                async with bot.session.post(bot.url, data=data, headers=headers) as response:
                    await response.read()
                    statuses[name] = response.status
            if not then_signed:
                return statuses, list(outbound.requests), [call.method for call in slack.calls()]
            # The bot answers inside the request, so this signed one, answered at its own
            # response_url, comes after anything the ones before could have sent.
            body = command_body(outbound.url("/hooks/signed"), text="nonsense")
            headers = {"content-type": "application/x-www-form-urlencoded",
                       TIMESTAMP: now(), SIGNATURE: ""}
            headers[SIGNATURE] = sign(body, headers[TIMESTAMP])
            async with bot.session.post(bot.url, data=body.encode(), headers=headers) as response:
                await response.read()
                statuses["signed"] = response.status
            outbound.wait_for(1)
            web_api = [call.method for call in slack.calls()]
    return statuses, list(outbound.requests), web_api


async def test_every_request_slack_did_not_sign_gets_401_and_the_bot_calls_nothing_anywhere(
    outbound: OutboundRecorder,
) -> None:
    statuses, requests, web_api = await _send_every_case(outbound)
    assert {name: status for name, status in statuses.items() if name != "signed"} == {
        name: 401 for name in CASES}
    # Only the signed request was answered, at its own response_url; the Web API saw nothing
    # but the signed request's auth.test.
    assert statuses["signed"] == 200
    assert [(r.method, r.path) for r in requests] == [("POST", "/hooks/signed")]
    assert b"I don't understand" in requests[0].body
    assert set(web_api) <= {"auth.test"}


async def test_a_refused_request_is_logged_with_its_timestamp_and_source_never_body_or_signature(
    outbound: OutboundRecorder, caplog
) -> None:
    with caplog.at_level(logging.DEBUG):
        statuses, requests, web_api = await _send_every_case(outbound, then_signed=False)
    assert set(statuses.values()) == {401} and requests == [] and web_api == []
    refusals = [r for r in caplog.records if r.getMessage().startswith("Slack request refused")]
    assert len(refusals) == len(CASES)
    assert all("from 127.0.0.1" in r.getMessage() for r in refusals)
    assert any("timestamp header 'abc'" in r.getMessage() for r in refusals)
    assert any("timestamp header '1e10'" in r.getMessage() for r in refusals)
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (VERIFICATION_TOKEN, "CHG-CLOTH", "night charge", "/hooks/", SIGNING_SECRET,
                   sign(command_body("x"), "abc")[:12], "\u00e9" * 4):
        assert secret not in logged, secret
    assert "v0=" not in logged


async def test_the_error_handler_answers_401_and_posts_nothing_for_a_request_never_verified():
    replies: list[dict] = []

    async def respond(**reply: object) -> None:
        replies.append(reply)

    context = AsyncBoltContext({"response_url": "http://127.0.0.1:9/chosen-by-the-sender"})
    response = await on_error(ValueError("invalid literal for int()"), context, respond,
                              logging.getLogger("tests.slack_edge"))
    assert response.status == 401
    assert replies == []
