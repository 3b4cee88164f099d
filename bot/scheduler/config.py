"""Scheduler settings, from the environment only (CLINOPS_SCHEDULER_*); the token is a secret."""

from pathlib import Path
from typing import Self

import grpc
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinops.rpc import channel_credentials, is_loopback


class SchedulerSettings(BaseSettings):
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
    # The facility's calendar decides what "today" and "07:00" mean.
    time_zone: str = "America/Los_Angeles"
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
    staffing_target: str = Field(
        default="127.0.0.1:50051", validation_alias="CLINOPS_STAFFING_TARGET"
    )
    training_target: str = Field(
        default="127.0.0.1:50053", validation_alias="CLINOPS_TRAINING_TARGET"
    )
    supplies_target: str = Field(
        default="127.0.0.1:50052", validation_alias="CLINOPS_SUPPLIES_TARGET"
    )
    port: int = Field(default=3001, ge=0, le=65535,
                      description="Port of the scheduler's GET /readyz (0: the OS chooses)")
    # Off-box services speak TLS only and want the stack's service credential, as for the bot.
    tls_root_cert_file: Path | None = Field(
        default=None, validation_alias="CLINOPS_TLS_ROOT_CERT_FILE",
        description="PEM CA certificate the scheduler trusts for the services' TLS")
    service_token: SecretStr | None = Field(
        default=None, validation_alias="CLINOPS_SERVICE_TOKEN",
        description="The stack's shared service credential the scheduler presents")
    service_token_file: Path | None = Field(
        default=None, validation_alias="CLINOPS_SERVICE_TOKEN_FILE",
        description="File holding the service credential (instead of CLINOPS_SERVICE_TOKEN)")

    @model_validator(mode="after")
    def _off_box_services_need_tls_and_a_credential(self) -> Self:
        for name, path in (("CLINOPS_TLS_ROOT_CERT_FILE", self.tls_root_cert_file),
                           ("CLINOPS_SERVICE_TOKEN_FILE", self.service_token_file)):
            if path is not None and not path.is_file():
                raise ValueError(f"{name} names {path}, which is not a readable file")
        targets = {"CLINOPS_STAFFING_TARGET": self.staffing_target,
                   "CLINOPS_TRAINING_TARGET": self.training_target,
                   "CLINOPS_SUPPLIES_TARGET": self.supplies_target}
        off_box = [name for name, target in targets.items() if not is_loopback(target)]
        if off_box or self.tls_root_cert_file is not None or self.service_token_value():
            missing = [name for name, present in (
                ("CLINOPS_TLS_ROOT_CERT_FILE", self.tls_root_cert_file is not None),
                ("CLINOPS_SERVICE_TOKEN (or CLINOPS_SERVICE_TOKEN_FILE)",
                 bool(self.service_token_value()))) if not present]
            if missing:
                why = (f"{', '.join(off_box)} not loopback" if off_box
                       else "service TLS is partly configured")
                raise ValueError(f"{why}: set {', '.join(missing)}")
        return self

    def service_token_value(self) -> str:
        """The service credential, from the variable or the file it names; empty when unset."""
        if self.service_token is not None and self.service_token.get_secret_value():
            return self.service_token.get_secret_value()
        if self.service_token_file is not None and self.service_token_file.is_file():
            return self.service_token_file.read_text().strip()
        return ""

    def service_credentials(self) -> grpc.ChannelCredentials | None:
        """TLS (trusting the root cert) + token for every service call, or None for plaintext."""
        if self.tls_root_cert_file is None:
            return None
        return channel_credentials(root_cert=self.tls_root_cert_file.read_bytes(),
                                   token=self.service_token_value())
