"""Settings of the training service, from CLINOPS_TRAINING_* environment variables."""

from pydantic_settings import SettingsConfigDict

from clinops.rpc import ServiceSecuritySettings


class TrainingSettings(ServiceSecuritySettings):
    """Where the training service keeps its data and listens, and the fallback time zone."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_TRAINING_")

    database_url: str = "sqlite:///data/training.db"
    # Loopback by default: off-box needs TLS and a service credential (DESIGN.md).
    address: str = "127.0.0.1:50053"
    # Each unit's facility zone counts "today", days left and shift dates; this is for a unit
    # with none on file yet.
    time_zone: str = "America/Los_Angeles"
