"""Training's request fields: which strings are free text (guarded) and which are identifiers.

Every string field of a request is free text, refused when it holds a patient identifier
(clinops.free_text), unless it is named in IDENTIFIERS. tests/guard holds every field to exactly
one of the two lists, so a field added to the proto is a decision, not an accident. The bytes of
ImportRecords are an import file: its free-text cells are guarded as they are parsed
(services/training/imports.py), listed in IMPORT_FILES.
"""

from clinops.free_text import FreeTextGuard
from clinops.training.v1 import training_pb2

SERVICE = training_pb2.DESCRIPTOR.services_by_name["TrainingService"]

FREE_TEXT = frozenset({
    "clinops.training.v1.SubmitRenewalRequest.evidence_reference",  # shown to the reviewers
    "clinops.training.v1.DecideRenewalRequest.reason",  # a rejection, sent to the nurse
})

IDENTIFIERS = frozenset({
    # The notifier's delivery records: an outbox event id (a uuid, hex digits in runs) and
    # where Slack put its post.
    "clinops.training.v1.GetEventDeliveryRequest.event_id",
    "clinops.training.v1.RecordEventDeliveryRequest.event_id",
    "clinops.training.v1.RecordEventDeliveryRequest.slack_channel_id",
    "clinops.training.v1.RecordEventDeliveryRequest.slack_message_ts",
    "clinops.training.v1.ListRecordsRequest.slack_user_id",
    # Staff ids (the roster's employee numbers: often six digits or more).
    "clinops.training.v1.CheckEligibilityRequest.staff_id",
    "clinops.training.v1.ListRecordsRequest.staff_id",
    "clinops.training.v1.RecordReminderSentRequest.staff_id",
    # Unit codes and the role code ("RN").
    "clinops.training.v1.CheckEligibilityRequest.role",
    "clinops.training.v1.CheckEligibilityRequest.unit_id",
    "clinops.training.v1.ExportUnitComplianceRequest.unit_id",
    "clinops.training.v1.GetUnitComplianceRequest.unit_id",
    "clinops.training.v1.ListCertificationDigestRequest.unit_id",
    "clinops.training.v1.ListExpiringRequest.unit_id",
    "clinops.training.v1.ListRequirementsRequest.unit_id",
    "clinops.training.v1.QueueRemindersRequest.unit_ids",
    # Certification type codes ("ACLS") and ids the service issued.
    "clinops.training.v1.RecordReminderSentRequest.certification_code",
    "clinops.training.v1.SubmitRenewalRequest.certification_code",
    "clinops.training.v1.DecideRenewalRequest.renewal_id",
    "clinops.training.v1.RecordReminderSentRequest.claim_id",
})

# Bytes fields holding import files, and the parser that guards their free-text cells.
IMPORT_FILES = {
    "clinops.training.v1.ImportRecordsRequest.content": "services.training.imports",
}


def guard() -> FreeTextGuard:
    """The interceptor that refuses patient identifiers in training's free-text fields."""
    return FreeTextGuard(SERVICE, IDENTIFIERS)
