"""Every action, block and callback id the bot uses, shared by builders and listeners."""

from enum import StrEnum


class BlockId(StrEnum):
    SHIFT_GAP_HEADER = "shift_gap.header"
    SHIFT_GAP_WINDOW = "shift_gap.window"
    SHIFT_GAP_CENSUS = "shift_gap.census"
    SHIFT_GAP_ROLE = "shift_gap.role"
    SHIFT_GAP_AS_OF = "shift_gap.as_of"
    USAGE = "usage"
    UNKNOWN_UNIT = "unknown_unit"
    ERROR = "error"


class ActionId(StrEnum):
    # Reserved for the open-shift issue: a staff nurse claims, the charge nurse confirms.
    CLAIM_OPEN_SHIFT = "open_shift.claim"
    CONFIRM_CLAIM = "open_shift.confirm"


class CallbackId(StrEnum):
    RECORD_CENSUS = "census.record"
