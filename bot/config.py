"""Bot settings, from the environment only; secrets stay SecretStr and are never logged."""


from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from clinops.client_settings import ServiceTargets


class BotSettings(ServiceTargets):
    """What `clinops bot` and `clinops demo` need to reach Slack and the services."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    bot_token: SecretStr = Field(validation_alias="SLACK_BOT_TOKEN")
    signing_secret: SecretStr = Field(validation_alias="SLACK_SIGNING_SECRET")
    # Set: Socket Mode (no public URL needed); unset: HTTP at /slack/events.
    app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    rpc_deadline_seconds: float = Field(
        default=2.0, gt=0, validation_alias="CLINOPS_RPC_DEADLINE_SECONDS"
    )
    port: int = Field(default=3000, ge=0, le=65535, validation_alias="CLINOPS_BOT_PORT")
    host: str = Field(
        default="127.0.0.1", min_length=1, validation_alias="CLINOPS_BOT_HOST",
        description="Address the bot's HTTP listener binds (/slack/events, /readyz): loopback "
                    "unless a proxy or container network must reach it (0.0.0.0)")

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None and bool(self.app_token.get_secret_value())
