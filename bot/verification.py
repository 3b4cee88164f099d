"""Slack request verification: only a request Slack signed reaches anything else in the bot.

Bolt's stock RequestVerification hands the timestamp header straight to slack_sdk's
SignatureVerifier, whose `int(timestamp)` raises on `abc`, an empty header or `1e10`. The
exception went to the app's error handler, which answered 200 and posted "Something went wrong"
to the body's response_url: an address the unverified sender chose. It also logged every failed
request whole, with Slack's verification token and what the user typed.

Here a timestamp that is not a whole number, a signature or body that cannot be Slack's, a stale
timestamp or a wrong signature are all the same thing, "not signed by Slack": 401, and one log
line with the timestamp header and the source address only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger("clinops.bot.verification")

# Context keys. VERIFIED is set only by SlackSignatureCheck, never from anything in the request;
# SOURCE_ADDRESS is set by the HTTP edge (bot/server.py) for the refusal's log line.
VERIFIED = "clinops_slack_verified"
SOURCE_ADDRESS = "clinops_source_address"

TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"

# Slack's timestamps are Unix seconds: ten digits until the year 2286. A bound keeps int() away
# from a 5,000-digit header (Python refuses those with ValueError).
_WHOLE_SECONDS = re.compile(r"[0-9]{1,12}")
# A refused request's timestamp header is logged, but never more of it than this.
_LOGGED_HEADER_CHARS = 40


def signed_by_slack(verifier: SignatureVerifier, body: str | bytes, timestamp: str | None,
                    signature: str | None) -> bool:
    """True when `signature` is Slack's for `body` at `timestamp`, within five minutes of now."""
    if timestamp is None or signature is None:
        return False
    # hmac.compare_digest raises TypeError on a non-ASCII str: such a signature is simply wrong.
    if not _WHOLE_SECONDS.fullmatch(timestamp) or not signature.isascii():
        return False
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return verifier.is_valid(body, timestamp, signature)


def log_refusal(timestamp: str | None, source_address: str | None, why: str = "not signed") -> None:
    """One line for a refused request: the fact, its timestamp header and where it came from.

    Never the body (Slack's verification token, what the user typed) nor the signature.
    """
    shown = None if timestamp is None else timestamp[:_LOGGED_HEADER_CHARS]
    logger.warning("Slack request refused (%s by Slack): timestamp header %r from %s",
                   why, shown, source_address or "an unknown address")


def unverified_response() -> BoltResponse:
    """401 with no detail: the sender learns nothing about why."""
    return BoltResponse(status=401, body={"error": "invalid request"})


def _first(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


class SlackSignatureCheck(AsyncRequestVerification):
    """Bolt's request verification that never raises, logs no body and marks what it let in.

    Runs where Bolt's own would (before authorisation, so an unverified request costs no
    auth.test either), for every way into the app: the HTTP edge, the console and the tests.
    """

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        # Socket Mode requests come over the connection the app token opened: Slack's own.
        if self._can_skip(req.mode, req.body):
            req.context[VERIFIED] = True
            return await next()
        timestamp = _first(req.headers, TIMESTAMP_HEADER)
        if signed_by_slack(self.verifier, req.raw_body, timestamp,
                           _first(req.headers, SIGNATURE_HEADER)):
            req.context[VERIFIED] = True
            return await next()
        log_refusal(timestamp, req.context.get(SOURCE_ADDRESS))
        return unverified_response()
