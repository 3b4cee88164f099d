"""`/shift-gap report` with nothing after it: a modal whose submission reports the gap."""

from datetime import date

import grpc
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.report_modal import report_modal
from bot.clients import ServiceCallError, StaffingClient
from bot.ids import ActionId, BlockId, CallbackId

# Where each ReportGap field's complaint is shown in the modal.
FIELD_BLOCKS = {"unit_id": BlockId.REPORT_UNIT, "role": BlockId.REPORT_ROLE,
                "slots": BlockId.REPORT_COUNT, "shift": BlockId.REPORT_SHIFT,
                "day": BlockId.REPORT_DATE, "reason": BlockId.REPORT_REASON}


async def open_report_modal(trigger_id: str, client: AsyncWebClient, context: dict) -> None:
    """ListUnits → views.open with the command's trigger_id."""
    staffing: StaffingClient = context["staffing"]
    units = await staffing.list_units()
    await client.views_open(trigger_id=trigger_id, view=report_modal(units))


def _value(values: dict, block: str, action: str) -> dict:
    return (values.get(block) or {}).get(action) or {}


def report_from_state(values: dict):  # noqa: ANN201 - GapReport, or the errors by block id
    """The modal's state as the text form's GapReport; or {block_id: problem} for bad input."""
    from bot.commands.open_shift import ROLES, GapReport

    errors: dict[str, str] = {}
    unit = (_value(values, BlockId.REPORT_UNIT, ActionId.REPORT_UNIT_INPUT)
            .get("selected_option") or {}).get("value", "")
    if not unit:
        errors[BlockId.REPORT_UNIT] = "Choose a unit."
    role = (_value(values, BlockId.REPORT_ROLE, ActionId.REPORT_ROLE_INPUT)
            .get("selected_option") or {}).get("value", "")
    if role not in ROLES:
        errors[BlockId.REPORT_ROLE] = "Choose a role."
    count_text = (_value(values, BlockId.REPORT_COUNT, ActionId.REPORT_COUNT_INPUT)
                  .get("value") or "1").strip()
    if not count_text.isdigit() or not 1 <= int(count_text) <= 20:
        errors[BlockId.REPORT_COUNT] = "A whole number from 1 to 20."
    shift = (_value(values, BlockId.REPORT_SHIFT, ActionId.REPORT_SHIFT_INPUT)
             .get("selected_option") or {}).get("value") or None
    picked = _value(values, BlockId.REPORT_DATE, ActionId.REPORT_DATE_INPUT).get("selected_date")
    day: date | str | None = None
    if picked:
        try:
            day = date.fromisoformat(picked)
        except ValueError:
            errors[BlockId.REPORT_DATE] = "Pick a date from the calendar."
    reason = (_value(values, BlockId.REPORT_REASON, ActionId.REPORT_REASON_INPUT)
              .get("value") or "").strip()
    if errors:
        return errors
    return GapReport(unit.upper(), ROLES[role], int(count_text), day, shift, reason)


def service_errors(error: ServiceCallError) -> dict[str, str] | None:
    """Staffing's refusal on the modal's fields; None for failures the error handler answers."""
    if error.code == grpc.StatusCode.INVALID_ARGUMENT and error.violations:
        shown: dict[str, str] = {}
        for field, problem in error.violations.items():
            block = FIELD_BLOCKS.get(field.split(".")[0], BlockId.REPORT_UNIT)
            shown[block] = f"{shown[block]}; {problem}" if block in shown else problem
        return shown
    if error.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED,
                      grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
        return {BlockId.REPORT_UNIT: error.details[:150]}
    return None


async def submit_report(ack: AsyncAck, view: dict, client: AsyncWebClient,
                        context: dict) -> None:
    """ReportGap exactly as the text form; refusals stay on the modal's fields. The post in the
    unit's channel is staffing's open_shift.posted event (bot/notifier)."""
    from bot.commands.open_shift import report_request

    parsed = report_from_state(view.get("state", {}).get("values", {}))
    if isinstance(parsed, dict):
        await ack(response_action="errors", errors=parsed)
        return
    staffing: StaffingClient = context["staffing"]
    try:
        opened = (await staffing.report_gap(report_request(parsed))).open_shift
    except ServiceCallError as error:
        shown = service_errors(error)
        if shown is None:
            raise
        await ack(response_action="errors", errors=shown)
        return
    del opened  # posted by the notifier from the event ReportGap committed
    await ack()


def register(app: AsyncApp) -> None:
    app.view(CallbackId.REPORT_GAP)(submit_report)
