"""`/certs [@someone | <unit> [export] | renew <type> <expires YYYY-MM-DD> | help]`, and the
Verify / Reject buttons a renewal's reviewers get by DM.

Who may verify, reject or export is the training service's call: the bot passes the clicker in
metadata and shows the service's refusal.
"""

import json
import re
from dataclasses import dataclass
from datetime import date

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.certs import (
    compliance_blocks,
    compliance_text,
    decided_blocks,
    decided_text,
    export_csv,
    export_filename,
    export_text,
    export_title,
    records_blocks,
    records_text,
    refused_blocks,
    reject_renewal_modal,
    submitted_blocks,
    submitted_text,
)
from bot.blocks.messages import usage_blocks, usage_text
from bot.clients import ServiceCallError, TrainingClient
from bot.home import refresh_homes
from bot.ids import ActionId, BlockId, CallbackId
from clinops.training.v1 import training_pb2

COMMAND = "/certs"
USAGE = (
    "*Usage:* `/certs [@someone | <unit> [export] | renew <type> <expires YYYY-MM-DD>"
    " | help]`\n"
    "• `/certs` — my certifications with days left\n"
    "• `/certs @someone` — theirs (for them, their manager or an educator)\n"
    "• `/certs ICU` — the unit's compliance; managers and educators also see who lacks what\n"
    "• `/certs ICU export` — managers and educators: a CSV of everyone's required "
    "certifications, by DM\n"
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
class ComplianceExport:
    unit_id: str


@dataclass(frozen=True)
class Renewal:
    certification_code: str
    expires_on: date


@dataclass(frozen=True)
class CertsUsage:
    """Show the usage; `problem` says what was wrong with the input, if anything."""

    problem: str | None = None


CertsQuery = MyCerts | SomeonesCerts | UnitCompliance | ComplianceExport | Renewal


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
    if len(words) == 2 and words[1].lower() == "export" and _UNIT.match(first):
        return ComplianceExport(first.upper())
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


async def certs(ack: AsyncAck, command: dict, respond: AsyncRespond, context: dict,
                client: AsyncWebClient) -> None:
    """ack → one training RPC → blocks → ephemeral reply (personal detail stays with the caller).

    A renewal reaches its reviewers by DM through training's events; an export goes to the caller
    by DM as a file.
    """
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
        elif isinstance(query, ComplianceExport):
            export = await training.export_unit_compliance(query.unit_id)
            await _send_export(export, command.get("user_id", ""), client)
            blocks, text = refused_blocks(export_text(export)), export_text(export)
        else:
            # Each reviewer's DM (Verify, Reject) is a renewal.submitted event that training
            # committed with the submission; the notifier sends it (bot/notifier).
            submitted = await training.submit_renewal(
                certification_code=query.certification_code, expires_on=query.expires_on)
            blocks, text = submitted_blocks(submitted), submitted_text(submitted)
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
    if (isinstance(query, UnitCompliance | ComplianceExport)
            and error.code == grpc.StatusCode.NOT_FOUND):
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


async def _direct_message(client: AsyncWebClient, user_id: str) -> str:
    """The DM channel with a person (conversations.open answers the same one every time)."""
    opened = await client.conversations_open(users=user_id)
    return opened["channel"]["id"]


async def _send_export(export: training_pb2.ExportUnitComplianceResponse, user_id: str,
                       client: AsyncWebClient) -> None:
    """The CSV to the caller alone: names and statuses are personal detail, never a channel's."""
    channel = await _direct_message(client, user_id)
    await client.files_upload_v2(channel=channel, content=export_csv(export),
                                 filename=export_filename(export), title=export_title(export),
                                 initial_comment=f"{export_title(export)}, as a surveyor asks "
                                                 "for it.")


async def _tell_decision(renewal: training_pb2.Renewal, client: AsyncWebClient,
                         channel: str, ts: str) -> None:
    """The reviewer's DM shows the decision in place. The submitter's DM comes from training's
    renewal.decided event (outbox → stream → notifier), not from here."""
    if channel and ts:
        await client.chat_update(channel=channel, ts=ts, blocks=decided_blocks(renewal),
                                 text=decided_text(renewal))


def _decision_refusal(error: ServiceCallError) -> str:
    if error.code not in DECISION_REFUSALS:
        raise error
    if error.violations:
        return "; ".join(f"{field}: {why}" for field, why in error.violations.items())
    details = error.details or "Training refused the decision."
    return details[:1].upper() + details[1:]


# Refusals the reviewer can act on, shown to them alone; anything else goes to the error handler.
DECISION_REFUSALS = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT,
                               grpc.StatusCode.PERMISSION_DENIED,
                               grpc.StatusCode.FAILED_PRECONDITION,
                               grpc.StatusCode.UNAUTHENTICATED})


def _message_place(body: dict) -> tuple[str, str]:
    container = body.get("container") or {}
    return container.get("channel_id", ""), container.get("message_ts", "")


async def verify(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: dict,
                 client: AsyncWebClient) -> None:
    """ack → DecideRenewal(verify) → the DM updated, the submitter told; or a private refusal."""
    await ack()
    training: TrainingClient = context["training"]
    try:
        renewal = await training.decide_renewal(action.get("value", ""), verify=True)
    except ServiceCallError as error:
        text = _decision_refusal(error)
        await respond(response_type="ephemeral", replace_original=False,
                      blocks=refused_blocks(text), text=text)
        return
    await _tell_decision(renewal, client, *_message_place(body))
    await refresh_homes(context, client, context.user_id or "")  # renewal left their list


async def reject(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient) -> None:
    """Reject needs a reason: open the modal; the service checks who may reject on submit."""
    await ack()
    channel, ts = _message_place(body)
    place = json.dumps({"renewal_id": action.get("value", ""), "channel": channel, "ts": ts})
    await client.views_open(trigger_id=body["trigger_id"],
                            view=reject_renewal_modal(action.get("value", ""), place))


async def reject_submitted(ack: AsyncAck, view: dict, context: dict,
                           client: AsyncWebClient) -> None:
    """DecideRenewal(reject, reason); a refusal is shown on the modal's reason field."""
    reason = (view["state"]["values"].get(BlockId.RENEWAL_REJECT_REASON, {})
              .get(ActionId.REJECT_RENEWAL_REASON_INPUT, {}).get("value") or "")
    try:
        place = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        place = {}
    if not isinstance(place, dict):  # valid JSON but not the object this bot wrote
        place = {}
    training: TrainingClient = context["training"]
    try:
        renewal = await training.decide_renewal(str(place.get("renewal_id", "")), verify=False,
                                                reason=reason)
    except ServiceCallError as error:
        await ack(response_action="errors",
                  errors={BlockId.RENEWAL_REJECT_REASON: _decision_refusal(error)[:150]})
        return
    await ack()
    await _tell_decision(renewal, client, str(place.get("channel", "")),
                         str(place.get("ts", "")))
    await refresh_homes(context, client, context.user_id or "")  # renewal left their list


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(certs)
    app.action(ActionId.VERIFY_RENEWAL)(verify)
    app.action(ActionId.REJECT_RENEWAL)(reject)
    app.view(CallbackId.REJECT_RENEWAL)(reject_submitted)
