"""Settings of the training service, from CLINOPS_TRAINING_* environment variables."""

from pydantic_settings import SettingsConfigDict

from clinops.rpc import ServiceSecuritySettings


class TrainingSettings(ServiceSecuritySettings):
    """Where the training service keeps its data and listens, and the facility's time zone."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_TRAINING_")

    database_url: str = "sqlite:///data/training.db"
    # Loopback by default: off-box needs TLS and a service credential (DESIGN.md).
    address: str = "127.0.0.1:50053"
    # "Today", days left and shift end dates are counted on the facility's calendar.
    time_zone: str = "America/Los_Angeles"
