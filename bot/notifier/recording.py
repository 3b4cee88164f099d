"""After Slack took a post: tell the owning service where it is (channel and ts).

Claims, decisions and cancels find the post through the service, so an open shift's or a
proposal's ts must reach staffing or supplies; a reminder DMed is recorded sent in training, so
no later scan queues it again. Each call carries a deadline (the client's) and
the event id as its idempotency key; setting the same channel and ts twice changes nothing.

Every event, whatever it posts (a thread line, a DM, nothing), is then recorded delivered in the
service that wrote it (RecordEventDelivery): until it is, that service's relay publishes it again
after a lease, so an event Redis lost is still posted. Before posting, the notifier asks the same
record (GetEventDelivery) when its own Redis records do not know the event: they may have been
lost with the stream, and the service's database is the record that survives.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date

import grpc
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.open_shift import open_shift_blocks, open_shift_text
from bot.blocks.supplies import proposal_blocks, proposal_text
from bot.clients import ServiceCallError, StaffingClient, SuppliesClient, TrainingClient
from bot.notifier.announcements import Post, Recording
from clinops.common.v1 import common_pb2
from clinops.outbox import Event
from clinops.rpc import Caller
from clinops.staffing.v1 import staffing_pb2
from clinops.supplies.v1 import supplies_pb2
from clinops.training.v1 import training_pb2

logger = logging.getLogger("clinops.notifier")

@dataclasses.dataclass(frozen=True)
class Delivered:
    """An event's post as its service recorded it (both empty: it had nothing to post)."""

    channel: str
    ts: str


OPEN_SHIFT = "open_shift"
PROPOSAL = "proposal"
REMINDER = "reminder"


class ServiceRecorder:
    """Records posts through the bot's service clients (SetOpenShiftMessage, SetProposalMessage,
    RecordReminderSent).

    The open shift's recording answers with the shift as it is now: if a slot was awarded or it
    was cancelled before its post was recorded, the post is updated to show it.
    """

    def __init__(self, *, staffing: StaffingClient | None, supplies: SuppliesClient | None,
                 slack: AsyncWebClient, training: TrainingClient | None = None) -> None:
        self.staffing, self.supplies, self.slack = staffing, supplies, slack
        self.training = training

    def _client(self, event: Event) -> StaffingClient | SuppliesClient | TrainingClient | None:
        client = {"staffing": self.staffing, "supplies": self.supplies,
                  "training": self.training}.get(event.service)
        # The notifier acts as itself here (a service identity), not for a Slack user.
        return (client.acting_for(Caller("", "", f"event-{event.event_id[:8]}")).as_service()
                if client else None)

    async def delivered(self, event: Event) -> Delivered | None:
        """The post `event` has, as its service recorded it; None when not recorded (or no
        client for its service is configured)."""
        client = self._client(event)
        if client is None:
            return None
        answer = await client.call(client.stub.GetEventDelivery,
                                   _request(client, "GetEventDeliveryRequest",
                                            event_id=event.event_id))
        found = answer.delivery
        if not found.delivered:
            return None
        return Delivered(found.slack_channel_id, found.slack_message_ts)

    async def record_delivery(self, event: Event, *, channel: str, ts: str) -> None:
        """Tell `event`'s service it is delivered (posted at `channel`/`ts`, or both empty: it
        posts nothing), so its relay stops publishing it."""
        client = self._client(event)
        if client is None:
            return
        try:
            await client.call(client.stub.RecordEventDelivery,
                              _request(client, "RecordEventDeliveryRequest",
                                       event_id=event.event_id, slack_channel_id=channel,
                                       slack_message_ts=ts))
        except ServiceCallError as error:
            if error.code != grpc.StatusCode.NOT_FOUND:
                raise
            # Not in its outbox: nothing there will publish it again, so there is nothing to
            # stop; holding the entry would only dead-letter a post already made.
            logger.error("notifier: %s has no event %s (%s) to record delivered", event.service,
                         event.event_id, event.kind)

    async def current(self, post: Post) -> Post:
        """A proposal's post as it stands now (GetProposal): lines, total, budget, buttons."""
        recording = post.recording
        if recording is None or recording.what != PROPOSAL or self.supplies is None:
            return post
        supplies = self.supplies.acting_for(
            Caller(recording.slack_team_id, recording.slack_user_id, "event-read")).as_service()
        proposal = await supplies.get_proposal(recording.subject_id)
        return dataclasses.replace(
            post, text=proposal_text(proposal),
            blocks=tuple(block.to_dict() for block in proposal_blocks(proposal)))

    async def record(self, recording: Recording, *, channel: str, ts: str,
                     event_id: str) -> None:
        key = f"event:{event_id}"
        caller = Caller(recording.slack_team_id, recording.slack_user_id, f"event-{event_id[:8]}")
        if recording.what == OPEN_SHIFT and self.staffing is not None:
            staffing = self.staffing.acting_for(caller).as_service()
            request = staffing_pb2.SetOpenShiftMessageRequest(
                open_shift_id=recording.subject_id, slack_channel_id=channel,
                slack_message_ts=ts)
            shift = (await staffing.call(staffing.stub.SetOpenShiftMessage, request,
                                         idempotency_key=key)).open_shift
            if shift.slots_filled or shift.state != staffing_pb2.OPEN_SHIFT_STATE_OPEN:
                await self.slack.chat_update(channel=channel, ts=ts,
                                             blocks=open_shift_blocks(shift, in_channel=True),
                                             text=open_shift_text(shift))
            return
        if recording.what == PROPOSAL and self.supplies is not None:
            supplies = self.supplies.acting_for(caller).as_service()
            request = supplies_pb2.SetProposalMessageRequest(
                proposal_id=recording.subject_id, slack_channel_id=channel, slack_message_ts=ts)
            await supplies.call(supplies.stub.SetProposalMessage, request, idempotency_key=key)
            return
        if recording.what == REMINDER and self.training is not None:
            await self._reminder_sent(recording, caller, key, event_id)
            return
        logger.error("notifier: nowhere to record %s %s (posted at %s %s)", recording.what,
                     recording.subject_id, channel, ts)

    async def _reminder_sent(self, recording: Recording, caller: Caller, key: str,
                             event_id: str) -> None:
        # The reminder's key: staff/code/YYYY-MM-DD/threshold (a staff id has no "/" after it).
        staff_id, code, expires, threshold = recording.subject_id.rsplit("/", 3)
        day = date.fromisoformat(expires)
        training = self.training.acting_for(caller).as_service()
        request = training_pb2.RecordReminderSentRequest(
            staff_id=staff_id, certification_code=code, threshold_days=int(threshold),
            expires_on=common_pb2.Date(year=day.year, month=day.month, day=day.day),
            phase=training_pb2.REMINDER_PHASE_SENT, claim_id=event_id)
        answer = await training.call(training.stub.RecordReminderSent, request,
                                      idempotency_key=key)
        if not answer.recorded:
            # Marked sent already (this event again, or an earlier one of the same reminder).
            logger.info("notifier: reminder %s was recorded sent before", recording.subject_id)


_MESSAGES = {StaffingClient: staffing_pb2, SuppliesClient: supplies_pb2,
             TrainingClient: training_pb2}


def _request(client: StaffingClient | SuppliesClient | TrainingClient, name: str,
             **fields: str) -> object:
    """The request message `name` of the client's own service (each proto defines its own)."""
    module = next(m for kind, m in _MESSAGES.items() if isinstance(client, kind))
    return getattr(module, name)(**fields)
