"""Settings from the environment, so that one image runs anywhere with no config file."""

import logging
import math
from dataclasses import fields
from datetime import time, timedelta
from typing import Any, get_args
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.scheduler.settings import SchedulerSettings, positive_message
from core.nudge_policy import NudgeLimits
from core.nudges import NudgeSettings
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

    # The scheduler, in seconds (unset: the defaults in bot/scheduler/settings.py).
    scheduler_lease_ttl: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_LEASE_TTL")
    scheduler_renew_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_RENEW_EVERY")
    scheduler_deliver_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_DELIVER_EVERY")
    scheduler_broadcast_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_BROADCAST_EVERY")
    scheduler_expire_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_EXPIRE_EVERY")
    scheduler_confirm_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_CONFIRM_EVERY")
    scheduler_nudge_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_NUDGE_EVERY")
    scheduler_digest_every: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_DIGEST_EVERY")
    scheduler_stop_grace: float | None = Field(None, validation_alias="HEXITIME_SCHEDULER_STOP_GRACE")
    scheduler_batch: int | None = Field(None, validation_alias="HEXITIME_SCHEDULER_BATCH")

    # Nudges: spans in hours, counts, local hours (unset: the defaults in core/nudges.py).
    nudge_need_open: float | None = Field(None, validation_alias="HEXITIME_NUDGE_NEED_OPEN")
    nudge_proposal_unanswered: float | None = Field(None, validation_alias="HEXITIME_NUDGE_PROPOSAL_UNANSWERED")
    nudge_session_unlogged: float | None = Field(None, validation_alias="HEXITIME_NUDGE_SESSION_UNLOGGED")
    nudge_confirm_waiting: float | None = Field(None, validation_alias="HEXITIME_NUDGE_CONFIRM_WAITING")
    nudge_hold_expiring: float | None = Field(None, validation_alias="HEXITIME_NUDGE_HOLD_EXPIRING")
    nudge_reminder_after: float | None = Field(None, validation_alias="HEXITIME_NUDGE_REMINDER_AFTER")
    nudge_snooze: float | None = Field(None, validation_alias="HEXITIME_NUDGE_SNOOZE")
    nudge_helpers_per_need: int | None = Field(None, validation_alias="HEXITIME_NUDGE_HELPERS_PER_NEED")
    nudge_per_member_per_scan: int | None = Field(None, validation_alias="HEXITIME_NUDGE_PER_MEMBER_PER_SCAN")
    nudge_max_per_scan: int | None = Field(None, validation_alias="HEXITIME_NUDGE_MAX_PER_SCAN")
    nudge_digest_from_hour: int | None = Field(None, validation_alias="HEXITIME_NUDGE_DIGEST_FROM_HOUR")
    nudge_digest_until_hour: int | None = Field(None, validation_alias="HEXITIME_NUDGE_DIGEST_UNTIL_HOUR")
    nudge_weekly_cap: int | None = Field(None, validation_alias="HEXITIME_NUDGE_WEEKLY_CAP")
    nudge_ignored_before_backoff: int | None = Field(
        None, validation_alias="HEXITIME_NUDGE_IGNORED_BEFORE_BACKOFF")
    nudge_backoff_days: float | None = Field(None, validation_alias="HEXITIME_NUDGE_BACKOFF_DAYS")
    nudge_quiet_hours: tuple[str, str] | None = Field(None, validation_alias="HEXITIME_NUDGE_QUIET_HOURS")

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

    @field_validator("*", mode="before")
    @classmethod
    def _scheduler_and_nudge_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """HEXITIME_SCHEDULER_* above zero, HEXITIME_NUDGE_* zero or more; refusals name the variable."""
        field = info.field_name or ""
        if value is None or not field.startswith(("scheduler_", "nudge_")) or field == "nudge_quiet_hours":
            return value
        spec = cls.model_fields[field]
        whole = int in get_args(spec.annotation)
        raw = value.strip() if isinstance(value, str) else value
        try:
            number = (int if whole else float)(raw)
        except (TypeError, ValueError):
            number = math.nan
        if field.startswith("scheduler_"):
            if not math.isfinite(number):
                raise ValueError(f"{spec.validation_alias} must be a number, not {raw!r}")
            if not number > 0:
                raise ValueError(positive_message(field.removeprefix("scheduler_")))
        elif not (math.isfinite(number) and number >= 0):
            raise ValueError(f"{spec.validation_alias}={raw!r}: expected a number of zero or more")
        return number

    @field_validator("nudge_quiet_hours", mode="before")
    @classmethod
    def _quiet_hours(cls, value: Any) -> Any:
        """HEXITIME_NUDGE_QUIET_HOURS=20:00-08:00: local from and until, for members who chose none."""
        if value is None or not isinstance(value, str):
            return value
        parts = [part.strip().split(":") for part in value.split("-")]
        try:
            if len(parts) != 2 or any(len(part) != 2 for part in parts):
                raise ValueError
            return tuple(time(int(hour), int(minute)).strftime("%H:%M") for hour, minute in parts)
        except ValueError:
            raise ValueError(f"HEXITIME_NUDGE_QUIET_HOURS={value!r}: expected from-until, e.g. 20:00-08:00") from None

    @model_validator(mode="after")
    def _scheduler_fits_together(self) -> "Settings":
        self.scheduler  # noqa: B018 -- building it checks RENEW_EVERY against LEASE_TTL
        return self

    @property
    def scheduler(self) -> SchedulerSettings:
        """The scheduler's intervals: HEXITIME_SCHEDULER_* where set, the defaults elsewhere."""
        found = {item.name: getattr(self, f"scheduler_{item.name}") for item in fields(SchedulerSettings)}
        return SchedulerSettings(**{name: value for name, value in found.items() if value is not None})

    @property
    def nudges(self) -> NudgeSettings:
        """The nudge thresholds: HEXITIME_NUDGE_* where set, the core's defaults elsewhere."""
        found = {}
        for item in fields(NudgeSettings):
            value = getattr(self, f"nudge_{item.name}", None)
            if value is not None:
                found[item.name] = timedelta(hours=value) if isinstance(item.default, timedelta) else value
        limits = {"weekly_cap": self.nudge_weekly_cap, "ignored_before_backoff": self.nudge_ignored_before_backoff,
                  "backoff": None if self.nudge_backoff_days is None else timedelta(days=self.nudge_backoff_days),
                  "quiet_hours": self.nudge_quiet_hours}
        return NudgeSettings(**found, limits=NudgeLimits(**{k: v for k, v in limits.items() if v is not None}))

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
