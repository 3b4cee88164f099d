"""Staffing's request fields: which strings are free text (guarded) and which are identifiers.

Every string field of a request is free text, refused when it holds a patient identifier
(clinops.free_text), unless it is named in IDENTIFIERS. tests/guard holds every field to exactly
one of the two lists, so a field added to the proto is a decision, not an accident.
"""

from clinops.free_text import FreeTextGuard
from clinops.staffing.v1 import staffing_pb2

SERVICE = staffing_pb2.DESCRIPTOR.services_by_name["StaffingService"]

FREE_TEXT = frozenset({
    "clinops.staffing.v1.ReportGapRequest.reason",  # posted to the unit channel with the shift
    "clinops.common.v1.Actor.display_name",  # Census.recorded_by: a name is text
})

IDENTIFIERS = frozenset({
    # The notifier's delivery records: an outbox event id (a uuid, hex digits in runs) and
    # where Slack put its post.
    "clinops.staffing.v1.GetEventDeliveryRequest.event_id",
    "clinops.staffing.v1.RecordEventDeliveryRequest.event_id",
    "clinops.staffing.v1.RecordEventDeliveryRequest.slack_channel_id",
    "clinops.staffing.v1.RecordEventDeliveryRequest.slack_message_ts",
    # Slack's own ids and message timestamps.
    "clinops.common.v1.Actor.slack_team_id",
    "clinops.common.v1.Actor.slack_user_id",
    "clinops.staffing.v1.GetStaffMemberRequest.slack_team_id",
    "clinops.staffing.v1.GetStaffMemberRequest.slack_user_id",
    "clinops.staffing.v1.SetOpenShiftMessageRequest.slack_channel_id",
    "clinops.staffing.v1.SetOpenShiftMessageRequest.slack_message_ts",
    # Staff ids (the roster's employee numbers: often six digits or more).
    "clinops.common.v1.Actor.staff_id",
    "clinops.staffing.v1.AssignmentRow.staff_id",
    "clinops.staffing.v1.ConfirmClaimRequest.staff_id",
    "clinops.staffing.v1.GetStaffMemberRequest.staff_id",
    "clinops.staffing.v1.ListAssignmentsRequest.staff_id",
    "clinops.staffing.v1.OfferOpenShiftRequest.staff_id",
    # Unit codes and facility ids (a CCN is six characters, often all digits).
    "clinops.staffing.v1.AssignmentRow.unit_id",
    "clinops.staffing.v1.GetShiftGapsRequest.unit_id",
    "clinops.staffing.v1.GetUnitRequest.unit_id",
    "clinops.staffing.v1.ListCandidatesRequest.unit_id",
    "clinops.staffing.v1.ListOpenShiftsRequest.unit_id",
    "clinops.staffing.v1.ListUnitsRequest.facility_id",
    "clinops.staffing.v1.RecordCensusRequest.unit_id",
    "clinops.staffing.v1.ReleasePreShiftAlertRequest.unit_id",
    "clinops.staffing.v1.ReportGapRequest.unit_id",
    # Open shift ids the service issued.
    "clinops.staffing.v1.CancelOpenShiftRequest.open_shift_id",
    "clinops.staffing.v1.ClaimOpenShiftRequest.open_shift_id",
    "clinops.staffing.v1.ConfirmClaimRequest.open_shift_id",
    "clinops.staffing.v1.ListCandidatesRequest.open_shift_id",
    "clinops.staffing.v1.OfferOpenShiftRequest.open_shift_id",
    "clinops.staffing.v1.SetOpenShiftMessageRequest.open_shift_id",
    # The key ClaimPreShiftAlerts gave ("RN=2;open CNA=1"), handed back as it came.
    "clinops.staffing.v1.ReleasePreShiftAlertRequest.gap_state",
})

# Bytes fields holding import files (none: its imports arrive as rows of identifiers).
IMPORT_FILES: dict[str, str] = {}


def guard() -> FreeTextGuard:
    """The interceptor that refuses patient identifiers in staffing's free-text fields."""
    return FreeTextGuard(SERVICE, IDENTIFIERS)
