"""What each service event says in Slack: pure functions from an event to one post."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.blocks.open_shift import awarded_text
from clinops.outbox import Event
from clinops.staffing.v1 import staffing_pb2


@dataclass(frozen=True)
class Post:
    """One chat.postMessage: where, the text, and the thread it answers in (if any)."""

    channel: str
    text: str
    thread_ts: str | None = None


def open_shift_awarded(payload: Mapping[str, Any]) -> Post | None:
    """The award in the open shift's thread; nothing if the shift was never posted."""
    channel, ts = payload.get("slack_channel_id", ""), payload.get("slack_message_ts", "")
    if not channel or not ts:
        return None
    shift = staffing_pb2.OpenShift(slots=int(payload["slots"]),
                                   slots_filled=int(payload["slots_filled"]))
    return Post(channel, awarded_text(shift, payload.get("display_name", ""),
                                      payload.get("slack_user_id", "")), thread_ts=ts)


ANNOUNCEMENTS: dict[tuple[str, str], Callable[[Mapping[str, Any]], Post | None]] = {
    ("staffing", "open_shift.awarded"): open_shift_awarded,
}


def announcement(event: Event) -> Post | None:
    """The post for `event`, or None when the bot has nothing to say about it."""
    render = ANNOUNCEMENTS.get((event.service, event.kind))
    return render(event.payload) if render else None
