"""The Slack stand-in, driven by the real slack_sdk clients the bot uses."""

import threading

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    FixedValueRetryIntervalCalculator,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from clinops.slack_standin import SlackStandIn


@pytest.fixture
def standin():
    with SlackStandIn(team_id="T0TEST") as slack:
        yield slack


def client(standin: SlackStandIn, **kwargs) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=standin.base_url, **kwargs)


async def test_post_message_answers_with_the_channel_and_increasing_timestamps(standin):
    web = client(standin)
    first = await web.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "divider"}])
    second = await web.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    [recorded, _] = standin.calls("chat.postMessage")
    assert recorded.body["blocks"] == [{"type": "divider"}]
    assert recorded.headers["authorization"] == "Bearer xoxb-test"


async def test_form_encoded_and_json_bodies_are_both_understood(standin):
    web = client(standin)
    await web.auth_test()
    await web.api_call("users.info", http_verb="POST", params={"user": "U1"})
    await web.views_open(trigger_id="t", view={"type": "modal", "title": {"type": "plain_text",
                                                                            "text": "Census"}})
    assert standin.calls("users.info")[0].body == {"user": "U1"}
    assert standin.calls("views.open")[0].body["view"]["type"] == "modal"


async def test_the_other_methods_the_bot_uses_answer_ok(standin):
    web = client(standin)
    assert (await web.chat_update(channel="C1", ts="1.1", text="x"))["ok"]
    assert (await web.chat_postEphemeral(channel="C1", user="U1", text="x"))["message_ts"]
    assert (await web.views_publish(user_id="U1", view={"type": "home", "blocks": []}))["ok"]
    assert (await web.users_info(user="U1"))["user"]["id"] == "U1"
    assert (await web.conversations_open(users="U1"))["channel"]["id"] == "DU1"


async def test_files_upload_v2_goes_through_every_step(standin):
    web = client(standin)
    response = await web.files_upload_v2(channel="C1", content="unit,gap\nICU,1\n",
                                          filename="gaps.csv", title="Gaps")
    assert response["ok"]
    assert [c.method for c in standin.calls() if c.method.startswith("file")] == [
        "files.getUploadURLExternal", "file_upload", "files.completeUploadExternal"]


async def test_an_unknown_method_answers_unknown_method(standin):
    with pytest.raises(SlackApiError) as raised:
        await client(standin).api_call("nope.nothing")
    assert raised.value.response["error"] == "unknown_method"


async def test_response_url_posts_are_recorded_under_their_name(standin):
    webhook = AsyncWebhookClient(standin.response_url("command-1"))
    await webhook.send(text="done", response_type="ephemeral")
    [call] = standin.calls("response_url")
    assert (call.name, call.body["text"]) == ("command-1", "done")


async def test_a_rate_limited_call_is_retried_after_retry_after(standin):
    standin.fail_next("chat.postMessage", status=429, retry_after=0)
    web = client(standin, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    response = await web.chat_postMessage(channel="C1", text="paced")
    assert response["ok"]
    assert [c.name for c in standin.calls("chat.postMessage")] == ["fault 429", ""]


async def test_server_errors_are_retried(standin):
    standin.fail_next("chat.postMessage", count=1, status=500)
    web = client(standin, retry_handlers=[AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0))])
    assert (await web.chat_postMessage(channel="C1", text="x"))["ok"]


def test_wait_for_returns_once_the_calls_arrive_and_times_out_otherwise(standin):
    import urllib.request

    def post() -> None:
        urllib.request.urlopen(urllib.request.Request(
            standin.base_url + "chat.postMessage", data=b"channel=C9&text=hi", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"}), timeout=5).read()

    worker = threading.Thread(target=post)
    worker.start()
    [call] = standin.wait_for("chat.postMessage", 1, timeout=5)
    worker.join(timeout=5)
    assert call.body == {"channel": "C9", "text": "hi"}
    with pytest.raises(TimeoutError):
        standin.wait_for("chat.update", 1, timeout=0.05)
