"""Supplies' request fields: which strings are free text (guarded) and which are identifiers.

Every string field of a request is free text, refused when it holds a patient identifier
(clinops.free_text), unless it is named in IDENTIFIERS. tests/guard holds every field to exactly
one of the two lists, so a field added to the proto is a decision, not an accident.
"""

from clinops.free_text import FreeTextGuard
from clinops.supplies.v1 import supplies_pb2

SERVICE = supplies_pb2.DESCRIPTOR.services_by_name["SuppliesService"]

FREE_TEXT = frozenset({
    "clinops.supplies.v1.DecideProposalRequest.reason",  # a rejection, echoed in the thread
})

IDENTIFIERS = frozenset({
    # The notifier's delivery records: an outbox event id (a uuid, hex digits in runs) and
    # where Slack put its post.
    "clinops.supplies.v1.GetEventDeliveryRequest.event_id",
    "clinops.supplies.v1.RecordEventDeliveryRequest.event_id",
    "clinops.supplies.v1.RecordEventDeliveryRequest.slack_channel_id",
    "clinops.supplies.v1.RecordEventDeliveryRequest.slack_message_ts",
    # Slack's own ids and message timestamps.
    "clinops.supplies.v1.DecideProposalRequest.slack_channel_id",
    "clinops.supplies.v1.DecideProposalRequest.slack_message_ts",
    "clinops.supplies.v1.SetProposalMessageRequest.slack_channel_id",
    "clinops.supplies.v1.SetProposalMessageRequest.slack_message_ts",
    # Proposal and purchase order numbers the service issued.
    "clinops.supplies.v1.DecideProposalRequest.proposal_id",
    "clinops.supplies.v1.GetProposalRequest.proposal_id",
    "clinops.supplies.v1.SetProposalMessageRequest.proposal_id",
    "clinops.supplies.v1.ReceiptRow.purchase_order_id",
    "clinops.supplies.v1.ReceivePurchaseOrderRequest.purchase_order_id",
    # Unit codes.
    "clinops.supplies.v1.GetStockStatusRequest.unit_id",
    "clinops.supplies.v1.GetUnitBudgetRequest.unit_id",
    "clinops.supplies.v1.ListProposalsRequest.unit_id",
    "clinops.supplies.v1.RecordCountRequest.unit_id",
    "clinops.supplies.v1.ScanReordersRequest.unit_id",
    "clinops.supplies.v1.SetParRequest.unit_id",
    "clinops.supplies.v1.StockRow.unit_id",
    # SKUs (catalogue numbers: often six digits or more).
    "clinops.supplies.v1.QuantityEdit.sku",
    "clinops.supplies.v1.ReceiptRow.sku",
    "clinops.supplies.v1.RecordCountRequest.sku",
    "clinops.supplies.v1.SetParRequest.sku",
    "clinops.supplies.v1.StockRow.sku",
})

# Bytes fields holding import files (none: its imports arrive as rows of identifiers).
IMPORT_FILES: dict[str, str] = {}


def guard() -> FreeTextGuard:
    """The interceptor that refuses patient identifiers in supplies' free-text fields."""
    return FreeTextGuard(SERVICE, IDENTIFIERS)
