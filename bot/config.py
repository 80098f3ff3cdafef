"""Settings from the environment, so that one image runs anywhere with no config file."""

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from core.rules import Rules

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./hexitime.db"
PLATFORMS = ("slack", "teams")

_SCHEMES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalise_database_url(url: str) -> str:
    """Accept the URLs that hosting platforms hand out and give SQLAlchemy its async drivers."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://… or sqlite:///…")
    scheme = _SCHEMES.get(scheme.lower(), scheme)
    url = f"{scheme}://{rest}"
    if scheme == "postgresql+asyncpg":
        # asyncpg calls libpq's `sslmode` plain `ssl`; hosted PostgreSQL URLs often carry it.
        parts = urlsplit(url)
        query = [
            ("ssl" if k == "sslmode" else k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        url = urlunsplit(parts._replace(query=urlencode(query)))
    return url


def redact_url(url: str) -> str:
    """A database URL fit for logs and terminals: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def parse_identity(identity: str) -> str:
    """Check a platform identity such as `slack:T123:U456` or `teams:TENANT:AADID`."""
    identity = identity.strip()
    parts = identity.split(":")
    if len(parts) != 3 or parts[0] not in PLATFORMS or not all(parts):
        raise ValueError(
            f"{identity!r} is not a platform identity like slack:T123:U456 or teams:TENANT:AADID"
        )
    return identity


class _EnvSource(EnvSettingsSource):
    """Reads each field from its exact alias only, and HEXITIME_ADMINS as a comma list."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        alias = str(field.validation_alias)
        return self.env_vars.get(alias), alias, False

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        if field_name == "admins":
            return value
        return super().prepare_field_value(field_name, field, value, value_is_complex)


class Settings(BaseSettings):
    """Every knob of the service; environment names are contracts, so each has an alias."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    # The service.
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL", repr=False)
    port: int = Field(3978, validation_alias="PORT", ge=0, le=65535)
    host: str = Field("0.0.0.0", validation_alias="HEXITIME_HOST")
    log_level: str = Field("INFO", validation_alias="HEXITIME_LOG_LEVEL")

    # Slack.
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    # Microsoft Teams (Bot Framework).
    microsoft_app_id: str | None = Field(None, validation_alias="MicrosoftAppId")
    microsoft_app_password: SecretStr | None = Field(None, validation_alias="MicrosoftAppPassword")
    microsoft_app_type: str = Field("MultiTenant", validation_alias="MicrosoftAppType")
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MicrosoftAppTenantId")

    # The product.
    credit_limit_hours: float = Field(10, validation_alias="HEXITIME_CREDIT_LIMIT_HOURS", ge=0)
    session_cap_hours: float = Field(8, validation_alias="HEXITIME_SESSION_CAP_HOURS", gt=0)
    welcome_grant_hours: float = Field(0, validation_alias="HEXITIME_WELCOME_GRANT_HOURS", ge=0)
    confirm_deadline_days: int = Field(7, validation_alias="HEXITIME_CONFIRM_DEADLINE_DAYS", ge=1)
    hold_ttl_days: int = Field(60, validation_alias="HEXITIME_HOLD_TTL_DAYS", ge=1)
    need_ttl_days: int = Field(90, validation_alias="HEXITIME_NEED_TTL_DAYS", ge=1)
    admins: tuple[str, ...] = Field((), validation_alias="HEXITIME_ADMINS")
    delivery_slack_channel_per_second: float | None = Field(
        None, validation_alias="HEXITIME_DELIVERY_SLACK_CHANNEL_PER_SECOND", gt=0)
    delivery_slack_workspace_per_second: float | None = Field(
        None, validation_alias="HEXITIME_DELIVERY_SLACK_WORKSPACE_PER_SECOND", gt=0)
    delivery_teams_conversation_per_second: float | None = Field(
        None, validation_alias="HEXITIME_DELIVERY_TEAMS_CONVERSATION_PER_SECOND", gt=0)
    delivery_teams_tenant_per_second: float | None = Field(
        None, validation_alias="HEXITIME_DELIVERY_TEAMS_TENANT_PER_SECOND", gt=0)
    delivery_concurrency: int | None = Field(None, validation_alias="HEXITIME_DELIVERY_CONCURRENCY", ge=1)
    delivery_lease_seconds: float | None = Field(None, validation_alias="HEXITIME_DELIVERY_LEASE_SECONDS", gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _EnvSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        return tuple(parse_identity(item) for item in value if item.strip())

    @property
    def database_url_redacted(self) -> str:
        """The database URL without its password, for logs."""
        return redact_url(self.database_url)

    @property
    def slack_enabled(self) -> bool:
        """Slack needs its signing secret plus a bot token or OAuth client credentials."""
        oauth = self.slack_client_id is not None and self.slack_client_secret is not None
        return self.slack_signing_secret is not None and (self.slack_bot_token is not None or oauth)

    def secret_values(self) -> list[str]:
        """Every secret's plain value, so that log output can be scrubbed of them."""
        secrets = [
            self.slack_signing_secret,
            self.slack_bot_token,
            self.slack_client_secret,
            self.slack_app_token,
            self.microsoft_app_password,
        ]
        values = [s.get_secret_value() for s in secrets if s is not None]
        password = urlsplit(self.database_url).password
        if password:
            values += [password, unquote(password)]
        return [v for v in values if v]

    def rules(self) -> Rules:
        """The core's rules in its own units: minutes and timedeltas."""
        return Rules(
            credit_limit_minutes=round(self.credit_limit_hours * 60),
            session_cap_minutes=round(self.session_cap_hours * 60),
            welcome_grant_minutes=round(self.welcome_grant_hours * 60),
            confirm_deadline=timedelta(days=self.confirm_deadline_days),
            hold_ttl=timedelta(days=self.hold_ttl_days),
            need_ttl=timedelta(days=self.need_ttl_days),
        )


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; keyword overrides (by field name) win, e.g. from the CLI."""
    return Settings(**overrides)
