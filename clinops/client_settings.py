"""Where a process that calls the services finds them, and the TLS + token it presents off-box.

Shared by the bot's and the scheduler's settings; from the environment only, secrets SecretStr.
"""

from pathlib import Path
from typing import Self

import grpc
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinops.rpc import channel_credentials, is_loopback


class ServiceTargets(BaseSettings):
    """The three services' addresses; off-box ones require TLS and the service credential."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    staffing_target: str = Field(
        default="127.0.0.1:50051", validation_alias="CLINOPS_STAFFING_TARGET",
        description="Where this process reaches the staffing service (host:port)",
    )
    supplies_target: str = Field(
        default="127.0.0.1:50052", validation_alias="CLINOPS_SUPPLIES_TARGET",
        description="Where this process reaches the supplies service (host:port)",
    )
    training_target: str = Field(
        default="127.0.0.1:50053", validation_alias="CLINOPS_TRAINING_TARGET",
        description="Where this process reaches the training service (host:port)",
    )
    # Off-box services speak TLS only and want the stack's service credential (DESIGN.md).
    tls_root_cert_file: Path | None = Field(
        default=None, validation_alias="CLINOPS_TLS_ROOT_CERT_FILE",
        description="PEM CA certificate trusted for the services' TLS")
    service_token: SecretStr | None = Field(
        default=None, validation_alias="CLINOPS_SERVICE_TOKEN",
        description="The stack's shared service credential, presented on every call")
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
                   "CLINOPS_SUPPLIES_TARGET": self.supplies_target,
                   "CLINOPS_TRAINING_TARGET": self.training_target}
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
