"""Settings of the supplies service, from CLINOPS_SUPPLIES_* environment variables."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from clinops.rpc import ServiceSecuritySettings


class SuppliesSettings(ServiceSecuritySettings):
    """Where the supplies service keeps its data and listens, and how far back demand looks."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_SUPPLIES_")

    database_url: str = "sqlite:///data/supplies.db"
    # Loopback by default: off-box needs TLS and a service credential (DESIGN.md).
    address: str = "127.0.0.1:50052"
    demand_window_days: int = Field(default=90, ge=7, le=730)
    orders_dir: str = Field(
        default="data/purchase-orders/",
        description="Folder where each approved purchase order is written as <PO number>.json.")
    order_webhook_url: str = Field(
        default="",
        description="When set, approved purchase orders are POSTed here as JSON instead of "
                    "written to the orders folder.")
    order_webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60,
        description="How long one purchase-order webhook POST may take before it counts as "
                    "failed and is retried with backoff.")
    order_hand_off_lease_seconds: float = Field(
        default=120.0, gt=0, le=3600,
        description="How long a supplies process holds its claim on an order while handing it "
                    "off; a claim left by a process that died is taken over after this. Longer "
                    "than the webhook timeout.")
    order_hand_off_retry_seconds: float = Field(
        default=10.0, gt=0, le=3600,
        description="Wait before retrying a failed purchase-order hand-off; it doubles with "
                    "each failure.")
    order_hand_off_retry_max_seconds: float = Field(
        default=900.0, gt=0, le=86400,
        description="The longest wait between retries of a failed purchase-order hand-off.")

    @model_validator(mode="after")
    def _lease_outlasts_the_webhook(self) -> SuppliesSettings:
        if self.order_hand_off_lease_seconds <= self.order_webhook_timeout_seconds:
            raise ValueError("CLINOPS_SUPPLIES_ORDER_HAND_OFF_LEASE_SECONDS must be longer than "
                             "CLINOPS_SUPPLIES_ORDER_WEBHOOK_TIMEOUT_SECONDS, or a slow POST "
                             "could be handed off twice")
        return self
