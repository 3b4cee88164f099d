"""The Slack app manifest declares exactly what bot/ handles, with no scope it does not need."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Which bot scope each Web API method (as slack_sdk spells it) needs. A method absent here needs
# none beyond the token (response_url replies, views.open with a trigger id, auth.test).
SCOPE_OF_METHOD = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_scheduleMessage": "chat:write",
    "conversations_open": "im:write",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write",
    "files_upload": "files:write",
    "conversations_replies": "channels:history",
    # DMs (a reminder or an announcement a dead sender may have delivered) need im:history; the
    # notifier also reads unit channels, covered by channels:history / groups:history, which
    # conversations_replies and the thread-reply events need anyway.
    "conversations_history": "im:history",
    "reactions_add": "reactions:write",
}
# Events and the scope each one needs to be delivered.
SCOPE_OF_EVENT = {
    "app_home_opened": None,
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "app_mention": "app_mentions:read",
}


def _bot_sources() -> str:
    return "\n".join(path.read_text() for path in sorted((ROOT / "bot").rglob("*.py")))


def _registered_commands() -> set[str]:
    commands = set()
    for path in (ROOT / "bot" / "commands").glob("*.py"):
        text = path.read_text()
        if "app.command(COMMAND)" in text:
            commands.add(re.search(r'^COMMAND = "(/[a-z-]+)"', text, re.MULTILINE).group(1))
        commands.update(re.findall(r'app\.command\("(/[a-z-]+)"\)', text))
    return commands


def _web_api_methods() -> set[str]:
    # `client.` in listeners, `slack.` (a WebClient) in the scheduler's jobs.
    return set(re.findall(r"(?:client|slack)\.([a-z]+_[A-Za-z0-9_]+)\(", _bot_sources()))


def _handled_events() -> set[str]:
    text = _bot_sources()
    events = set(re.findall(r'app\.event\(\s*"([a-z_]+)"', text)) - {"message"}
    if re.search(r"app\.(message|event\(\s*\"message\")", text):
        # Unit channels may be public or private: thread replies arrive as either event.
        events |= {"message.channels", "message.groups"}
    return events


def _declared_events() -> set[str]:
    subscriptions = MANIFEST.get("settings", {}).get("event_subscriptions", {})
    return set(subscriptions.get("bot_events", []))


def test_every_command_the_bot_registers_is_declared_in_the_manifest_and_nothing_else():
    declared = {entry["command"] for entry in MANIFEST["features"]["slash_commands"]}
    registered = _registered_commands()
    assert registered >= {"/shift-gap", "/census", "/supply", "/certs", "/clinops"}
    assert declared == registered


def test_every_command_has_a_description_and_a_usage_hint_for_the_slack_composer():
    for entry in MANIFEST["features"]["slash_commands"]:
        assert entry["description"].strip(), entry["command"]
        assert entry["usage_hint"].strip(), entry["command"]
        assert len(entry["description"]) <= 100, entry["command"]


def test_certs_receives_mentions_as_user_ids_so_someone_is_found_by_slack_id():
    certs = next(e for e in MANIFEST["features"]["slash_commands"] if e["command"] == "/certs")
    assert certs["should_escape"] is True


def test_every_bot_scope_is_needed_by_a_call_or_event_and_every_call_has_its_scope():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {"commands"}
    needed |= {SCOPE_OF_METHOD[m] for m in _web_api_methods() if m in SCOPE_OF_METHOD}
    needed |= {SCOPE_OF_EVENT[e] for e in _declared_events() if SCOPE_OF_EVENT.get(e)}
    assert scopes == needed, f"declared {sorted(scopes)}, bot/ needs {sorted(needed)}"


def test_the_app_asks_for_no_user_token():
    assert "user" not in MANIFEST["oauth_config"]["scopes"]
    assert "redirect_urls" not in MANIFEST["oauth_config"]


def test_the_events_declared_are_exactly_those_bot_listens_to():
    assert _declared_events() == _handled_events()
    if "app_home_opened" in _declared_events():
        assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_interactivity_is_on_and_socket_mode_is_the_default_so_no_public_url_is_needed():
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in MANIFEST["settings"]["interactivity"]
