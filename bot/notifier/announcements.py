"""What each service event says in Slack: pure functions from an event to one post."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks.certs import outcome_text, review_blocks, review_text
from bot.blocks.open_shift import (
    awarded_text,
    cancel_thread_text,
    open_shift_blocks,
    open_shift_text,
)
from bot.blocks.supplies import decision_text, edited_text
from bot.ids import BlockId
from bot.scheduler.messages import reminder_blocks, reminder_text
from clinops.common.v1 import common_pb2
from clinops.outbox import Event
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2


@dataclass(frozen=True)
class Recording:
    """What the owning service must learn once Slack took a post: where it is (channel and ts),
    so later claims, decisions and updates find it. `what` names the RPC (see
    bot/notifier/recording.py); the Slack user is whom the service checks it for."""

    what: str
    subject_id: str
    slack_team_id: str = ""
    slack_user_id: str = ""


@dataclass(frozen=True)
class Post:
    """One chat.postMessage: where, the text (the notification fallback), its Block Kit blocks,
    and the thread it answers in (if any). A post with `user` is a direct message: the notifier
    opens the DM (conversations.open) and posts there. `thread_of` names the event whose post
    this one answers when its ts was not known yet as the event was written: the notifier looks
    it up in its posted records (per channel, the parent's event always comes first)."""

    channel: str
    text: str
    thread_ts: str | None = None
    user: str = ""
    blocks: tuple[dict[str, Any], ...] = ()
    thread_of: str = ""
    recording: Recording | None = None
    # The text and blocks show the recorded subject as it stands when posted (read back from
    # its service by the notifier's recorder); until then they are a placeholder.
    current: bool = False
    # A post that another event may have made already (a reminder queued again after its first
    # event was lost or dead-lettered): its key, carried in the message metadata, and since when
    # the notifier looks for a message carrying it before posting, even on a first delivery.
    once_key: str = ""
    look_since: datetime | None = None


def _as_dicts(blocks: Sequence[Block]) -> tuple[dict[str, Any], ...]:
    return tuple(block.to_dict() for block in blocks)


def _thread(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """Where an answer to a post goes (an open shift's, a proposal's): its ts, or the event
    that posts it when the ts was not recorded yet as the event was written."""
    channel, ts = payload.get("slack_channel_id", ""), payload.get("slack_message_ts", "")
    if not channel or not (ts or payload.get("thread_of")):
        return None
    return {"channel": channel, "thread_ts": ts or None, "thread_of": "" if ts else
            payload.get("thread_of", "")}


def open_shift_posted(payload: Mapping[str, Any]) -> Post | None:
    """The open shift in its unit's channel with Claim (and Cancel); its ts goes to staffing."""
    channel = payload.get("slack_channel_id", "")
    if not channel:
        return None
    day = date.fromisoformat(payload["date"])
    shift = staffing_pb2.OpenShift(
        open_shift_id=payload["open_shift_id"], unit_id=payload["unit_id"],
        window=common_pb2.ShiftWindow(
            date=common_pb2.Date(year=day.year, month=day.month, day=day.day),
            shift=common_pb2.Shift.Value(f"SHIFT_{payload['shift']}")),
        role=staffing_pb2.StaffRole.Value(f"STAFF_ROLE_{payload['role']}"),
        slots=int(payload["slots"]), reason=payload.get("reason", ""),
        state=staffing_pb2.OPEN_SHIFT_STATE_OPEN, slack_channel_id=channel)
    reporter = payload.get("reported_by") or {}
    return Post(channel, open_shift_text(shift),
                blocks=_as_dicts(open_shift_blocks(shift, in_channel=True)),
                recording=Recording("open_shift", shift.open_shift_id,
                                    reporter.get("slack_team_id", ""),
                                    reporter.get("slack_user_id", "")))


def open_shift_awarded(payload: Mapping[str, Any]) -> Post | None:
    """The award in the open shift's thread; nothing if the shift has no channel."""
    thread = _thread(payload)
    if thread is None:
        return None
    shift = staffing_pb2.OpenShift(slots=int(payload["slots"]),
                                   slots_filled=int(payload["slots_filled"]))
    return Post(text=awarded_text(shift, payload.get("display_name", ""),
                                  payload.get("slack_user_id", "")), **thread)


def open_shift_cancelled(payload: Mapping[str, Any]) -> Post | None:
    """The cancel's line in the open shift's thread (who, when, what awards stand)."""
    thread = _thread(payload)
    if thread is None:
        return None
    shift = staffing_pb2.OpenShift(
        cancelled_by_display_name=payload.get("cancelled_by_display_name", ""),
        cancelled_by_slack_user_id=payload.get("cancelled_by_slack_user_id", ""),
        awarded_display_names=list(payload.get("awarded_display_names") or []))
    if payload.get("cancelled_at"):
        stamp = Timestamp()
        stamp.FromDatetime(datetime.fromisoformat(payload["cancelled_at"]))
        shift.cancelled_at.CopyFrom(stamp)
    return Post(text=cancel_thread_text(shift), **thread)


def proposal_created(payload: Mapping[str, Any]) -> Post | None:
    """A new reorder proposal in its unit's channel, with its buttons; its ts goes to supplies.
    The post shows the proposal as it is when posted (a count may have extended it since)."""
    channel = payload.get("slack_channel_id", "")
    if not channel:
        return None
    reference = payload["proposal_id"]
    return Post(channel, f"Reorder proposal {reference} for {payload.get('unit_id', '')}",
                recording=Recording("proposal", reference), current=True)


def _actor(person: Mapping[str, Any] | None) -> common_pb2.Actor | None:
    if not person:
        return None
    return common_pb2.Actor(slack_user_id=person.get("slack_user_id", ""),
                            staff_id=person.get("staff_id", ""),
                            display_name=person.get("display_name", ""))


def proposal_decided(payload: Mapping[str, Any]) -> Post | None:
    """The decision (or edit) in the proposal's thread; nothing if it has no channel."""
    thread = _thread(payload)
    if thread is None:
        return None
    edited = [(str(line["sku"]), int(line["quantity"])) for line in payload.get("edited", [])]
    proposal = supplies_pb2.Proposal(
        proposal_id=payload["proposal_id"],
        state=supplies_pb2.ProposalState.Value(f"PROPOSAL_STATE_{payload['state']}"),
        total_cents=int(payload["total_cents"]),
        purchase_order_id=payload.get("purchase_order_id", ""),
        rejection_reason=payload.get("rejection_reason", ""),
        lines=[supplies_pb2.ProposalLine(sku=sku, quantity=quantity) for sku, quantity in edited])
    decided_by, escalated_to = (_actor(payload.get("decided_by")),
                                _actor(payload.get("escalated_to")))
    if decided_by is not None:
        proposal.decided_by.CopyFrom(decided_by)
    if escalated_to is not None:
        proposal.escalated_to.CopyFrom(escalated_to)
    if payload.get("decision") == "EDIT_QUANTITIES":
        editor = decided_by.slack_user_id if decided_by is not None else ""
        return Post(text=edited_text(proposal, editor, [sku for sku, _ in edited]), **thread)
    if payload.get("state") in ("APPROVED", "REJECTED") and payload.get("decided_at"):
        stamp = Timestamp()
        stamp.FromDatetime(datetime.fromisoformat(payload["decided_at"]))
        proposal.decided_at.CopyFrom(stamp)
    if payload.get("held_until"):
        proposal.held_until.FromDatetime(datetime.fromisoformat(payload["held_until"]))
    return Post(text=decision_text(proposal), **thread)


def renewal_submitted(payload: Mapping[str, Any]) -> Post | None:
    """One reviewer's DM: who renewed what, with Verify and Reject."""
    user = payload.get("reviewer_slack_user_id", "")
    if not user:
        return None
    expires = date.fromisoformat(payload["expires_on"])
    renewal = training_pb2.Renewal(
        renewal_id=payload["renewal_id"], staff_id=payload.get("staff_id", ""),
        certification_code=payload["certification_code"],
        state=training_pb2.RENEWAL_STATE_PENDING,
        expires_on=common_pb2.Date(year=expires.year, month=expires.month, day=expires.day),
        submitted_by=common_pb2.Actor(staff_id=payload.get("staff_id", ""),
                                      display_name=payload.get("submitter_display_name", "")))
    return Post(f"dm:{user}", review_text(renewal), user=user,
                blocks=_as_dicts(review_blocks(renewal)))


def renewal_decided(payload: Mapping[str, Any]) -> Post | None:
    """The submitter's DM: verified through the new expiry, or rejected with the reason."""
    user = payload.get("submitter_slack_user_id", "")
    if not user:
        return None
    expires = date.fromisoformat(payload["expires_on"])
    decided_by = payload.get("decided_by") or {}
    renewal = training_pb2.Renewal(
        certification_code=payload["certification_code"],
        state=training_pb2.RenewalState.Value(f"RENEWAL_STATE_{payload['state']}"),
        expires_on=common_pb2.Date(year=expires.year, month=expires.month, day=expires.day),
        rejection_reason=payload.get("rejection_reason", ""),
        decided_by=common_pb2.Actor(staff_id=decided_by.get("staff_id", ""),
                                    display_name=decided_by.get("display_name", "")))
    return Post(f"dm:{user}", outcome_text(renewal), user=user)


def reminder_due(payload: Mapping[str, Any]) -> Post | None:
    """The nurse's reminder DM, as of the day it was queued; it is recorded sent in training.
    Its key goes in the metadata: queued again, it is looked for in the DM before posting."""
    user = payload.get("slack_user_id", "")
    if not user:
        return None
    expires = date.fromisoformat(payload["expires_on"])
    item = training_pb2.ExpiringCertification(
        record=training_pb2.CertificationRecord(
            staff_id=payload.get("staff_id", ""),
            certification_code=payload["certification_code"],
            expires_on=common_pb2.Date(year=expires.year, month=expires.month, day=expires.day)),
        display_name=payload.get("display_name", ""), slack_user_id=user,
        threshold_days=int(payload["threshold_days"]))
    text = reminder_text(item, on=date.fromisoformat(payload["on"]))
    first = payload.get("first_queued_at", "")
    return Post(f"dm:{user}", text, user=user, blocks=tuple(reminder_blocks(text)),
                recording=Recording("reminder", payload["reminder"],
                                    payload.get("slack_team_id", ""), user),
                once_key=payload["reminder"],
                look_since=datetime.fromisoformat(first) if first else None)


ANNOUNCEMENTS: dict[tuple[str, str], Callable[[Mapping[str, Any]], Post | None]] = {
    ("staffing", "open_shift.posted"): open_shift_posted,
    ("staffing", "open_shift.awarded"): open_shift_awarded,
    ("staffing", "open_shift.cancelled"): open_shift_cancelled,
    ("supplies", "proposal.created"): proposal_created,
    ("supplies", "proposal.decided"): proposal_decided,
    ("training", "renewal.submitted"): renewal_submitted,
    ("training", "renewal.decided"): renewal_decided,
    ("training", "reminder.due"): reminder_due,
}


def announcement(event: Event) -> Post | None:
    """The post for `event`, or None when the bot has nothing to say about it. A one-line post
    (a line in a thread, a DM) carries its text as one Block Kit section too."""
    render = ANNOUNCEMENTS.get((event.service, event.kind))
    post = render(event.payload) if render else None
    if post is None or post.blocks or post.current:
        return post
    return dataclasses.replace(post, blocks=_as_dicts([SectionBlock(
        block_id=BlockId.ANNOUNCEMENT, text=MarkdownTextObject(text=post.text))]))
