"""Scheduler settings, from the environment only (CLINOPS_SCHEDULER_*); the token is a secret.

No time zone among them: each facility's own (kept in staffing) decides what "today" and "07:00"
mean there, and every daily job runs once per facility, in that facility's zone.
"""


from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from clinops.client_settings import ServiceTargets


class SchedulerSettings(ServiceTargets):
    """What `clinops scheduler` needs: its job store, the leader lock, services and Slack."""

    model_config = SettingsConfigDict(env_prefix="CLINOPS_SCHEDULER_", populate_by_name=True,
                                      extra="ignore")

    # The job store, and the scan's last successful day, survive restarts here.
    database_url: str = "sqlite:///data/scheduler.db"
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="CLINOPS_REDIS_URL")
    lock_name: str = "clinops:scheduler:leader"
    # A standby takes over within lock_ttl_seconds + poll_seconds of the leader's death.
    lock_ttl_seconds: float = Field(default=30.0, gt=0)
    poll_seconds: float = Field(default=10.0, gt=0)
    reminder_hour: int = Field(default=7, ge=0, le=23)
    reminder_minute: int = Field(default=0, ge=0, le=59)
    digest_hour: int = Field(default=7, ge=0, le=23)
    digest_minute: int = Field(default=30, ge=0, le=59)
    # 0 = Monday: the weekly digest (expiring soon) goes out that day; expired ones daily.
    digest_weekday: int = Field(default=0, ge=0, le=6)
    upcoming_within_days: int = Field(default=90, ge=0, le=366)
    # A job missed while every scheduler was down still runs when one comes back within this.
    misfire_grace_seconds: int = Field(default=12 * 3600, gt=0)
    staffing_poll_minutes: int = Field(
        default=5, ge=1, le=60,
        description="How often staffing's jobs check the escalation ladder and pre-shift gaps")
    preshift_hours: float = Field(
        default=2.0, gt=0, le=24,
        description="Hours before a shift starts (facility time) that its remaining gap is "
                    "posted to the unit's channel")
    supplies_scan_hour: int = Field(
        default=6, ge=0, le=23,
        description="Facility hour of the daily supply reorder scan (before the day shift)")
    supplies_scan_minute: int = Field(
        default=0, ge=0, le=59, description="Minute past that hour of the daily reorder scan")
    supplies_scan_interval_minutes: int = Field(
        default=60, ge=0, le=24 * 60,
        description="Between daily scans, scan this often so imported counts' proposals reach "
                    "the unit channel within it (0: daily only)")
    supplies_scan_deadline_seconds: float = Field(
        default=30.0, gt=0, description="Deadline of one ScanReorders call (a scan of every unit)")
    rpc_deadline_seconds: float = Field(default=5.0, gt=0)
    bot_token: SecretStr = Field(validation_alias="SLACK_BOT_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    port: int = Field(default=3001, ge=0, le=65535,
                      description="Port of the scheduler's GET /readyz (0: the OS chooses)")
    host: str = Field(
        default="127.0.0.1", min_length=1,
        description="Address the scheduler's GET /readyz binds: loopback unless a container "
                    "health check or probe from elsewhere must reach it (0.0.0.0)")
