"""Bot settings, from the environment only; secrets stay SecretStr and are never logged."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    """What `clinops bot` and `clinops demo` need to reach Slack and the services."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    bot_token: SecretStr = Field(validation_alias="SLACK_BOT_TOKEN")
    signing_secret: SecretStr = Field(validation_alias="SLACK_SIGNING_SECRET")
    # Set: Socket Mode (no public URL needed); unset: HTTP at /slack/events.
    app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    staffing_target: str = Field(
        default="127.0.0.1:50051", validation_alias="CLINOPS_STAFFING_TARGET"
    )
    supplies_target: str = Field(
        default="127.0.0.1:50052", validation_alias="CLINOPS_SUPPLIES_TARGET"
    )
    training_target: str = Field(
        default="127.0.0.1:50053", validation_alias="CLINOPS_TRAINING_TARGET"
    )
    rpc_deadline_seconds: float = Field(
        default=2.0, gt=0, validation_alias="CLINOPS_RPC_DEADLINE_SECONDS"
    )
    port: int = Field(default=3000, ge=0, le=65535, validation_alias="CLINOPS_BOT_PORT")

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None and bool(self.app_token.get_secret_value())
