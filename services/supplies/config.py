"""Settings of the supplies service, from CLINOPS_SUPPLIES_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class SuppliesSettings(BaseSettings):
    """Where the supplies service listens."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_SUPPLIES_")

    address: str = "127.0.0.1:50052"
