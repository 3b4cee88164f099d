"""The listener and the error handler, through the real Bolt app, against a fake servicer."""

import logging

import grpc

from clinops.rpc import (
    CORRELATION_ID_KEY,
    SLACK_TEAM_KEY,
    SLACK_USER_KEY,
    abort_invalid_argument,
)
from clinops.staffing.v1 import staffing_pb2


def _ok(request, context):
    return staffing_pb2.GetShiftGapsResponse(
        unit=staffing_pb2.Unit(unit_id=request.unit_id or "4W", name="4 West",
                               time_zone="America/Los_Angeles"),
        census_recorded=True,
        census=staffing_pb2.Census(patients=10),
        gaps=[staffing_pb2.RoleGap(role="Licensed nurse", required=2, counted=2, gap=0)],
    )


def _text(reply: dict) -> str:
    return reply.get("text", "")


async def test_every_rpc_carries_the_slack_caller_a_correlation_id_and_a_deadline(
    bot, fake_staffing
):
    fake, _ = fake_staffing
    fake.answer = _ok
    response = await bot.command("/shift-gap", "icu")
    assert response.status == 200
    [metadata] = fake.metadata
    assert metadata[SLACK_TEAM_KEY] == bot.user.team_id
    assert metadata[SLACK_USER_KEY] == bot.user.user_id
    assert len(metadata[CORRELATION_ID_KEY]) == 12
    assert 0 < fake.time_remaining[0] <= 0.5
    assert "4 West (ICU)" in str(bot.reply()["blocks"])
    assert bot.reply()["response_type"] == "ephemeral"


async def test_no_home_unit_shows_usage_and_says_so(bot, fake_staffing):
    fake, _ = fake_staffing
    fake.answer = lambda request, context: context.abort(
        grpc.StatusCode.FAILED_PRECONDITION, "no home unit")
    await bot.command("/shift-gap", "")
    text = _text(bot.reply())
    assert "You have no home unit" in text
    assert "Usage:" in text


async def test_invalid_argument_shows_usage_with_the_field_problem(bot, fake_staffing):
    fake, _ = fake_staffing
    fake.answer = lambda request, context: abort_invalid_argument(
        context, {"day.date": "must be within a year of today"})
    await bot.command("/shift-gap", "ICU 2040-01-01")
    text = _text(bot.reply())
    assert "day.date: must be within a year of today" in text
    assert "Usage:" in text


async def test_unknown_unit_lists_the_units_from_list_units(bot, fake_staffing):
    fake, _ = fake_staffing
    fake.units = [staffing_pb2.Unit(unit_id="4W", name="4 West")]
    fake.answer = lambda request, context: context.abort(grpc.StatusCode.NOT_FOUND, "no unit")
    await bot.command("/shift-gap", "nowhere")
    assert _text(bot.reply()) == "No unit called NOWHERE. Known units: 4W (4 West)."


async def test_a_service_past_its_deadline_is_not_answering_with_a_reference(bot, fake_staffing):
    fake, _ = fake_staffing
    fake.answer = lambda request, context: fake.release.wait(5) and _ok(request, context)
    response = await bot.command("/shift-gap", "ICU")
    fake.release.set()
    assert response.status == 200
    text = _text(bot.reply())
    reference = fake.metadata[0][CORRELATION_ID_KEY]
    assert text == f"Staffing is not answering — try again in a minute (ref {reference})"


async def test_an_unexpected_failure_says_something_went_wrong_and_logs_no_secrets(
    bot, fake_staffing, caplog
):
    fake, _ = fake_staffing
    fake.answer = lambda request, context: context.abort(grpc.StatusCode.INTERNAL, "boom")
    with caplog.at_level(logging.DEBUG, logger="clinops.bot"):
        response = await bot.command("/shift-gap", "ICU tomorrow night")
    assert response.status == 200
    reference = fake.metadata[0][CORRELATION_ID_KEY]
    assert _text(bot.reply()) == f"Something went wrong (ref {reference})"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reference in logged
    for secret in (bot.token, bot.signing_secret, "tomorrow night"):
        assert secret not in logged


async def test_help_answers_without_calling_staffing(bot, fake_staffing):
    fake, _ = fake_staffing
    await bot.command("/shift-gap", "help")
    assert "Usage:" in _text(bot.reply())
    assert fake.metadata == []


async def test_clinops_help_lists_the_commands(bot):
    await bot.command("/clinops", "help")
    text = _text(bot.reply())
    assert "/shift-gap" in text and "/clinops help" in text
