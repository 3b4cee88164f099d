"""How the console shows Slack text: emoji codes as characters, and its help for `tick`."""

from clinops.console import CONSOLE_HELP, mrkdwn_to_text


def test_common_emoji_codes_become_their_characters() -> None:
    text = mrkdwn_to_text(":warning: :white_check_mark: :x: :pencil2: :arrow_up: "
                          ":large_orange_circle: :large_green_circle: :red_circle: "
                          ":hourglass: :bell:")
    assert text == "⚠ ✓ ✗ ✏️ ⬆️ 🟠 🟢 🔴 ⌛ 🔔"


def test_an_unknown_emoji_code_and_clock_times_stay_as_written() -> None:
    assert mrkdwn_to_text(":llama: at 19:00:00") == ":llama: at 19:00:00"


def test_the_help_says_tick_moves_by_minutes_and_hours_too() -> None:
    [line] = [line for line in CONSOLE_HELP.splitlines() if line.strip().startswith("tick")]
    assert "+30m" in line and "+2h" in line
