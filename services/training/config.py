"""Settings of the training service, from CLINOPS_TRAINING_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class TrainingSettings(BaseSettings):
    """Where the training service listens."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_TRAINING_")

    address: str = "127.0.0.1:50053"
