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
