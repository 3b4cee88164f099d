"""`/certs [@someone | <unit> | renew <type> <expires YYYY-MM-DD> | help]`: certifications."""

import re
from dataclasses import dataclass
from datetime import date

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks.certs import (
    compliance_blocks,
    compliance_text,
    records_blocks,
    records_text,
    refused_blocks,
    renewal_blocks,
    renewal_text,
)
from bot.blocks.messages import usage_blocks, usage_text
from bot.clients import ServiceCallError, TrainingClient

COMMAND = "/certs"
USAGE = (
    "*Usage:* `/certs [@someone | <unit> | renew <type> <expires YYYY-MM-DD>"
    " | help]`\n"
    "• `/certs` — my certifications with days left\n"
    "• `/certs @someone` — theirs (for them, their manager or an educator)\n"
    "• `/certs ICU` — the unit's compliance; managers and educators also see who lacks what\n"
    "• `/certs renew ACLS 2028-11-30` — submit a renewed card for verification"
)
# Slack escapes a mention in command text as <@U123|name> (or <@U123> without the name).
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,31})(?:\|([^<>]*))?>$")
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_&.-]{0,15}$")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,15}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class MyCerts:
    """The caller's own certifications."""


@dataclass(frozen=True)
class SomeonesCerts:
    slack_user_id: str
    label: str = ""

    @property
    def mention(self) -> str:
        """Slack renders this as the person's name."""
        return f"<@{self.slack_user_id}|{self.label}>" if self.label else f"<@{self.slack_user_id}>"


@dataclass(frozen=True)
class UnitCompliance:
    unit_id: str


@dataclass(frozen=True)
class Renewal:
    certification_code: str
    expires_on: date


@dataclass(frozen=True)
class CertsUsage:
    """Show the usage; `problem` says what was wrong with the input, if anything."""

    problem: str | None = None


CertsQuery = MyCerts | SomeonesCerts | UnitCompliance | Renewal


def _parse_renewal(args: list[str]) -> Renewal | CertsUsage:
    if args and args[-2:-1] and args[-2].lower() == "expires":
        args = [*args[:-2], args[-1]]
    if len(args) != 2:
        return CertsUsage("Give the certification and the expiry printed on the new card, "
                          "e.g. `/certs renew ACLS 2028-11-30`.")
    code, expires = args
    if not _CODE.match(code):
        return CertsUsage(f"`{code}` is not a certification type (e.g. BLS, ACLS, RN-CA).")
    if not _DATE.match(expires):
        return CertsUsage(f"`{expires}` is not a date; write it as YYYY-MM-DD.")
    try:
        return Renewal(code.upper(), date.fromisoformat(expires))
    except ValueError as error:
        return CertsUsage(f"`{expires}` is not a real date ({error}).")


def parse_certs(text: str) -> CertsQuery | CertsUsage:
    """Parse the command's text: nothing, a mention, a unit, `renew …` or `help`."""
    words = (text or "").split()
    if not words:
        return MyCerts()
    first = words[0]
    if first.lower() == "help":
        return CertsUsage()
    if first.lower() == "renew":
        return _parse_renewal(words[1:])
    if len(words) > 1:
        return CertsUsage(f"I don't understand `{' '.join(words[1:])}` after `{first}`.")
    mention = _MENTION.match(first)
    if mention:
        return SomeonesCerts(mention.group(1), mention.group(2) or "")
    if first.startswith("@"):
        return CertsUsage(f"Pick {first} from Slack's @ list so their mention comes through.")
    if _UNIT.match(first):
        return UnitCompliance(first.upper())
    return CertsUsage(f"I don't understand `{first}`.")


async def certs(ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict) -> None:
    """ack → one training RPC → blocks → ephemeral reply (personal detail stays with the caller)."""
    await ack()
    query = parse_certs(command.get("text", ""))
    if isinstance(query, CertsUsage):
        await _usage(respond, query.problem)
        return
    training: TrainingClient = context["training"]
    try:
        if isinstance(query, MyCerts):
            records = await training.list_records()
            blocks, text = records_blocks(records, own=True), records_text(records, own=True)
        elif isinstance(query, SomeonesCerts):
            records = await training.list_records(slack_user_id=query.slack_user_id)
            own = records.staff_id != "" and query.slack_user_id == context.get("user_id")
            blocks, text = records_blocks(records, own=own), records_text(records, own=own)
        elif isinstance(query, UnitCompliance):
            compliance = await training.get_unit_compliance(query.unit_id)
            blocks, text = compliance_blocks(compliance), compliance_text(compliance)
        else:
            submitted = await training.submit_renewal(
                certification_code=query.certification_code, expires_on=query.expires_on)
            blocks, text = renewal_blocks(submitted.renewal), renewal_text(submitted.renewal)
    except ServiceCallError as error:
        await _answer_refusal(error, query, respond)
        return
    await respond(response_type="ephemeral", blocks=blocks, text=text)


def refusal_text(error: ServiceCallError, query: CertsQuery) -> str | None:
    """What the nurse reads when training says no; None: not a refusal (the error handler's)."""
    if isinstance(query, SomeonesCerts):
        if error.code == grpc.StatusCode.PERMISSION_DENIED:
            who = query.mention
            return f"Only {who}, their manager or an educator can see {who}'s certifications."
        if error.code == grpc.StatusCode.NOT_FOUND:
            return f"{query.mention} is not on the training roster."
    if isinstance(query, UnitCompliance) and error.code == grpc.StatusCode.NOT_FOUND:
        return f"No unit called {query.unit_id} in the training roster."
    if error.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED,
                      grpc.StatusCode.NOT_FOUND):
        details = error.details or "Training refused the request."
        return details[:1].upper() + details[1:]
    return None


async def _answer_refusal(
    error: ServiceCallError, query: CertsQuery, respond: AsyncRespond
) -> None:
    if error.code == grpc.StatusCode.INVALID_ARGUMENT:
        problem = "; ".join(f"{field}: {why}" for field, why in error.violations.items())
        await _usage(respond, problem or error.details)
        return
    text = refusal_text(error, query)
    if text is None:
        raise error
    await respond(response_type="ephemeral", blocks=refused_blocks(text), text=text)


async def _usage(respond: AsyncRespond, problem: str | None) -> None:
    await respond(response_type="ephemeral", blocks=usage_blocks(USAGE, problem),
                  text=usage_text(USAGE, problem))


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(certs)
