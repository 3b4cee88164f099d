"""`/clinops help`: what the bot can do."""

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks.messages import usage_blocks, usage_text

COMMAND = "/clinops"
HELP = (
    "*ClinOps commands*\n"
    "• `/shift-gap [unit] [today|tomorrow|YYYY-MM-DD] [day|night]` — staff vs ratio\n"
    "• `/shift-gap report <unit> <role> [count] [day|night] [date] [reason…]` — open shift\n"
    "• `/census <unit> <patients> [day|night] [date]` — charge nurse or manager\n"
    "• `/certs [@someone | <unit> | renew <type> YYYY-MM-DD]` — certifications, days left\n"
    "• `/supply status <unit>` · `/supply count <unit> <sku> <qty>` — stock and reorders\n"
    "• `/clinops help` — this list\n"
    "Every command answers `help`."
)


async def clinops(ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
    await ack()
    words = (command.get("text") or "").split()
    problem = None if not words or words[0].lower() == "help" else f"Unknown: `{words[0]}`."
    await respond(response_type="ephemeral", blocks=usage_blocks(HELP, problem),
                  text=usage_text(HELP, problem))


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(clinops)

