"""The one error handler: a short ephemeral answer with a reference, never a stack trace."""

import logging

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

from bot.blocks.messages import error_blocks
from bot.clients import ServiceCallError
from bot.verification import VERIFIED, unverified_response

# A change whose answer was lost: what it was, and where its outcome shows, by RPC method.
# "Try again" would be wrong there: the service may have committed it before the reply was lost.
WHERE_IT_SHOWS: dict[str, tuple[str, str]] = {
    "DecideProposal": ("your decision", "the proposal's thread in the unit channel"),
    "RecordCount": ("your count", "`/supply status` for the unit"),
    "ReceivePurchaseOrder": ("the receipt", "`/supply status` for the unit"),
    "RecordCensus": ("the census", "`/shift-gap` for the unit"),
    "ReportGap": ("the reported gap", "the unit channel"),
    "ClaimOpenShift": ("your claim", "the open shift's thread"),
    "ConfirmClaim": ("the confirmation", "the open shift's thread"),
    "OfferOpenShift": ("the offer", "the open shift's thread"),
    "CancelOpenShift": ("the cancellation", "the open shift's thread"),
    "SubmitRenewal": ("your renewal", "`/certs`"),
    "DecideRenewal": ("your decision", "`/certs`"),
}
SOMEWHERE = ("your change", "the unit channel")


def error_text(error: Exception, correlation_id: str) -> str:
    """What the nurse reads: who is not answering, or that something broke, with a reference.

    A read that got no answer can simply be asked again; a change may have gone through, so the
    nurse is told where to look instead of being told it failed.
    """
    if isinstance(error, ServiceCallError) and error.outcome_unknown:
        what, where = WHERE_IT_SHOWS.get(error.method, SOMEWHERE)
        return (
            f"{error.service} did not answer in time, so {what} may have gone through. "
            f"Check {where} before trying again (ref {correlation_id})"
        )
    if isinstance(error, ServiceCallError) and error.not_answering:
        return (
            f"{error.service} is not answering — try again in a minute (ref {correlation_id})"
        )
    return f"Something went wrong (ref {correlation_id})"


async def on_error(
    error: Exception,
    context: dict,
    respond: AsyncRespond | None,
    logger: logging.Logger,
) -> BoltResponse:
    if not context.get(VERIFIED):
        # Raised before Slack's signature was checked: the response_url and channel in the body
        # are the sender's choice, so nothing is posted anywhere, and the body is not logged.
        logger.warning("unverified request failed: %s", type(error).__name__)
        return unverified_response()
    correlation_id = context.get("correlation_id", "-")
    # Only the shape of the failure: never tokens, secrets, payloads or what the user typed.
    if isinstance(error, ServiceCallError):
        logger.warning(
            "ref=%s service=%s code=%s", correlation_id, error.service, error.code.name
        )
    else:
        logger.error(
            "ref=%s unhandled %s", correlation_id, type(error).__name__, exc_info=error
        )
    text = error_text(error, correlation_id)
    if respond is not None:
        try:
            await respond(response_type="ephemeral", blocks=error_blocks(text), text=text)
        except Exception as reply_error:  # noqa: BLE001 - the reply is best effort
            logger.warning(
                "ref=%s could not post the error reply: %s",
                correlation_id,
                type(reply_error).__name__,
            )
    # Answer Slack 200: the nurse has the message above; a 500 would add Slack's own failure.
    return BoltResponse(status=200, body="")


def register(app: AsyncApp) -> None:
    app.error(on_error)
