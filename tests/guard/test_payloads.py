"""The payload check every test runs after it (tests/guard/payloads.py) sees what a reader
would: a patient identifier posted to a channel, in a message's text or its blocks, is caught;
a private reply, Slack's ids and link markup are not mistaken for one."""

from __future__ import annotations

import json

from slack_sdk import WebClient

from clinops.slack_standin import SlackStandIn
from tests.guard import payloads


def _section(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text},
             "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Claim"},
                           "action_id": "claim", "value": "05da26ef3aa74c3600123456"}}]


def test_a_patient_identifier_posted_to_a_channel_is_caught_in_text_or_blocks() -> None:
    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C0ICU0001", text="Open shift ICU",
                                blocks=_section("*Why:* Pt John Smith MRN 00123456 bed 12"))
        client.chat_update(channel="C0ICU0001", ts="1.000001",
                           text="Rejected. Reason: Pt Jane Doe MRN 7654321")
        found = payloads.guarded_patterns(slack.calls())
    # This test posts an identifier on purpose: it is not a leak for the after-test check.
    payloads._recorded.clear()  # noqa: SLF001
    assert found == [
        "chat.postMessage: medical record number in '*Why:* Pt John Smith MRN 00123456 bed 12'",
        "chat.update: medical record number in 'Rejected. Reason: Pt Jane Doe MRN 7654321'"]


def test_private_replies_ids_and_link_markup_are_not_taken_for_identifiers() -> None:
    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postEphemeral(channel="C0ICU0001", user="U0ICU002",
                                  text="reason: Pt Jane Doe MRN 7654321 was refused")
        client.chat_postMessage(
            channel="C0ICU0001", thread_ts="1764172800.000100",
            text="<@U0ICU001> approved <https://x.slack.com/archives/C0/p1764172800000100|RP-1>",
            blocks=json.dumps(_section("Claimed by <@U0ICU002> on <#C0ICU0001|icu>")))
        assert payloads.guarded_patterns(slack.calls()) == []
