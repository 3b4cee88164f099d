"""Replies at response_url through one shared session post exactly what Bolt's respond() posts."""

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import DividerBlock, SectionBlock

from bot.respond import SharedReplies, SharedRespond
from clinops.slack_standin import RESPONSE_URL_METHOD, SlackStandIn


@pytest.fixture
def standin():
    with SlackStandIn(team_id="T0TEST") as slack:
        yield slack


async def test_a_reply_posts_the_same_message_bolts_respond_would(standin):
    replies = SharedReplies()
    try:
        ours = SharedRespond(response_url=standin.response_url("ours"), replies=replies)
        bolts = AsyncRespond(response_url=standin.response_url("bolts"))
        for respond in (ours, bolts):
            answer = await respond(text="ICU Day shift: short 1 RN",
                                   blocks=[SectionBlock(text="*ICU*"), DividerBlock()],
                                   response_type="ephemeral")
            assert answer.status_code == 200
        await ours({"text": "whole message", "replace_original": True})
        await bolts({"text": "whole message", "replace_original": True})
    finally:
        await replies.close()
    posted = standin.calls(RESPONSE_URL_METHOD)
    ours_bodies = [call.body for call in posted if call.name == "ours"]
    assert ours_bodies == [call.body for call in posted if call.name == "bolts"]
    assert ours_bodies[0]["blocks"][1] == {"type": "divider"}


async def test_every_reply_goes_through_one_session_until_shutdown_and_a_later_one_still_posts(
        standin):
    replies = SharedReplies()
    respond = SharedRespond(response_url=standin.response_url("nurse"), replies=replies)
    await respond(text="first")
    session = replies.session()
    await respond(text="second")
    assert replies.session() is session
    await replies.close()
    assert session.closed
    await respond(text="after a restart of the session")
    await replies.close()
    assert [call.body["text"] for call in standin.calls(RESPONSE_URL_METHOD)] == [
        "first", "second", "after a restart of the session"]


async def test_respond_without_a_response_url_is_refused_as_bolt_refuses_it():
    replies = SharedReplies()
    with pytest.raises(ValueError, match="no response_url"):
        await SharedRespond(response_url=None, replies=replies)(text="nowhere")
