"""Short ephemeral messages shared by commands: usage, unknown unit, errors."""

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.ids import BlockId
from clinops.staffing.v1 import staffing_pb2


def escape_mrkdwn(text: str) -> str:
    """Escape what mrkdwn would read as markup: `<unit>` would otherwise become a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def usage_blocks(usage: str, problem: str | None = None) -> list[Block]:
    """A command's usage (plain `<placeholders>`, escaped here), led by what was wrong."""
    blocks: list[Block] = []
    if problem:
        blocks.append(SectionBlock(block_id=BlockId.ERROR, text=MarkdownTextObject(text=problem)))
    blocks.append(SectionBlock(block_id=BlockId.USAGE,
                               text=MarkdownTextObject(text=escape_mrkdwn(usage))))
    return blocks


def usage_text(usage: str, problem: str | None = None) -> str:
    usage = escape_mrkdwn(usage)
    return f"{problem}\n{usage}" if problem else usage


def unit_list(units: list[staffing_pb2.Unit]) -> str:
    return ", ".join(f"{unit.unit_id} ({unit.name})" for unit in units) or "none configured"


def unknown_unit_blocks(unit_id: str, units: list[staffing_pb2.Unit]) -> list[Block]:
    """No such unit: say so and list the units that exist."""
    return [
        SectionBlock(
            block_id=BlockId.UNKNOWN_UNIT,
            text=MarkdownTextObject(text=unknown_unit_text(unit_id, units)),
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text="Try `/shift-gap ICU` or `/shift-gap help`.")]
        ),
    ]


def unknown_unit_text(unit_id: str, units: list[staffing_pb2.Unit]) -> str:
    return f"No unit called {unit_id}. Known units: {unit_list(units)}."


def error_blocks(text: str) -> list[Block]:
    return [SectionBlock(block_id=BlockId.ERROR, text=MarkdownTextObject(text=text))]
