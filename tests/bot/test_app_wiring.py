"""How the app is put together: Slack client, verification, no Slack calls at construction."""

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.app import create_app
from bot.clients import ServiceClients
from bot.config import BotSettings


def settings(**overrides) -> BotSettings:
    values = {"bot_token": "xoxb-wiring", "signing_secret": "wiring-secret",
              "slack_api_url": "http://127.0.0.1:9/api/", **overrides}
    return BotSettings(**values)


async def test_the_web_client_uses_slack_api_url_and_honours_rate_limits_and_failures():
    clients = ServiceClients.connect(staffing_target="127.0.0.1:9", supplies_target="127.0.0.1:9",
                                     training_target="127.0.0.1:9", deadline_seconds=1)
    # Port 9 answers nothing: constructing the app must not need Slack.
    app = create_app(settings(), clients)
    assert app.client.base_url == "http://127.0.0.1:9/api/"
    kinds = {type(handler) for handler in app.client.retry_handlers}
    assert {AsyncRateLimitErrorRetryHandler, AsyncConnectionErrorRetryHandler,
            AsyncServerErrorRetryHandler} <= kinds
    await clients.close()


def test_secrets_never_show_in_the_settings_repr():
    shown = repr(settings()) + str(settings().model_dump())
    assert "xoxb-wiring" not in shown and "wiring-secret" not in shown


def test_socket_mode_follows_the_app_token():
    assert not settings().socket_mode
    assert settings(app_token="xapp-1").socket_mode


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "env-secret")
    monkeypatch.setenv("CLINOPS_STAFFING_TARGET", "localhost:50061")
    monkeypatch.setenv("CLINOPS_RPC_DEADLINE_SECONDS", "1.5")
    loaded = BotSettings()
    assert loaded.bot_token.get_secret_value() == "xoxb-env"
    assert loaded.staffing_target == "localhost:50061"
    assert loaded.rpc_deadline_seconds == 1.5
    assert loaded.slack_api_url == "https://slack.com/api/"
    assert loaded.port == 3000
