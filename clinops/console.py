"""`clinops demo`: the whole bot on this machine, driven by Slack-style lines on standard input.

Each line becomes the signed payload Slack would send, goes through the same Bolt app as
production, and what the bot posted (recorded by the Slack stand-in) is printed as text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from clinops import authz
from clinops.clock import Clock, system_clock
from clinops.demo.modals import (
    Modal,
    client_side_errors,
    render_modal,
    set_value,
    split_positional,
    view_closed_body,
    view_submission_body,
)
from clinops.slack_standin import RESPONSE_URL_METHOD, UPLOAD_METHOD, RecordedCall, SlackStandIn

API_APP_ID = "A0CLINOPS"
TEAM_DOMAIN = "clinops-demo"
VERIFICATION_TOKEN = "demo-verification-token"
# How long the console waits for a lazy listener's work (e.g. `/clinops report`) after the ack.
LAZY_WAIT_SECONDS = 60.0

# ---- rendering: Block Kit → text ---------------------------------------------------------------

# Slack emoji codes the bot uses (and a few common ones) as the characters a terminal shows;
# a code not listed stays as typed.
_EMOJI = {
    ":warning:": "⚠",
    ":white_check_mark:": "✓",
    ":heavy_check_mark:": "✓",
    ":rotating_light:": "!!",
    ":x:": "✗",
    ":hospital:": "",
    ":pencil2:": "✏️",
    ":memo:": "📝",
    ":arrow_up:": "⬆️",
    ":arrow_down:": "⬇️",
    ":large_orange_circle:": "🟠",
    ":large_green_circle:": "🟢",
    ":large_yellow_circle:": "🟡",
    ":red_circle:": "🔴",
    ":white_circle:": "⚪",
    ":hourglass:": "⌛",
    ":hourglass_flowing_sand:": "⏳",
    ":bell:": "🔔",
    ":calendar:": "📅",
    ":clipboard:": "📋",
    ":package:": "📦",
    ":no_entry:": "⛔",
    ":information_source:": "ℹ️",
    ":tada:": "🎉",
}
_EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([@#!]?)([^<>|]+)>")
# A note after a command, `/shift-gap ICU   # the shift in progress`, as the README prints its
# walkthrough; a whole line may be one. A channel (#icu) has no space after the #.
_NOTE = re.compile(r"(^|\s)#(\s.*)?$")
# A person typed as `@Name` (or `@U0ICU013`) in a command, as one types in Slack's composer.
_TYPED_MENTION = re.compile(r"(?<![<\w])@([A-Za-z][\w.-]*)")


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as plain text: markers dropped, links to their labels, a few emoji."""
    text = _LINK.sub(lambda m: ("#" if m.group(1).startswith("#") else "") + m.group(2), text)
    text = _BARE.sub(lambda m: m.group(1).replace("!", "@") + m.group(2), text)
    for pattern in (_BOLD, _ITALIC, _STRIKE):
        text = pattern.sub(r"\1", text)
    text = text.replace("`", "")
    text = _EMOJI_CODE.sub(lambda m: _EMOJI.get(m.group(0), m.group(0)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _as_dict(block: Any) -> dict[str, Any]:
    return block.to_dict() if hasattr(block, "to_dict") else dict(block)


def _text_of(obj: Any) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    obj = _as_dict(obj)
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(obj.get("text", ""))
    return obj.get("text", "")


def _element(element: dict[str, Any], number: int | None) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{number}] {_text_of(element.get('text'))}"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element)
    placeholder = _text_of(element.get("placeholder")) or kind
    return f"<{placeholder}>"


def buttons_in(blocks: Iterable[Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every button, as (block_id, button), in the order `render_blocks` numbers them."""
    found: list[tuple[str, dict[str, Any]]] = []
    for raw in blocks:
        block = _as_dict(raw)
        block_id = block.get("block_id", "")
        if block.get("type") == "section":
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                found.append((block_id, accessory))
        elif block.get("type") == "actions":
            found.extend(
                (block_id, element)
                for element in block.get("elements", [])
                if element.get("type") == "button"
            )
    return found


def render_blocks(blocks: Iterable[Any], *, first_button: int = 1) -> str:
    """Blocks as readable text: header underlined, sections, fields, context; buttons numbered."""
    lines: list[str] = []
    number = first_button
    for raw in blocks:
        block = _as_dict(raw)
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"))
            lines += [title, "=" * len(title)]
        elif kind == "section":
            if block.get("text"):
                lines.append(_text_of(block["text"]))
            for item in block.get("fields") or []:
                label, _, rest = _text_of(item).partition("\n")
                lines.append(f"  {label}: {rest.replace(chr(10), ' ')}" if rest else f"  {label}")
            accessory = block.get("accessory")
            if accessory:
                is_button = accessory.get("type") == "button"
                lines.append("  " + _element(accessory, number if is_button else None))
                number += is_button
        elif kind == "context":
            lines.append("  " + " · ".join(_element(e, None) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            shown = []
            for element in block.get("elements", []):
                is_button = element.get("type") == "button"
                shown.append(_element(element, number if is_button else None))
                number += is_button
            lines.append("  " + "   ".join(shown))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "input":
            lines.append(f"{_text_of(block.get('label'))}: <input>")
        elif kind == "rich_text":
            lines.append(json.dumps(block.get("elements", []))[:200])
        else:
            lines.append(f"[{kind} block]")
    return "\n".join(lines)


# ---- Slack payloads -----------------------------------------------------------------------------


def signed_headers(body: str, signing_secret: str, timestamp: int) -> dict[str, str]:
    """The headers Slack adds: request timestamp and the v0 HMAC-SHA256 signature."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": f"v0={digest}",
    }


@dataclass(frozen=True)
class SlackUser:
    """Who the console acts as, as Slack knows them."""

    team_id: str
    user_id: str
    user_name: str
    display_name: str = ""


def slash_command_body(
    *,
    user: SlackUser,
    command: str,
    text: str,
    response_url: str,
    channel_id: str = "C0DEMO",
    channel_name: str = "demo",
) -> str:
    """The form body Slack posts for a slash command, field for field."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": user.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user.user_id,
            "user_name": user.user_name,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",
        }
    )


def block_actions_body(
    *,
    user: SlackUser,
    block_id: str,
    button: Mapping[str, Any],
    response_url: str,
    channel_id: str,
    message: Mapping[str, Any] | None,
    ephemeral: bool,
) -> str:
    """The form body (`payload=` JSON) Slack posts when a button is pressed."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user.user_id,
            "username": user.user_name,
            "name": user.user_name,
            "team_id": user.team_id,
        },
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": (message or {}).get("ts", f"{time.time():.6f}"),
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",
        "team": {"id": user.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "demo"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button.get("action_id", ""),
                "block_id": block_id,
                "text": button.get("text", {}),
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if message is not None:
        payload["message"] = dict(message)
    return urlencode({"payload": json.dumps(payload)})


# ---- the console itself -------------------------------------------------------------------------

CONSOLE_HELP = """\
Type what you would type in Slack, or a console command:
  /shift-gap ICU tomorrow night   any slash command, as Slack would send it
  click N                         press button [N] of the last reply that had buttons
  reply <text>                    reply in the thread of the last message posted to a channel
  set N <value>                   fill field (N) of the open modal (a select takes its option)
  submit [v1 v2 ...]              submit the open modal (values, if given, fill (1), (2)...)
  cancel                          close the open modal without submitting
  tick [YYYY-MM-DD|+N|+30m|+2h]   move the demo clock (default +1 day; +30m, +2h within the
                                  day) and run the scheduled jobs that fell due
  home                            open the app's Home tab (your shifts, certifications...)
  as <name or Slack id>           act as someone else
  whoami                          who you are acting as
  help                            this text
  quit                            leave (end of input does too)
  ... # a note                    the rest of a line after " # " is ignored"""


@dataclass
class _Button:
    block_id: str
    button: dict[str, Any]
    channel_id: str
    message: dict[str, Any] | None
    ephemeral: bool


@dataclass
class Console:
    """Reads lines, sends them through the Bolt app as Slack would, prints what came back."""

    app: AsyncApp
    slack: SlackStandIn
    signing_secret: str
    actor: SlackUser
    directory: list[SlackUser] = field(default_factory=list)
    out: TextIO = sys.stdout
    channel_id: str = "C0DEMO"
    _buttons: list[_Button] = field(default_factory=list)
    _sequence: int = 0
    # (channel, ts) of the last message the bot posted to a channel (not in a thread).
    _last_post: tuple[str, str] | None = None
    # The modal a views.open put in front of someone, until it is submitted or cancelled.
    _modal: Modal | None = None
    # Delivers what the services published (outbox relay → in-process stream → notifier).
    announce: Callable[[], Awaitable[None]] | None = None
    # Where uploaded files (the digest's charts) are saved to be opened; None: not saved.
    charts_dir: Path | None = None
    _uploads: dict[str, str] = field(default_factory=dict)
    # The demo's clock and scheduler (`tick`); None where the console runs without them.
    scheduler: Any = None

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def handle(self, line: str) -> bool:
        """Handle one line; False when the console should stop."""
        line = _NOTE.sub("", line).strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        lowered = word.lower()
        if line.startswith("/"):
            await self.slash_command(word, rest.strip())
        elif lowered in ("quit", "exit"):
            return False
        elif lowered == "help":
            self.say(CONSOLE_HELP)
        elif lowered == "whoami":
            self.say(f"You are {self.describe(self.actor)}.")
        elif lowered == "as":
            self.switch_actor(rest.strip())
        elif lowered == "click":
            await self.click(rest.strip())
        elif lowered == "reply":
            await self.thread_reply(rest.strip())
        elif lowered == "set":
            self.set_field(rest.strip())
        elif lowered == "submit":
            await self.submit(rest.strip())
        elif lowered == "cancel":
            await self.cancel()
        elif lowered == "tick":
            await self.tick(rest.strip())
        elif lowered == "home":
            await self.open_home()
        else:
            self.say(f"Not a command: {word}. Type help.")
        return True

    def describe(self, user: SlackUser) -> str:
        name = user.display_name or user.user_name
        return f"{name} ({user.user_id})"

    def switch_actor(self, who: str) -> None:
        if not who:
            self.say("as whom? e.g. `as U0001` or `as Maria`")
            return
        matches = self.people_matching(who)
        if len(matches) == 1:
            self.actor = matches[0]
            self.say(f"Now acting as {self.describe(self.actor)}.")
        elif not matches:
            self.say(f"Nobody called {who} in the demo directory.")
        else:
            self.say(f"{len(matches)} people match {who}:")
            for user in matches[:10]:
                self.say(f"  {self.describe(user)}")

    def people_matching(self, who: str) -> list[SlackUser]:
        """Demo users whose Slack id is `who`, or else whose name contains it (any case)."""
        wanted = who.lower()
        exact = [u for u in self.directory if u.user_id.lower() == wanted]
        return exact or [
            u for u in self.directory if wanted in (u.display_name or u.user_name).lower()
        ]

    def with_mentions(self, text: str) -> str:
        """`@Rajesh` as Slack sends a mention in command text, `<@U0ICU013|handle>`, when exactly
        one demo user matches; anything else stays as typed, as in Slack."""
        def mention(match: re.Match[str]) -> str:
            people = self.people_matching(match.group(1))
            if len(people) != 1:
                return match.group(0)
            # Slack's escape carries the handle, which has no spaces, never the display name.
            return f"<@{people[0].user_id}|{people[0].user_name.replace(' ', '.')}>"

        return _TYPED_MENTION.sub(mention, text)

    async def dispatch(self, body: str) -> Any:
        headers = signed_headers(body, self.signing_secret, int(time.time()))
        before = asyncio.all_tasks()
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        # Bolt starts lazy listeners as tasks after the ack; the transcript shows what they post
        # too, as a workspace would a moment after the "Building…" reply.
        lazy = asyncio.all_tasks() - before - {asyncio.current_task()}
        if lazy:
            await asyncio.wait(lazy, timeout=LAZY_WAIT_SECONDS)
        if self.announce is not None:
            # Service events (e.g. an award's line in the thread) go out before the transcript.
            await self.announce()
        return response

    async def slash_command(self, command: str, text: str) -> None:
        self._sequence += 1
        marker = self.slack.call_count()
        body = slash_command_body(
            user=self.actor,
            command=command,
            text=self.with_mentions(text),
            response_url=self.slack.response_url(f"command-{self._sequence}"),
            channel_id=self.channel_id,
        )
        response = await self.dispatch(body)
        self.show(response, self.slack.calls_since(marker))

    async def click(self, which: str) -> None:
        if not which.isdigit() or not 1 <= int(which) <= len(self._buttons):
            shown = len(self._buttons)
            self.say(f"No button [{which}]: the last reply with buttons had {shown}.")
            return
        pressed = self._buttons[int(which) - 1]
        self._sequence += 1
        marker = self.slack.call_count()
        body = block_actions_body(
            user=self.actor,
            block_id=pressed.block_id,
            button=pressed.button,
            response_url=self.slack.response_url(f"action-{self._sequence}"),
            channel_id=pressed.channel_id,
            message=pressed.message,
            ephemeral=pressed.ephemeral,
        )
        response = await self.dispatch(body)
        self.show(response, self.slack.calls_since(marker))

    async def thread_reply(self, text: str) -> None:
        """A `message` event, as the Events API sends it, replying in the last post's thread."""
        if not text:
            self.say("reply what? e.g. `reply approve` or `reply reject <reason>`")
            return
        if self._last_post is None:
            self.say("Nothing has been posted to a channel yet, so there is no thread to reply in.")
            return
        channel, thread_ts = self._last_post
        self._sequence += 1
        marker = self.slack.call_count()
        ts = f"{time.time():.0f}.{self._sequence:06d}"
        body = json.dumps({
            "token": VERIFICATION_TOKEN, "team_id": self.actor.team_id, "api_app_id": API_APP_ID,
            "type": "event_callback", "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "event": {"type": "message", "channel": channel, "user": self.actor.user_id,
                      "text": text, "ts": ts, "thread_ts": thread_ts, "event_ts": ts,
                      "channel_type": "channel", "team": self.actor.team_id},
        })
        headers = {**signed_headers(body, self.signing_secret, int(time.time())),
                   "content-type": "application/json"}
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        if self.announce is not None:
            await self.announce()  # the decision's line in the thread is a supplies event
        self.show(response, self.slack.calls_since(marker))

    async def open_home(self) -> None:
        """The actor opens the app's Home tab: an app_home_opened event, as the Events API sends."""
        marker = self.slack.call_count()
        body = json.dumps({
            "token": VERIFICATION_TOKEN, "team_id": self.actor.team_id, "api_app_id": API_APP_ID,
            "type": "event_callback", "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": self.actor.user_id, "tab": "home",
                      "channel": f"D{self.actor.user_id}", "event_ts": f"{time.time():.6f}"},
        })
        headers = {**signed_headers(body, self.signing_secret, int(time.time())),
                   "content-type": "application/json"}
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        self.show(response, self.slack.calls_since(marker))

    def show(self, response: Any, calls: list[RecordedCall]) -> None:
        """Print the ack body (if any) and every post the bot made for this request."""
        if response.status == 404:
            self.say("(no listener handles that)")
            return
        printed = False
        buttons: list[_Button] = []
        if response.status >= 400:
            self.say(f"(Slack would show an error: HTTP {response.status})")
            printed = True
        if response.body:
            buttons += self._print_message(_json_or_text(response.body), len(buttons) + 1,
                                           channel_id=self.channel_id, ephemeral=True)
            printed = True
        self._show_calls(calls, buttons, printed=printed)

    def _show_calls(self, calls: list[RecordedCall], buttons: list[_Button], *,
                    printed: bool) -> None:
        """Print what the bot sent Slack; buttons shown become the ones `click N` presses."""
        for call in calls:
            if call.method == "auth.test":
                continue
            printed = True
            if call.method == RESPONSE_URL_METHOD:
                in_channel = call.body.get("response_type") == "in_channel"
                buttons += self._print_message(call.body, len(buttons) + 1,
                                               channel_id=self.channel_id, ephemeral=not in_channel)
            elif call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
                where = call.body.get("channel", "")
                if call.method == "chat.postMessage" and not call.body.get("thread_ts") \
                        and call.answer.get("ts"):
                    self._last_post = (where, call.answer["ts"])
                self.say(f"--- {call.method} to {where} ---")
                buttons += self._print_message(call.body, len(buttons) + 1, channel_id=where,
                                               ephemeral=call.method == "chat.postEphemeral",
                                               message=call.body)
            elif call.method in ("views.open", "views.push", "views.update"):
                self._open_modal(call)
            elif call.method in ("files.getUploadURLExternal", UPLOAD_METHOD,
                                 "files.completeUploadExternal"):
                self._show_upload_step(call)
            elif call.method == "views.publish":
                view = call.body.get("view") or {}
                title = _text_of(view.get("title")) or view.get("type")
                self.say(f"--- {call.method}: {title} ---")
                buttons += self._print_message(view, len(buttons) + 1,
                                               channel_id=self.channel_id, ephemeral=True)
            else:
                self.say(f"--- {call.method} ---")
        if not printed:
            self.say("(no reply)")
        # A reply without buttons leaves the earlier ones pressable, as the message in a Slack
        # channel stays there: one nurse after another can claim the same open shift.
        if buttons:
            self._buttons = buttons
        self.say()

    # ---- the demo clock ---------------------------------------------------------------------

    async def tick(self, argument: str) -> None:
        """`tick [YYYY-MM-DD|+N|+30m|+2h]`: move the demo clock, then run the jobs that fell due."""
        from clinops.demo.scheduler import target_instant

        if self.scheduler is None:
            self.say("This console has no demo clock to move.")
            return
        clock = self.scheduler.clock
        zone = ZoneInfo(self.scheduler.time_zone)
        target = target_instant(argument, clock(), zone)
        if isinstance(target, str):
            self.say(target)
            return
        clock.move_to(target)
        self.say(f"Demo clock: {clock().astimezone(zone):%a %Y-%m-%d %H:%M %Z}.")
        marker = self.slack.call_count()
        runs = await asyncio.to_thread(self.scheduler.run_due)
        if self.announce is not None:
            await self.announce()  # what the jobs opened (a scan's proposals) is posted as events
        for run in runs:
            report = run.report
            done = report.summary() if report is not None else "skipped"
            # Another facility's job is due in its own zone: the facility and zone are named.
            facility = run.job_id.partition(":")[2]
            elsewhere = bool(facility) and (run.due.utcoffset()
                                            != run.due.astimezone(zone).utcoffset())
            due_at = run.due if elsewhere else run.due.astimezone(zone)
            where = f" at {facility}" if elsewhere else ""
            due = f"{due_at:%a %H:%M}" + (f" {due_at:%Z}" if elsewhere else "")
            self.say(f"Ran {run.name}{where} (due {due}): {done}.")
        if not runs:
            self.say("No scheduled job fell due.")
        calls = [c for c in self.slack.calls_since(marker) if c.method != "conversations.open"]
        if calls:
            self._show_calls(calls, [], printed=True)
        else:
            self.say("Nothing was sent.")
            self.say()

    def _show_upload_step(self, call: RecordedCall) -> None:
        """files_upload_v2's three steps: the file is saved, the shared message lists its path."""
        if call.method == "files.getUploadURLExternal":
            self._uploads[call.answer.get("file_id", "")] = call.body.get("filename", "file")
        elif call.method == UPLOAD_METHOD:
            name = Path(self._uploads.get(call.name, call.name)).name
            if self.charts_dir is not None and name.endswith(".png"):
                self.charts_dir.mkdir(parents=True, exist_ok=True)
                (self.charts_dir / name).write_bytes(call.body.get("raw", b""))
                self._uploads[call.name] = str(self.charts_dir / name)
        else:
            where = call.body.get("channel_id") or call.body.get("channels", "")
            self.say("--- files.completeUploadExternal ---")
            self.say(f"(shared in {where})")
            if call.body.get("initial_comment"):
                self.say(mrkdwn_to_text(str(call.body["initial_comment"])))
            files = call.body.get("files")
            files = _json_or_text(files) if isinstance(files, str) else files
            for file in files if isinstance(files, list) else []:
                self.say(f"  [file] {file.get('title', '')}: "
                         f"{self._uploads.get(file.get('id', ''), file.get('id', ''))}")
            self.say()

    # ---- modals ---------------------------------------------------------------------------

    def _open_modal(self, call: RecordedCall) -> None:
        """A view the bot opened (or updated) is the modal in front of the one acting now."""
        view = call.body.get("view") or {}
        if isinstance(view, str):
            view = _json_or_text(view)
        opened = (call.answer.get("view") or {}).get("id", "")
        if call.method == "views.update" and self._modal is not None:
            opened = call.body.get("view_id") or self._modal.view.get("id", opened)
        self._modal = Modal.of({**view, "id": opened}, self.actor.user_id)
        self.say(f"--- {call.method}: {self._modal.title} ---")
        self.say(render_modal(self._modal, render_blocks))

    def _modal_for_actor(self) -> Modal | None:
        if self._modal is None:
            self.say("No modal is open.")
            return None
        if self._modal.owner_user_id != self.actor.user_id:
            owner = next((u for u in self.directory
                          if u.user_id == self._modal.owner_user_id), None)
            who = self.describe(owner) if owner else self._modal.owner_user_id
            self.say(f"The open modal ({self._modal.title}) is {who}'s: `as` them first.")
            return None
        return self._modal

    def set_field(self, text: str) -> None:
        """`set N <value>`: fill one field of the open modal, as typing or picking in Slack."""
        modal = self._modal_for_actor()
        if modal is None:
            return
        number, _, value = text.partition(" ")
        item = modal.field(int(number)) if number.isdigit() else None
        if item is None:
            self.say(f"set which field? The modal has ({len(modal.fields)}) — e.g. `set 1 48`.")
            return
        problem = set_value(item, value)
        if problem:
            self.say(problem)
            return
        modal.errors.pop(item.block_id, None)
        self.say(f"({item.number}) {item.label}: {item.shown()}")

    async def submit(self, text: str) -> None:
        """Submit the open modal as Slack would: a signed view_submission through the app."""
        modal = self._modal_for_actor()
        if modal is None:
            return
        for item, value in zip(modal.fields, split_positional(text, len(modal.fields)),
                               strict=False):
            if value == "-":
                continue  # keep what the field holds
            problem = set_value(item, value)
            if problem:
                self.say(f"({item.number}) {item.label}: {problem}")
                return
        modal.errors = client_side_errors(modal)
        if modal.errors:  # Slack's client refuses these itself; nothing reaches the bot
            self.say(render_modal(modal, render_blocks))
            self.say()
            return
        self._sequence += 1
        marker = self.slack.call_count()
        body = view_submission_body(
            modal, team_id=self.actor.team_id, team_domain=TEAM_DOMAIN,
            user_id=self.actor.user_id, user_name=self.actor.user_name,
            api_app_id=API_APP_ID, token=VERIFICATION_TOKEN)
        response = await self.dispatch(body)
        calls = self.slack.calls_since(marker)
        if response.status == 404:
            self.say("(no listener handles that modal)")
            return
        answer = _json_or_text(response.body) if response.body else {}
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if response.status >= 400:
            self.say(f"(Slack would show the modal's error: HTTP {response.status})")
        elif action == "errors":
            modal.errors = dict(answer.get("errors") or {})
            self.say("--- the modal stays open, with errors ---")
            self.say(render_modal(modal, render_blocks))
        elif action in ("update", "push"):
            self._modal = Modal.of({**answer.get("view", {}), "id": modal.view.get("id", "")},
                                   self.actor.user_id)
            self.say(f"--- the modal {'changes' if action == 'update' else 'moves on'} ---")
            self.say(render_modal(self._modal, render_blocks))
        else:
            self._modal = None
            self.say(f"(modal closed: {modal.title} submitted)")
        self._show_calls(calls, [], printed=True)

    async def cancel(self) -> None:
        """Close the open modal; Slack tells the app only when the view asked (notify_on_close)."""
        modal = self._modal_for_actor()
        if modal is None:
            return
        self._modal = None
        if not modal.view.get("notify_on_close"):
            self.say(f"(modal closed: {modal.title} cancelled; nothing was sent)")
            self.say()
            return
        marker = self.slack.call_count()
        body = view_closed_body(
            modal, team_id=self.actor.team_id, team_domain=TEAM_DOMAIN,
            user_id=self.actor.user_id, user_name=self.actor.user_name,
            api_app_id=API_APP_ID, token=VERIFICATION_TOKEN)
        response = await self.dispatch(body)
        self.say(f"(modal closed: {modal.title} cancelled)")
        self.show(response, self.slack.calls_since(marker))

    def _print_message(self, body: Any, first_button: int, *, channel_id: str, ephemeral: bool,
                       message: dict[str, Any] | None = None) -> list[_Button]:
        if not isinstance(body, dict):
            self.say(str(body))
            return []
        blocks = body.get("blocks") or []
        if not blocks:
            self.say(mrkdwn_to_text(body.get("text", "")))
            return []
        self.say(render_blocks(blocks, first_button=first_button))
        return [
            _Button(block_id, button, channel_id, message, ephemeral)
            for block_id, button in buttons_in(blocks)
        ]

    async def run(self, stream: TextIO, *, interactive: bool) -> None:
        """Read lines until quit or end of input; prompts only when a person is typing."""
        while True:
            if interactive:
                try:
                    line = await asyncio.to_thread(input, "clinops> ")
                except EOFError:
                    self.say()
                    return
            else:
                line = await asyncio.to_thread(stream.readline)
                if not line:
                    return
            if not await self.handle(line):
                return


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


# ---- the demo: services, stand-in and bot in one process ----------------------------------------

@dataclass
class DemoServices:
    """The three gRPC servers on OS-chosen loopback ports, and the staffing store behind them."""

    staffing_port: int
    supplies_port: int
    training_port: int
    servers: list[Any]
    store: Any
    other_stores: list[Any] = field(default_factory=list)
    # Staffing's outbox relay publishing to `events`, the demo's in-process stream (no Redis).
    relay: Any = None
    events: Any = None
    # The other services' relays into the same stream (supplies' and training's decisions).
    other_relays: list[Any] = field(default_factory=list)
    # Supplies' order hand-off, run a pass at a time after each command (like the relays).
    hand_off: Any = None

    def stop(self) -> None:
        for server in self.servers:
            server.stop(grace=None)
        for store in (self.store, *self.other_stores):
            store.close()


def start_services(*, data_dir: Path, hospital: Any, clock: Clock) -> DemoServices:
    """A fresh staffing database seeded with the demo hospital, plus supplies and training."""
    # Imported here: the console is a composition root, and bot/ must never import services.
    from services.staffing import seed as staffing_seed
    from services.staffing import server as staffing_server
    from services.staffing import store as staffing_store
    from services.supplies import handoff as supplies_handoff
    from services.supplies import orders as supplies_orders
    from services.supplies import seed as supplies_seed
    from services.supplies import server as supplies_server
    from services.supplies import store as supplies_store
    from services.training import seed as training_seed
    from services.training import server as training_server
    from services.training import store as training_store

    data_dir.mkdir(parents=True, exist_ok=True)
    # The scheduler credential for this run (clinops.authz): the demo's scheduler and notifier
    # present it, its services check it; made fresh unless the environment names one.
    if not authz.scheduler_credential_from_environment():
        os.environ[authz.SCHEDULER_CREDENTIAL_ENV] = authz.new_scheduler_credential()

    def fresh(name: str, module: Any, store_class: type, seed: Any) -> Any:
        """A new SQLite database for one service, migrated and seeded with the demo hospital."""
        database = data_dir / f"{name}.db"
        database.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
        module.migrate(url)
        opened = store_class.open(url)
        seed.seed_demo(opened, hospital)
        return opened

    store = fresh("staffing", staffing_store, staffing_store.StaffingStore, staffing_seed)
    supplies_db = fresh("supplies", supplies_store, supplies_store.SuppliesStore, supplies_seed)
    training_db = fresh("training", training_store, training_store.TrainingStore, training_seed)
    # Training first: staffing asks it whether a claimant's certifications are current.
    training, training_port = training_server.create_server(store=training_db, clock=clock)
    staffing, staffing_port = staffing_server.create_server(
        store=store, clock=clock, training_target=f"127.0.0.1:{training_port}")
    # Approved orders are handed off as files, as `clinops serve supplies` does by default.
    hand_off = supplies_handoff.OrderHandOff(
        store=supplies_db, clock=clock,
        outlet=supplies_orders.FolderOutlet(data_dir / "purchase-orders"))
    supplies, supplies_port = supplies_server.create_server(
        store=supplies_db, clock=clock, hand_off=hand_off)
    for server in (staffing, supplies, training):
        server.start()
    from clinops.outbox import InProcessStream
    from services.staffing import outbox as staffing_outbox
    from services.supplies import outbox as supplies_outbox
    from services.training import outbox as training_outbox

    events = InProcessStream()
    relay = staffing_outbox.relay(store.engine, publisher=events, clock=clock)
    others = [supplies_outbox.relay(supplies_db.engine, publisher=events, clock=clock),
              training_outbox.relay(training_db.engine, publisher=events, clock=clock)]
    return DemoServices(staffing_port, supplies_port, training_port,
                        [staffing, supplies, training], store, [supplies_db, training_db],
                        relay=relay, events=events, other_relays=others, hand_off=hand_off)


def _label(value: Any) -> str:
    text = getattr(value, "value", value)
    return str(text).replace("_", " ").lower()


def role_label(staff: Any) -> str:
    """"charge nurse (RN)", "float pool RN"...: how the demo introduces a person."""
    duties = [_label(d) for d in getattr(staff, "duties", ()) if _label(d) != "staff"]
    role = str(getattr(staff.role, "value", staff.role))
    employment = _label(getattr(staff, "employment_type", ""))
    parts = [*duties, employment if employment not in ("", "unit staff") else "", role]
    return " ".join(p for p in parts if p)


def slack_user_of(staff: Any) -> SlackUser:
    user_name = re.sub(r"[^a-z0-9]+", ".", staff.display_name.lower()).strip(".")
    return SlackUser(team_id=staff.slack_team_id, user_id=staff.slack_user_id,
                     user_name=user_name, display_name=staff.display_name)


async def run_demo(
    *, stdin: TextIO, stdout: TextIO, data_dir: Path, clock: Clock = system_clock
) -> int:
    """`clinops demo`: everything on this machine; returns the exit code."""
    from bot.app import create_app
    from bot.clients import ServiceClients
    from bot.config import BotSettings
    from bot.dedupe import InProcessDedupe
    from bot.notifier.notifier import Notifier
    from bot.notifier.pacing import ChannelPacer
    from bot.notifier.recording import ServiceRecorder
    from bot.notifier.stream import InProcessEventStream
    from clinops.demo.hospital import DEMO_TIME_ZONE, build_hospital
    from clinops.demo.scheduler import DemoClock, DemoScheduler

    zone = ZoneInfo(DEMO_TIME_ZONE)
    # One clock for every service and the scheduler; `tick` moves it forward.
    clock = DemoClock(clock)
    hospital = build_hospital(clock().astimezone(zone).date())
    services = start_services(data_dir=data_dir, hospital=hospital, clock=clock)
    slack = SlackStandIn(team_id=hospital.team_id)
    slack.start()
    signing_secret = secrets.token_hex(16)
    settings = BotSettings(
        bot_token="xoxb-clinops-demo",
        signing_secret=signing_secret,
        slack_api_url=slack.base_url,
        staffing_target=f"127.0.0.1:{services.staffing_port}",
        supplies_target=f"127.0.0.1:{services.supplies_port}",
        training_target=f"127.0.0.1:{services.training_port}",
    )
    clients = ServiceClients.from_settings(settings)
    scheduler = DemoScheduler.start(
        clock=clock, data_dir=data_dir, time_zone=DEMO_TIME_ZONE, slack_api_url=slack.base_url,
        training_target=settings.training_target, staffing_target=settings.staffing_target,
        supplies_target=settings.supplies_target)
    try:
        # No Redis in the demo: Events API deliveries are remembered in this process.
        app = create_app(settings, clients, dedupe=InProcessDedupe())
        # Open shifts' and proposals' posts are recorded back in their services, as
        # `clinops notifier` does.
        recorder = ServiceRecorder(staffing=clients.staffing, supplies=clients.supplies,
                                   slack=app.client, training=clients.training)
        notifier = Notifier(stream=InProcessEventStream(services.events), client=app.client,
                            consumer="demo", pacer=ChannelPacer(0), recorder=recorder,
                            channels_side_by_side=False)

        async def announce() -> None:
            await asyncio.to_thread(services.hand_off.hand_off_pending)
            for relaying in (services.relay, *services.other_relays):
                await asyncio.to_thread(relaying.publish_pending)
            for _ in range(10):  # bounded: a round delivers up to a batch
                if not await notifier.run_once():
                    break
        directory = [slack_user_of(s) for s in hospital.staff if s.slack_user_id]
        featured = list(hospital.featured_users())
        console = Console(app=app, slack=slack, signing_secret=signing_secret,
                          actor=slack_user_of(featured[0]), directory=directory, out=stdout,
                          scheduler=scheduler, announce=announce,
                          charts_dir=data_dir / "charts")
        console.say(f"ClinOps demo — {len(hospital.units)} units, {len(hospital.staff)} staff, "
                    "no Slack workspace needed.")
        console.say(f"You are acting as {console.describe(console.actor)}, "
                    f"{role_label(featured[0])}. Others to try with `as <name>`:")
        for staff in featured[1:]:
            console.say(f"  {role_label(staff):<28} {staff.display_name} ({staff.slack_user_id})")
        console.say("Type help for console commands.")
        console.say()
        await console.run(stdin, interactive=stdin.isatty())
        return 0
    finally:
        await clients.close()
        scheduler.stop()
        slack.stop()
        services.stop()


def main(data_dir: Path | None = None) -> int:
    """Entry point of `clinops demo`."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(run_demo(stdin=sys.stdin, stdout=sys.stdout,
                                data_dir=data_dir or Path("data") / "demo"))
