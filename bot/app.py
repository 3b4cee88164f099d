"""The Bolt app factory: one AsyncApp wired to the service clients; no I/O at construction."""

import logging
import uuid

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import errors, home
from bot.clients import ServiceClients, slack_request_key
from bot.commands import census, certs, clinops, open_shift, shift_gap, supply
from bot.config import BotSettings
from bot.dedupe import Dedupe, from_environment
from bot.respond import SharedReplies
from bot.verification import SlackSignatureCheck
from clinops import logs, metrics
from clinops.rpc import Caller

logger = logging.getLogger("clinops.bot")


def web_client(settings: BotSettings) -> AsyncWebClient:
    """The Slack Web API client: base URL from SLACK_API_URL, honouring 429 Retry-After."""
    return AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(settings: BotSettings, clients: ServiceClients, *,
               dedupe: Dedupe | None = None) -> AsyncApp:
    """The bot: signature verification on, answers inside the request (process_before_response).

    `dedupe` remembers Events API deliveries already handled (Redis at CLINOPS_REDIS_URL unless
    given; the client connects on the first event, not here).
    """
    seen = dedupe if dedupe is not None else from_environment()
    # AsyncApp checks the token with auth.test lazily, on the first request, never here.
    signing_secret = settings.signing_secret.get_secret_value()
    app = AsyncApp(
        client=web_client(settings),
        signing_secret=signing_secret,
        process_before_response=True,
        # Bolt's own check raises on a timestamp that is not a number and logs bodies; ours,
        # in the same place (before authorisation), answers 401 (bot/verification.py).
        request_verification_enabled=False,
        before_authorize=SlackSignatureCheck(signing_secret, base_logger=logger),
        logger=logger,
    )

    # Every reply at a response_url goes through one aiohttp session (Bolt opens one per reply).
    replies = SharedReplies()
    clients.closers.append(replies.close)

    @app.middleware
    async def attach_services(context: AsyncBoltContext, body: dict, next) -> None:
        correlation_id = uuid.uuid4().hex[:12]
        context["correlation_id"] = correlation_id
        if context.response_url is not None:
            context["respond"] = replies.respond_for(context)
        caller = Caller(
            slack_team_id=context.team_id or "",
            slack_user_id=context.user_id or "",
            correlation_id=correlation_id,
        )
        bound = clients.acting_for(caller, request_key=slack_request_key(body))
        for name, client in bound.items():
            context[name] = client
        context["dedupe"] = seen
        kind, name = metrics.slack_request_kind(body)
        metrics.SLACK_REQUESTS.labels(kind, name).inc()
        with logs.correlated(correlation_id):
            # What was asked, never its text: arguments can name a person.
            logger.info("slack %s %s", kind, name)
            await next()

    errors.register(app)
    shift_gap.register(app)
    supply.register(app)
    census.register(app)
    open_shift.register(app)
    certs.register(app)
    clinops.register(app)
    home.register(app)
    return app
