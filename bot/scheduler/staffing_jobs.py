"""Staffing's scheduled jobs: the escalation ladder and the pre-shift gap alert.

Thin, like the certification jobs: staffing decides which open shift climbs a step and which
gap is due an alert (and records each once); these jobs call it every few minutes and post
what it returns — the step in the open shift's thread, float-pool DMs with the Claim button,
the remaining gap in the unit's channel.
"""

from __future__ import annotations

import logging
import uuid

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.blocks.open_shift import ROLE_NAMES, open_shift_blocks, open_shift_text, window_words
from bot.scheduler import jobs
from bot.scheduler.config import SchedulerSettings
from bot.scheduler.scans import Report, send_dm
from clinops.authz import service_metadata
from clinops.rpc import Caller, caller_metadata
from clinops.staffing.v1 import staffing_pb2, staffing_pb2_grpc

log = logging.getLogger(__name__)
ESCALATION_JOB = "staffing.escalation_ladder"
PRESHIFT_JOB = "staffing.preshift_alerts"


def _metadata() -> tuple[tuple[str, str], ...]:
    """The scheduler as itself: no person, its credential, a correlation id."""
    return (*caller_metadata(Caller("", "", f"sched-{uuid.uuid4().hex[:8]}")),
            *service_metadata())


# ---- what is posted (pure) -----------------------------------------------------------------------


def _mentions(people: list[staffing_pb2.StaffMember]) -> str:
    return ", ".join(f"<@{p.slack_user_id}>" for p in people if p.slack_user_id)


def step_text(step: staffing_pb2.Escalation) -> str:
    """The line posted in the open shift's thread when it climbs a step of the ladder."""
    after = f"No taker after {step.waited_minutes} min"
    reached = step.open_shift.ladder_step
    if reached == staffing_pb2.LADDER_STEP_FLOAT_POOL:
        count = len(step.notify)
        asked = (f"{count} eligible float-pool nurse{'s' if count != 1 else ''} messaged"
                 if count else "no float-pool nurse is eligible for it")
        return f"{after}: offered to the float pool ({asked})."
    if reached == staffing_pb2.LADDER_STEP_INCENTIVE:
        return f"{after}: incentive offered — premium pay for whoever claims this shift."
    if reached == staffing_pb2.LADDER_STEP_HOUSE_SUPERVISOR:
        who = _mentions(list(step.notify))
        if not who:
            return f"{after}: house supervisor to be called (no supervisor on file in Slack)."
        return f"{after}: house supervisor {who} notified."
    if reached == staffing_pb2.LADDER_STEP_AGENCY:
        return f"{after}: agency request raised."
    return f"{after}: escalated."


def float_pool_dm_text(shift: staffing_pb2.OpenShift) -> str:
    return f"The float pool is asked to cover this shift. {open_shift_text(shift)}"


def preshift_text(alert: staffing_pb2.PreShiftAlert, hours_before: float) -> str:
    """'ICU — Night shift 2026-11-26, 19:00–07:00 starts within 2 h and is still short: …'."""
    short = [f"{g.gap} {g.role}" for g in alert.gaps if g.gap > 0]
    for shift in alert.open_shifts:
        left = shift.slots - shift.slots_filled
        role = ROLE_NAMES.get(shift.role, "staff")
        short.append(f"{left} {role} open shift{'s' if left != 1 else ''} unfilled")
    return (f":warning: {alert.unit.unit_id} — {window_words(alert.window)} starts within "
            f"{hours_before:g} h and is still short: {'; '.join(short)}.")


def _section(text: str) -> list[dict]:
    return [SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict()]


# ---- delivering ----------------------------------------------------------------------------------


def post_escalations(*, staffing: staffing_pb2_grpc.StaffingServiceStub, deadline: float,
                     slack: WebClient) -> Report:
    """Ask staffing to advance the ladder; post each step in its thread, DM the float pool."""
    report = Report()
    answer = staffing.AdvanceEscalations(staffing_pb2.AdvanceEscalationsRequest(),
                                         timeout=deadline, metadata=_metadata())
    for step in answer.escalations:
        shift = step.open_shift
        text = step_text(step)
        try:
            if not shift.slack_channel_id:
                log.warning("open shift %s has no channel; step not posted", shift.open_shift_id)
                report.skipped += 1
            elif shift.slack_message_ts:
                slack.chat_postMessage(channel=shift.slack_channel_id, text=text,
                                       thread_ts=shift.slack_message_ts)
                report.sent += 1
            else:  # never posted as a message: say which shift, in the unit's channel
                slack.chat_postMessage(channel=shift.slack_channel_id,
                                       text=f"{open_shift_text(shift)}\n{text}")
                report.sent += 1
        except SlackClientError as error:
            # The step stands (staffing recorded it); only its announcement is lost.
            log.warning("escalation of %s not posted (%s)", shift.open_shift_id,
                        type(error).__name__)
            report.failed += 1
        if step.open_shift.ladder_step != staffing_pb2.LADDER_STEP_FLOAT_POOL:
            continue
        blocks = [b.to_dict() for b in open_shift_blocks(shift)]
        for nurse in step.notify:
            try:
                send_dm(slack, nurse.slack_user_id, float_pool_dm_text(shift), blocks)
                report.sent += 1
            except SlackClientError as error:
                log.warning("float-pool DM to %s refused (%s)", nurse.staff_id,
                            type(error).__name__)
                report.failed += 1
    return report


def post_preshift_alerts(*, staffing: staffing_pb2_grpc.StaffingServiceStub, deadline: float,
                         slack: WebClient, hours_before: float) -> Report:
    """Post each unit's remaining gap that staffing hands out; release what Slack refused."""
    report = Report()
    answer = staffing.ClaimPreShiftAlerts(
        staffing_pb2.ClaimPreShiftAlertsRequest(hours_before=hours_before), timeout=deadline,
        metadata=_metadata())
    for alert in answer.alerts:
        if not alert.unit.slack_channel_id:
            log.warning("unit %s has no channel; pre-shift gap not posted", alert.unit.unit_id)
            report.skipped += 1
            continue
        text = preshift_text(alert, hours_before)
        try:
            slack.chat_postMessage(channel=alert.unit.slack_channel_id, text=text,
                                   blocks=_section(text))
        except SlackClientError as error:
            log.warning("pre-shift gap of %s refused (%s); released for the next run",
                        alert.unit.unit_id, type(error).__name__)
            staffing.ReleasePreShiftAlert(staffing_pb2.ReleasePreShiftAlertRequest(
                unit_id=alert.unit.unit_id, date=alert.window.date, shift=alert.window.shift,
                gap_state=alert.gap_state), timeout=deadline, metadata=_metadata())
            report.failed += 1
            continue
        report.sent += 1
    return report


# ---- the jobs ------------------------------------------------------------------------------------


def escalation_ladder() -> Report | None:
    """Every few minutes: unfilled open shifts climb the ladder (staffing decides which)."""
    runtime = jobs._leading_runtime()
    if runtime is None:
        return None
    report = post_escalations(staffing=runtime.staffing.stub, deadline=runtime.staffing.deadline,
                              slack=runtime.slack)
    log.info("escalation ladder: %s", report)
    return report


def preshift_alerts(hours_before: float = 2.0) -> Report | None:
    """Every few minutes: a unit's gap on a shift starting within `hours_before`, once a state."""
    runtime = jobs._leading_runtime()
    if runtime is None:
        return None
    report = post_preshift_alerts(staffing=runtime.staffing.stub,
                                  deadline=runtime.staffing.deadline, slack=runtime.slack,
                                  hours_before=hours_before)
    log.info("pre-shift alerts: %s", report)
    return report


def schedule_jobs(scheduler: BaseScheduler, settings: SchedulerSettings) -> None:
    """Add (or replace) the staffing jobs: explicit ids, every few minutes, coalesced."""
    every = IntervalTrigger(minutes=settings.staffing_poll_minutes)
    # A missed run is worth running only while its answer is fresh: within one more interval.
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1,
              "misfire_grace_time": settings.staffing_poll_minutes * 60}
    scheduler.add_job(escalation_ladder, every, id=ESCALATION_JOB,
                      name="open-shift escalation ladder", **common)
    scheduler.add_job(preshift_alerts, every, id=PRESHIFT_JOB, name="pre-shift gap alert",
                      kwargs={"hours_before": settings.preshift_hours}, **common)
