"""A signed slash command over HTTP reaches the real staffing service; the reply reaches Slack."""

import json
import time

from clinops.console import SlackUser, render_blocks, signed_headers


async def test_a_signed_shift_gap_command_gets_200_and_the_icu_table_reaches_slack(
    served_bot, charge_nurse
):
    status, reply = await served_bot.command(charge_nurse, "ICU")
    assert status == 200
    assert reply["response_type"] == "ephemeral"
    text = render_blocks(reply["blocks"])
    assert text.startswith("Intensive Care Unit (ICU)\n")
    assert "Day shift Thu 2026-11-26, 07:00–19:00 facility time" in text
    assert "Ratio rule: Title 22 ICU" in text
    assert "Licensed nurse: required" in text and "on duty" in text
    assert "As of 2026-11-26 10:30 facility time" in text
    # Bolt checked the bot token against SLACK_API_URL, i.e. the stand-in, not slack.com.
    [auth_test] = served_bot.slack.calls("auth.test")
    assert auth_test.headers["authorization"] == "Bearer xoxb-e2e"


async def test_the_table_comes_in_the_ack_itself_and_nothing_is_posted_at_the_response_url(
    served_bot, charge_nurse
):
    body = served_bot.command_body(charge_nurse, "ICU")
    status, acked = await served_bot.post(body, signed_headers(
        body, served_bot.signing_secret, int(time.time())))
    assert status == 200
    reply = json.loads(acked)
    assert reply["response_type"] == "ephemeral"
    assert render_blocks(reply["blocks"]).startswith("Intensive Care Unit (ICU)\n")
    assert reply["text"].startswith("ICU Day shift: ")
    assert served_bot.slack.calls("response_url") == []


async def test_no_unit_means_the_callers_home_unit_from_the_staff_directory(
    served_bot, charge_nurse
):
    _, reply = await served_bot.command(charge_nurse, "")
    assert render_blocks(reply["blocks"]).startswith("Intensive Care Unit (ICU)\n")


async def test_someone_outside_the_staff_directory_is_told_so_and_sees_no_names(
        served_bot, hospital):
    # Who is on duty is for the unit's staff (staffing's authorisation table, issue 15 §2).
    stranger = SlackUser(team_id=hospital.team_id, user_id="U0STRANGER", user_name="visitor")
    _, reply = await served_bot.command(stranger, "ICU night")
    assert "You are not in the staff directory; ask your unit manager." in reply["text"]
    assert "Usage:" in reply["text"]


async def test_an_unknown_unit_gets_the_list_of_known_units(served_bot, charge_nurse):
    _, reply = await served_bot.command(charge_nurse, "nowhere")
    assert reply["text"].startswith("No unit called NOWHERE. Known units: 4W (")
    for unit_id in ("5T", "ED", "ICU", "LD", "PEDS"):
        assert f" {unit_id} (" in reply["text"]


async def test_a_bad_signature_gets_401_and_no_handler_runs(served_bot, charge_nurse):
    body = served_bot.command_body(charge_nurse, "ICU")
    headers = signed_headers(body, "not-the-signing-secret", int(time.time()))
    status, _ = await served_bot.post(body, headers)
    assert status == 401
    assert served_bot.reached_listeners == []
    assert served_bot.slack.calls() == []


async def test_a_request_signed_six_minutes_ago_gets_401_and_no_handler_runs(
    served_bot, charge_nurse
):
    body = served_bot.command_body(charge_nurse, "ICU")
    headers = signed_headers(body, served_bot.signing_secret, int(time.time()) - 6 * 60)
    status, _ = await served_bot.post(body, headers)
    assert status == 401
    assert served_bot.reached_listeners == []
    assert served_bot.slack.calls() == []


async def test_a_correctly_signed_request_is_what_reaches_the_listeners(served_bot, charge_nurse):
    """The control for the two tests above: the spy does see requests that pass the check."""
    await served_bot.command(charge_nurse, "help")
    assert [body["command"] for body in served_bot.reached_listeners] == ["/shift-gap"]


async def test_with_staffing_stopped_the_nurse_hears_it_is_not_answering_within_3_s(
    served_bot, staffing, charge_nurse
):
    _, answered = await served_bot.command(charge_nurse, "ICU")
    assert "blocks" in answered  # the channel is connected before the service goes away
    staffing.stop()
    started = time.monotonic()
    status, reply = await served_bot.command(charge_nurse, "ICU")
    elapsed = time.monotonic() - started
    assert status == 200
    assert reply["text"].startswith("Staffing is not answering — try again in a minute (ref ")
    assert elapsed < 3
