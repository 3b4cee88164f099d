"""Outbound adapters an approved purchase order is handed to: a JSON file, or a webhook POST.

The hand-off happens after the approval has committed, in the supplies process's hand-off thread
(services/supplies/handoff.py), never inside the decision's transaction or on its request path:
a slow or failing supplier endpoint cannot hold a row lock, undo an approval or delay the answer.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from datetime import UTC
from pathlib import Path
from typing import Protocol

from services.supplies.model import PurchaseOrder


def order_document(order: PurchaseOrder) -> dict[str, object]:
    """What a supplier receives: the order's number, unit, supplier, lines and total."""
    suppliers = sorted({line.supplier for line in order.lines})
    return {
        "number": order.number,
        "unit": order.unit_id,
        "supplier": suppliers[0] if len(suppliers) == 1 else suppliers,
        "lines": [{"sku": x.sku, "name": x.name, "supplier": x.supplier,
                   "quantity": x.quantity, "pack_size": x.pack_size,
                   "unit_cost": f"{x.unit_cost_cents / 100:.2f}",
                   "line_cost": f"{x.line_cost_cents / 100:.2f}"} for x in order.lines],
        "total": f"{order.total_cents / 100:.2f}",
        "approved_by": order.approved_by_name,
        "approved_at": order.created_at.astimezone(UTC).isoformat(),
    }


class OrderOutlet(Protocol):
    def hand_off(self, order: PurchaseOrder) -> str:
        """Deliver one order; return where it went. Raises on failure."""


class FolderOutlet:
    """One JSON file per order, named after its number, written atomically."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def hand_off(self, order: PurchaseOrder) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{order.number}.json"
        partial = target.with_suffix(".json.partial")
        partial.write_text(json.dumps(order_document(order), indent=2) + "\n", encoding="utf-8")
        os.replace(partial, target)
        return str(target)


class WebhookOutlet:
    """POST the order's JSON to a URL; any non-2xx answer or timeout is a failed hand-off."""

    def __init__(self, url: str, *, timeout_seconds: float = 5.0) -> None:
        self.url, self.timeout_seconds = url, timeout_seconds

    def hand_off(self, order: PurchaseOrder) -> str:
        request = urllib.request.Request(
            self.url, data=json.dumps(order_document(order)).encode(), method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": order.number})
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered {response.status}")
        return self.where

    @property
    def where(self) -> str:
        """The webhook's scheme and host only: its path or query may hold a token."""
        parts = urllib.parse.urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.hostname or ''}" + (
            f":{parts.port}" if parts.port else "")


def outlet_from_settings(*, orders_dir: str, webhook_url: str,
                         timeout_seconds: float) -> OrderOutlet:
    """The webhook when a URL is configured, else the folder."""
    if webhook_url:
        return WebhookOutlet(webhook_url, timeout_seconds=timeout_seconds)
    return FolderOutlet(orders_dir)
