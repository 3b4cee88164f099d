"""A pytest plugin (tests/conftest.py loads it): after every test, everything the Slack stand-in
recorded as posted to a channel or a DM is run through the patient-identifier guard.

Every end-to-end, console and demo test thereby asserts that no message the bot posted carries
a guarded pattern. What only the person sees (ephemeral replies, modals) is left out: telling
the typist why their words were refused is the point. Text is what Slack shows: the "text" of
the message and of every Block Kit text object, with Slack's link and mention markup reduced to
its label, since ids, timestamps and button values are never read by anyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from clinops.phi_guard import patient_identifier
from clinops.slack_standin import RESPONSE_URL_METHOD, RecordedCall, SlackStandIn

POSTING_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.scheduleMessage"})

# <@U123>, <#C123|icu>, <!here>, <https://…|label>: what a reader sees is the label, if any.
_MARKUP = re.compile(r"<[^<>|]*(?:\|([^<>]*))?>")

_recorded: list[RecordedCall] = []


def _recording(record: Any) -> Any:
    def wrapper(self: SlackStandIn, call: RecordedCall) -> None:
        record(self, call)
        _recorded.append(call)

    return wrapper


def posted_to_a_conversation(call: RecordedCall) -> bool:
    """A message others read: posted or updated in a channel or DM, or put in the channel."""
    if call.method in POSTING_METHODS:
        return True
    return call.method == RESPONSE_URL_METHOD and call.body.get("response_type") == "in_channel"


def shown_text(value: Any, key: str = "") -> Iterator[str]:
    """The strings a reader sees in a message body: every "text" and Block Kit text object."""
    if isinstance(value, str) and key in ("blocks", "attachments") and value[:1] in "[{":
        value = json.loads(value)  # form-encoded bodies carry blocks as JSON
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from shown_text(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from shown_text(inner, key)
    elif isinstance(value, str) and key in ("text", "fallback", "pretext", "title"):
        yield _MARKUP.sub(lambda link: link.group(1) or "", value)


def guarded_patterns(calls: list[RecordedCall]) -> list[str]:
    """'method: kind in "text"' for each posted text that the guard would refuse."""
    found = []
    for call in calls:
        if not posted_to_a_conversation(call):
            continue
        for text in shown_text(call.body):
            if finding := patient_identifier(text):
                found.append(f"{call.method}: {finding.kind} in {text!r}")
    return found


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(SlackStandIn._record, "_guarded", False):  # noqa: SLF001
        wrapped = _recording(SlackStandIn._record)  # noqa: SLF001
        wrapped._guarded = True  # type: ignore[attr-defined]
        SlackStandIn._record = wrapped  # type: ignore[method-assign]  # noqa: SLF001


@pytest.fixture(autouse=True)
def no_patient_identifier_is_posted() -> Iterator[None]:
    """Fails the test (in teardown) when the bot posted text the guard would have refused."""
    _recorded.clear()
    yield
    found, _recorded[:] = guarded_patterns(list(_recorded)), []
    assert not found, "posted to Slack with a patient identifier:\n" + "\n".join(found)
