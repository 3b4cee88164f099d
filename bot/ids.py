"""Every action, block and callback id the bot uses, shared by builders and listeners."""

from enum import StrEnum


class BlockId(StrEnum):
    # A service event's line (award, cancel, decision, renewal outcome) as one section.
    ANNOUNCEMENT = "announcement"
    SHIFT_GAP_HEADER = "shift_gap.header"
    SHIFT_GAP_WINDOW = "shift_gap.window"
    SHIFT_GAP_CENSUS = "shift_gap.census"
    SHIFT_GAP_ROLE = "shift_gap.role"
    SHIFT_GAP_AS_OF = "shift_gap.as_of"
    OPEN_SHIFT_HEADER = "open_shift.header"
    OPEN_SHIFT_DETAIL = "open_shift.detail"
    OPEN_SHIFT_CLAIM = "open_shift.actions"
    OPEN_SHIFT_STATUS = "open_shift.status"
    CLAIM_ANSWER = "open_shift.claim_answer"
    CLAIM_QUEUED = "open_shift.queued"
    CANDIDATES_HEADER = "candidates.header"
    CANDIDATE = "candidates.candidate"
    REPORT_UNIT = "report.unit"
    REPORT_ROLE = "report.role"
    REPORT_COUNT = "report.count"
    REPORT_SHIFT = "report.shift"
    REPORT_DATE = "report.date"
    REPORT_REASON = "report.reason"
    CERTS_HEADER = "certs.header"
    CERTS_SUMMARY = "certs.summary"
    CERTS_RECORD = "certs.record"
    CERTS_GAPS = "certs.gaps"
    CERTS_FOOTER = "certs.footer"
    CERTS_RENEWAL = "certs.renewal"
    CERTS_REFUSED = "certs.refused"
    RENEWAL_REVIEW = "renewal.review"
    RENEWAL_ACTIONS = "renewal.actions"
    RENEWAL_STATE = "renewal.state"
    RENEWAL_REJECT_REASON = "renewal.reject_reason"
    USAGE = "usage"
    UNKNOWN_UNIT = "unknown_unit"
    ERROR = "error"
    SUPPLY_STATUS_HEADER = "supply.status.header"
    SUPPLY_STATUS_ITEM = "supply.status.item"
    SUPPLY_COUNT = "supply.count"
    PROPOSAL_HEADER = "proposal.header"
    PROPOSAL_LINE = "proposal.line"
    PROPOSAL_TOTAL = "proposal.total"
    PROPOSAL_STATE = "proposal.state"
    PROPOSAL_ACTIONS = "proposal.actions"
    REJECT_REASON = "proposal.reject_reason"
    REJECT_SNOOZE = "proposal.reject_snooze"
    # One number input per line in the edit modal: "proposal.edit_quantity.<SKU>".
    EDIT_QUANTITY = "proposal.edit_quantity"


class ActionId(StrEnum):
    # A staff nurse claims an open shift (value: open shift id); the charge nurse confirms.
    CLAIM_OPEN_SHIFT = "open_shift.claim"
    CONFIRM_CLAIM = "open_shift.confirm"
    CANCEL_OPEN_SHIFT = "open_shift.cancel"
    # The claimant has seen the overtime and claims anyway (value: open shift id).
    CLAIM_WITH_OVERTIME = "open_shift.claim_overtime"
    # The charge nurse offers the shift to a candidate by DM (value: open shift id:staff id).
    OFFER_OPEN_SHIFT = "open_shift.offer"
    REPORT_UNIT_INPUT = "report.unit_input"
    REPORT_ROLE_INPUT = "report.role_input"
    REPORT_COUNT_INPUT = "report.count_input"
    REPORT_SHIFT_INPUT = "report.shift_input"
    REPORT_DATE_INPUT = "report.date_input"
    REPORT_REASON_INPUT = "report.reason_input"
    # A manager decides a reorder proposal (value: proposal id, e.g. "RP-00001").
    APPROVE_PROPOSAL = "proposal.approve"
    REJECT_PROPOSAL = "proposal.reject"
    REJECT_REASON_INPUT = "proposal.reject_reason_input"
    # How many days a rejection holds before the items may be proposed again (value: days).
    REJECT_SNOOZE_INPUT = "proposal.reject_snooze_input"
    EDIT_QUANTITIES = "proposal.edit"
    EDIT_QUANTITY_INPUT = "proposal.edit_quantity_input"
    # An educator or unit manager decides a certification renewal (value: renewal id).
    VERIFY_RENEWAL = "renewal.verify"
    REJECT_RENEWAL = "renewal.reject"
    REJECT_RENEWAL_REASON_INPUT = "renewal.reject_reason_input"


class CallbackId(StrEnum):
    RECORD_CENSUS = "census.record"
    # `/shift-gap report` with no arguments: the report-a-gap modal.
    REPORT_GAP = "open_shift.report_modal"
    # The reject modal (private_metadata: proposal id).
    REJECT_PROPOSAL = "proposal.reject_modal"
    # The edit-quantities modal (private_metadata: proposal id).
    EDIT_QUANTITIES = "proposal.edit_modal"
    # The renewal reject modal (private_metadata: JSON with the renewal id and the DM's place).
    REJECT_RENEWAL = "renewal.reject_modal"
