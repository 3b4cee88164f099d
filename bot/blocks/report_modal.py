"""The report-a-gap modal (`/shift-gap report` with nothing after it)."""

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId
from clinops.staffing.v1 import staffing_pb2

# Value → label; the values are the text form's words, so both forms parse the same way.
ROLE_OPTIONS = (("rn", "RN"), ("lvn", "LVN"), ("cna", "CNA"), ("clerk", "Unit clerk"),
                ("tech", "Surgical tech"))
SHIFT_OPTIONS = (("day", "Day 07:00–19:00"), ("night", "Night 19:00–07:00"))


def _options(pairs: tuple[tuple[str, str], ...]) -> list[Option]:
    return [Option(value=value, text=label) for value, label in pairs]


def report_modal(units: list[staffing_pb2.Unit]) -> View:
    """Unit (from ListUnits), role, count, shift, date and reason; submit posts the open shift."""
    unit_options = [Option(value=u.unit_id, text=f"{u.unit_id} — {u.name}"[:75])
                    for u in units[:100]]
    return View(
        type="modal", callback_id=CallbackId.REPORT_GAP, title="Report a gap",
        submit="Post open shift", close="Cancel",
        blocks=[
            InputBlock(block_id=BlockId.REPORT_UNIT, label="Unit", element=StaticSelectElement(
                action_id=ActionId.REPORT_UNIT_INPUT, placeholder="Choose a unit",
                options=unit_options)),
            InputBlock(block_id=BlockId.REPORT_ROLE, label="Role", element=StaticSelectElement(
                action_id=ActionId.REPORT_ROLE_INPUT, options=_options(ROLE_OPTIONS),
                initial_option=_options(ROLE_OPTIONS)[0])),
            InputBlock(block_id=BlockId.REPORT_COUNT, label="How many",
                       element=NumberInputElement(action_id=ActionId.REPORT_COUNT_INPUT,
                                                  is_decimal_allowed=False, initial_value="1",
                                                  min_value="1", max_value="20")),
            InputBlock(block_id=BlockId.REPORT_SHIFT, label="Shift", element=StaticSelectElement(
                action_id=ActionId.REPORT_SHIFT_INPUT, options=_options(SHIFT_OPTIONS),
                initial_option=_options(SHIFT_OPTIONS)[0])),
            InputBlock(block_id=BlockId.REPORT_DATE, label="Date", optional=True,
                       hint="Leave empty for today (facility time).",
                       element=DatePickerElement(action_id=ActionId.REPORT_DATE_INPUT)),
            InputBlock(block_id=BlockId.REPORT_REASON, label="Why", optional=True,
                       element=PlainTextInputElement(action_id=ActionId.REPORT_REASON_INPUT,
                                                     max_length=200,
                                                     placeholder="e.g. call-out")),
        ],
    )
