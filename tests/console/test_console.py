"""`clinops demo` as a person scripting it would run it: lines on stdin, text on stdout."""

import io
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from slack_bolt.response import BoltResponse

from clinops.console import Console, SlackUser
from clinops.slack_standin import SlackStandIn


def run_demo(stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinops.cli", "demo"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    cwd = tmp_path_factory.mktemp("demo")
    result = run_demo("/shift-gap ICU\n/shift-gap nowhere\n/shift-gap help\n", cwd)
    result.cwd = cwd  # type: ignore[attr-defined]
    return result


def test_the_demo_exits_cleanly_at_end_of_input(transcript):
    assert transcript.returncode == 0, transcript.stderr
    assert "clinops>" not in transcript.stdout


def test_the_demo_says_who_you_are_and_lists_demo_users_by_role(transcript):
    assert "You are acting as Maya Castillo" in transcript.stdout
    assert "manager RN" in transcript.stdout
    assert "float pool RN" in transcript.stdout


def test_shift_gap_icu_prints_the_icu_table(transcript):
    out = transcript.stdout
    assert "Intensive Care Unit (ICU)" in out
    assert "Census:" in out
    assert "Ratio rule: Title 22 ICU" in out
    assert "Licensed nurse: required" in out
    assert "on duty" in out and "gap" in out
    assert "facility time" in out


def test_an_unknown_unit_is_named_and_the_known_units_are_listed(transcript):
    line = next(x for x in transcript.stdout.splitlines() if x.startswith("No unit called"))
    assert line.startswith("No unit called NOWHERE. Known units:")
    for unit_id in ("ICU", "4W", "ED"):
        assert f"{unit_id} (" in line


def test_help_prints_the_usage(transcript):
    assert "Usage: /shift-gap [unit] [today|tomorrow|YYYY-MM-DD] [day|night]" in transcript.stdout


def test_the_demo_keeps_its_data_under_the_working_directory(transcript):
    assert (transcript.cwd / "data" / "demo" / "staffing.db").exists()


def test_console_commands_switch_the_actor_and_explain_themselves(tmp_path):
    result = run_demo("whoami\nas Denise\nwhoami\nas nobody-at-all\nclick 3\nhelp\nbogus\n",
                      tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "You are Maya Castillo (U0ICU002)." in out
    assert "Now acting as Denise Okafor (U0ICU001)." in out
    assert "You are Denise Okafor (U0ICU001)." in out
    assert "Nobody called nobody-at-all" in out
    assert "No button [3]" in out
    assert "click N" in out
    assert "Not a command: bogus" in out


def test_quit_stops_before_the_rest_of_the_input(tmp_path):
    result = run_demo("quit\n/shift-gap ICU\n", tmp_path)
    assert result.returncode == 0
    assert "Intensive Care Unit" not in result.stdout


class RecordingApp:
    """Stands in for the Bolt app: keeps what the console dispatched."""

    def __init__(self) -> None:
        self.requests: list = []

    async def async_dispatch(self, request):
        self.requests.append(request)
        return BoltResponse(status=200, body="")


async def test_a_pressed_button_is_sent_as_a_signed_block_actions_payload():
    """`click N` posts what Slack would: the button's action and block ids, the actor."""
    app = RecordingApp()
    claim = {"type": "actions", "block_id": "b1", "elements": [
        {"type": "button", "action_id": "open_shift.claim", "value": "OS-1",
         "text": {"type": "plain_text", "text": "Claim"}}]}
    with SlackStandIn() as slack:
        console = Console(app=app, slack=slack, signing_secret="s",
                          actor=SlackUser("T1", "U1", "nurse"), out=io.StringIO())
        console.show(BoltResponse(status=200, body=json.dumps({"blocks": [claim]})), [])
        await console.handle("click 1")
    assert "[1] Claim" in console.out.getvalue()
    [request] = app.requests
    payload = json.loads(parse_qs(request.raw_body)["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U1"
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "open_shift.claim", "b1", "OS-1")
    assert request.headers["x-slack-signature"][0].startswith("v0=")
