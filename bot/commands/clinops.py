"""`/clinops help`: what the bot can do; `/clinops report <unit>`: the unit's weekly digest."""

import asyncio
import logging
from datetime import date

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import digest, errors
from bot.blocks.messages import usage_blocks, usage_text
from bot.clients import ServiceCallError, StaffingClient, SuppliesClient, TrainingClient
from clinops import logs
from clinops.common.v1 import common_pb2
from clinops.staffing.v1 import staffing_pb2
from clinops.training.v1 import training_pb2

COMMAND = "/clinops"
HELP = (
    "*ClinOps commands*\n"
    "• `/shift-gap [unit] [today|tomorrow|YYYY-MM-DD] [day|night]` — staff vs ratio\n"
    "• `/shift-gap report <unit> <role> [count] [day|night] [date] [reason…]` — open shift "
    "(`/shift-gap report` alone opens a form)\n"
    "• `/shift-gap fill <unit> [day|night] [date]` — eligible candidates, cheapest first; Offer\n"
    "• `/census <unit> <patients> [day|night] [date]` — charge nurse or manager\n"
    "• `/certs [@someone | <unit> | renew <type> YYYY-MM-DD]` — certifications, days left\n"
    "• `/certs <unit> export` — managers and educators: the unit's CSV by DM\n"
    "• `/supply status <unit>` · `/supply count <unit> <sku> <qty>` — stock and reorders\n"
    "• `/supply receive <PO>` — a delivered order moves from on order to on hand\n"
    "• `/clinops report <unit>` — the unit's weekly digest, charts sent to you by DM\n"
    "• `/clinops help` — this list\n"
    "Every command answers `help`."
)
SHIFTS = {digest.DAY: common_pb2.SHIFT_DAY, digest.NIGHT: common_pb2.SHIFT_NIGHT}


def _date(day: date) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


async def _usage(respond: AsyncRespond, problem: str | None) -> None:
    await respond(response_type="ephemeral", blocks=usage_blocks(HELP, problem),
                  text=usage_text(HELP, problem))


async def unit_digest(*, unit_id: str, staffing: StaffingClient, training: TrainingClient,
                      supplies: SuppliesClient) -> digest.UnitDigest:
    """The unit's week from the three services; the first answer names today at the facility."""
    now = await staffing.get_shift_gaps(staffing_pb2.GetShiftGapsRequest(
        unit_id=unit_id, day=common_pb2.DaySpec(relative=common_pb2.RELATIVE_DAY_TODAY)))
    today = date(now.window.date.year, now.window.date.month, now.window.date.day)

    async def gap_of(day: date, shift: str) -> int | None:
        answer = await staffing.get_shift_gaps(staffing_pb2.GetShiftGapsRequest(
            unit_id=unit_id, day=common_pb2.DaySpec(date=_date(day)), shift=SHIFTS[shift]))
        return sum(g.gap for g in answer.gaps) if answer.census_recorded else None

    async def compliance_on(day: date) -> tuple[int, int]:
        answer = await training.call(training.stub.GetUnitCompliance,
                                     training_pb2.GetUnitComplianceRequest(unit_id=unit_id,
                                                                           on=_date(day)))
        return answer.staff_count, answer.fully_compliant

    async def budget_of() -> tuple[int, int]:
        answer = await supplies.get_unit_budget(unit_id)
        return answer.month_to_date_spend_cents, answer.monthly_budget_cents

    return await digest.gather(unit_id=now.unit.unit_id or unit_id, today=today,
                               gap_of=gap_of, compliance_on=compliance_on, budget_of=budget_of)


def _report_unit(words: list[str]) -> str | None:
    """The unit of a well-formed `report <unit>`, else None."""
    if len(words) == 2 and words[0].lower() == "report":
        return words[1].upper()
    return None


async def report(unit_id: str, context: AsyncBoltContext, client: AsyncWebClient,
                 respond: AsyncRespond) -> None:
    # A fresh deadline budget for the ~23 questions: the request's own ended with the ack.
    staffing, training, supplies = (context[name].acting_for(context[name].caller)
                                    for name in ("staffing", "training", "supplies"))
    try:
        week = await unit_digest(unit_id=unit_id, staffing=staffing, training=training,
                                 supplies=supplies)
    except ServiceCallError as error:
        if error.code != grpc.StatusCode.NOT_FOUND:
            raise
        await _usage(respond, f"No unit `{unit_id}`.")
        return
    text = digest.digest_text(week)
    files = await asyncio.to_thread(digest.chart_files, week)
    dm = (await client.conversations_open(users=context.user_id))["channel"]["id"]
    await client.files_upload_v2(channel=dm, file_uploads=files, initial_comment=text)
    await respond(response_type="ephemeral",
                  text=f"{text}\n_The {len(files)} charts are in your DM with ClinOps._")


async def clinops(ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
    """Answer at once: a report is acknowledged and built by `build_report`; the rest is usage."""
    words = (command.get("text") or "").split()
    unit_id = _report_unit(words)
    if unit_id is not None:
        await ack(response_type="ephemeral", text=f"Building the weekly report for {unit_id}…")
        return
    await ack()
    if words and words[0].lower() == "report":
        # Escaped: Slack reads a bare <unit> in mrkdwn as a link and shows nothing.
        problem = "Say which unit: `/clinops report &lt;unit&gt;`."
    else:
        problem = None if not words or words[0].lower() == "help" else f"Unknown: `{words[0]}`."
    await _usage(respond, problem)


async def build_report(command: dict, context: AsyncBoltContext, client: AsyncWebClient,
                       respond: AsyncRespond, logger: logging.Logger) -> None:
    """The lazy half of `/clinops report <unit>`: the numbers, the text and the three charts.

    Bolt runs it after the ack (process_before_response): slow work never holds up Slack's 3 s.
    Bolt only logs a lazy listener's exception, so failures go to the app's one error handler
    here, and the person still gets the short answer with a reference.
    """
    unit_id = _report_unit((command.get("text") or "").split())
    if unit_id is None:
        return
    with logs.correlated(context.get("correlation_id", "-")):
        try:
            await report(unit_id, context, client, respond)
        except Exception as error:  # noqa: BLE001 - handed to the one error handler
            await errors.on_error(error, context, respond, logger)


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(ack=clinops, lazy=[build_report])
