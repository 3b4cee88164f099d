"""Settings of the supplies service, from CLINOPS_SUPPLIES_* environment variables."""

from pydantic import Field
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
        description="How long one purchase-order webhook POST may take before it is retried "
                    "on the next approval or reorder scan.")
