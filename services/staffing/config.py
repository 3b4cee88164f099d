"""Settings of the staffing service, from CLINOPS_STAFFING_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class StaffingSettings(BaseSettings):
    """Where the staffing service keeps its data and listens."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_STAFFING_")

    database_url: str = "sqlite:///data/staffing.db"
    # Loopback by default: off-box needs TLS and a service credential (DESIGN.md).
    address: str = "127.0.0.1:50051"
