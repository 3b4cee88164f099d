"""Domain errors of the supplies service; the servicer maps each to a status code in one table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class SuppliesError(Exception):
    """A supplies rule refused the request."""


class UnknownUnit(SuppliesError):
    def __init__(self, unit_id: str, known: Sequence[str] = ()) -> None:
        listed = f"; known units: {', '.join(known)}" if known else ""
        super().__init__(f"no unit {unit_id!r}{listed}")
        self.unit_id = unit_id


class UnknownItem(SuppliesError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no item with SKU {sku!r}")
        self.sku = sku


class UnknownStock(SuppliesError):
    def __init__(self, unit_id: str, sku: str) -> None:
        super().__init__(f"{unit_id} does not stock {sku}; set a par for it first")


class UnknownProposal(SuppliesError):
    def __init__(self, proposal_id: str) -> None:
        super().__init__(f"no proposal {proposal_id}")


class UnknownOrder(SuppliesError):
    def __init__(self, number: str) -> None:
        super().__init__(f"no purchase order {number}")


class AlreadyReceived(SuppliesError):
    """A purchase order is received once: "PO-00001 was already received by Denise Okafor"."""


class NotIdentified(SuppliesError):
    """The call carried no Slack team and user: nobody to hold to account."""


class NotAnApprover(SuppliesError):
    """The caller may not decide this unit's orders (the refusal is audited)."""


class AlreadyDecided(SuppliesError):
    """A decided proposal cannot be decided again: "already approved by Denise Okafor"."""

    def __init__(self, message: str, *, state: str = "", decided_by: str = "") -> None:
        super().__init__(message)
        self.state, self.decided_by = state, decided_by


class NoApproverWithinLimit(SuppliesError):
    """Nobody further up the unit's chain may approve this much."""


class InvalidInput(SuppliesError):
    def __init__(self, violations: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in violations.items()))
        self.violations = dict(violations)


class OverReceipt(SuppliesError):
    """More arrived than a purchase order line still expects (or the SKU is not on the order)."""
