"""Settings of the staffing service, from CLINOPS_STAFFING_* environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from clinops.rpc import ServiceSecuritySettings


class StaffingSettings(ServiceSecuritySettings):
    """Where the staffing service keeps its data and listens, and whom it asks about certs."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_STAFFING_")

    database_url: str = "sqlite:///data/staffing.db"
    # Loopback by default: off-box needs TLS and a service credential (DESIGN.md).
    address: str = "127.0.0.1:50051"
    # The training service answers CheckEligibility; until it does, no claim is awarded.
    training_target: str = "127.0.0.1:50053"
    training_deadline_seconds: float = Field(default=1.0, gt=0)
    # Rest between shifts and the weekly hours beyond which a shift is overtime (DESIGN.md).
    min_rest_hours: float = Field(default=10.0, ge=0)
    weekly_hours_threshold: float = Field(default=40.0, gt=0)
    # An open shift nobody took moves up the ladder after this long on each step (DESIGN.md).
    escalation_wait_minutes: int = Field(default=30, ge=1, le=24 * 60)
