"""Settings: environment names are contracts, secrets stay secret, rules come out in minutes."""

import logging
from dataclasses import fields
from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.cli import configure_logging, main
from bot.config import Settings, load_settings, normalise_database_url, redact_url
from bot.scheduler.settings import SchedulerSettings
from core.nudge_policy import NudgeLimits
from core.nudges import NudgeSettings
from core.rules import Rules

ENV_NAMES = [field.validation_alias for field in Settings.model_fields.values()]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Each test starts from an environment with none of our variables set."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./hexitime.db"
    assert settings.port == 3978
    assert settings.host == "0.0.0.0"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.microsoft_app_type == "MultiTenant"
    assert settings.log_level == "INFO"
    assert settings.admins == ()
    assert settings.slack_bot_token is None and settings.microsoft_app_password is None
    assert not settings.slack_enabled


def test_reads_every_contract_name(clean_env: pytest.MonkeyPatch) -> None:
    env = {
        "DATABASE_URL": "sqlite:///data/bank.db",
        "PORT": "8080",
        "SLACK_SIGNING_SECRET": "sign",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9999/api",
        "MicrosoftAppId": "app-id",
        "MicrosoftAppPassword": "app-password",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": "tenant-id",
        "HEXITIME_CREDIT_LIMIT_HOURS": "12.5",
        "HEXITIME_SESSION_CAP_HOURS": "4",
        "HEXITIME_WELCOME_GRANT_HOURS": "1",
        "HEXITIME_CONFIRM_DEADLINE_DAYS": "3",
        "HEXITIME_HOLD_TTL_DAYS": "30",
        "HEXITIME_NEED_TTL_DAYS": "45",
        "HEXITIME_ADMINS": "slack:T123:U456, teams:TENANT:AADID,",
        "HEXITIME_LOG_LEVEL": "debug",
    }
    for name, value in env.items():
        clean_env.setenv(name, value)

    s = load_settings()

    assert s.database_url == "sqlite+aiosqlite:///data/bank.db"
    assert s.port == 8080
    assert s.slack_signing_secret.get_secret_value() == "sign"
    assert s.slack_bot_token.get_secret_value() == "xoxb-1"
    assert s.slack_client_id == "111.222"
    assert s.slack_client_secret.get_secret_value() == "client-secret"
    assert s.slack_app_token.get_secret_value() == "xapp-1"
    assert s.slack_api_url == "http://127.0.0.1:9999/api/"
    assert s.microsoft_app_id == "app-id"
    assert s.microsoft_app_password.get_secret_value() == "app-password"
    assert s.microsoft_app_type == "SingleTenant"
    assert s.microsoft_app_tenant_id == "tenant-id"
    assert s.admins == ("slack:T123:U456", "teams:TENANT:AADID")
    assert s.log_level == "DEBUG"
    assert s.slack_enabled


def test_names_are_case_sensitive(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MICROSOFTAPPID", "wrong-case")
    clean_env.setenv("port", "1")
    settings = load_settings()
    assert settings.microsoft_app_id is None
    assert settings.port == 3978


def test_empty_variables_count_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "")
    clean_env.setenv("PORT", "")
    settings = load_settings()
    assert settings.slack_bot_token is None
    assert settings.port == 3978


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/bank", "postgresql+asyncpg://u:p@db:5432/bank"),
        ("postgresql://u:p@db/bank", "postgresql+asyncpg://u:p@db/bank"),
        ("postgresql+asyncpg://u@db/bank", "postgresql+asyncpg://u@db/bank"),
        ("postgres://u:p@db/bank?sslmode=require", "postgresql+asyncpg://u:p@db/bank?ssl=require"),
        ("sqlite:///./hexitime.db", "sqlite+aiosqlite:///./hexitime.db"),
        ("sqlite:////var/data/bank.db", "sqlite+aiosqlite:////var/data/bank.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_is_normalised(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
    assert Settings(database_url=given).database_url == expected


def test_nonsense_database_url_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "hexitime.db")
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize("admins", ["slack:T1", "irc:net:nick", "slack::U1", "teams:a:b:c"])
def test_malformed_admin_identity_is_refused(clean_env: pytest.MonkeyPatch, admins: str) -> None:
    clean_env.setenv("HEXITIME_ADMINS", admins)
    with pytest.raises(ValidationError, match="platform identity"):
        load_settings()


def test_bad_log_level_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEXITIME_LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError):
        load_settings()


SECRETS = {
    "SLACK_SIGNING_SECRET": "s3cret-signing",
    "SLACK_BOT_TOKEN": "xoxb-s3cret",
    "SLACK_CLIENT_SECRET": "s3cret-client",
    "SLACK_APP_TOKEN": "xapp-s3cret",
    "MicrosoftAppPassword": "s3cret-password",
    "DATABASE_URL": "postgresql://bank:db-s3cret@db:5432/bank",
}


def test_secrets_never_appear_in_repr_or_str(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        clean_env.setenv(name, value)
    settings = load_settings()
    for text in (repr(settings), str(settings)):
        assert "s3cret" not in text
    assert settings.database_url_redacted == "postgresql+asyncpg://bank:***@db:5432/bank"


def test_logging_scrubs_secrets(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SECRETS.items():
        clean_env.setenv(name, value)
    settings = load_settings()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(settings)
    try:
        logging.getLogger("some.library").warning(
            "sending %s with %s", settings.slack_bot_token.get_secret_value(), settings.database_url
        )
        try:
            raise RuntimeError(settings.microsoft_app_password.get_secret_value())
        except RuntimeError:
            logging.getLogger("x").exception("failed")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "sending *** with" in err and "failed" in err
    assert "s3cret" not in err


def test_redact_url_leaves_passwordless_urls_alone() -> None:
    assert redact_url("sqlite+aiosqlite:///./hexitime.db") == "sqlite+aiosqlite:///./hexitime.db"
    assert redact_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


def test_rules_defaults_are_the_cores() -> None:
    assert load_settings().rules() == Rules()


def test_rules_in_minutes_and_timedeltas(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEXITIME_CREDIT_LIMIT_HOURS", "1.5")
    clean_env.setenv("HEXITIME_SESSION_CAP_HOURS", "2")
    clean_env.setenv("HEXITIME_WELCOME_GRANT_HOURS", "0.25")
    clean_env.setenv("HEXITIME_CONFIRM_DEADLINE_DAYS", "3")
    clean_env.setenv("HEXITIME_HOLD_TTL_DAYS", "14")
    clean_env.setenv("HEXITIME_NEED_TTL_DAYS", "30")
    rules = load_settings().rules()
    assert rules.credit_limit_minutes == 90
    assert rules.session_cap_minutes == 120
    assert rules.welcome_grant_minutes == 15
    assert rules.confirm_deadline == timedelta(days=3)
    assert rules.hold_ttl == timedelta(days=14)
    assert rules.need_ttl == timedelta(days=30)


def test_negative_hours_are_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEXITIME_CREDIT_LIMIT_HOURS", "-1")
    with pytest.raises(ValidationError):
        load_settings()


def test_delivery_rates_come_from_the_environment(monkeypatch) -> None:
    from bot.config import load_settings
    from bot.delivery.limits import DeliveryLimits

    monkeypatch.setenv("HEXITIME_DELIVERY_SLACK_WORKSPACE_PER_SECOND", "2.5")
    limits = DeliveryLimits.from_settings(load_settings())
    assert (limits.slack_workspace_per_second, limits.teams_tenant_per_second) == (2.5, 50.0)


def test_nudge_thresholds_come_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert load_settings().nudges == NudgeSettings()
    for name, value in {"HEXITIME_NUDGE_NEED_OPEN": "36", "HEXITIME_NUDGE_MAX_PER_SCAN": "0",
                        "HEXITIME_NUDGE_WEEKLY_CAP": "5", "HEXITIME_NUDGE_BACKOFF_DAYS": "2.5",
                        "HEXITIME_NUDGE_SNOOZE": " 1.5 "}.items():
        clean_env.setenv(name, value)
    nudges = load_settings().nudges
    assert nudges.need_open == timedelta(hours=36) and nudges.max_per_scan == 0
    assert nudges.snooze == timedelta(hours=1.5) and nudges.proposal_unanswered == NudgeSettings.proposal_unanswered
    assert nudges.limits == NudgeLimits(weekly_cap=5, ignored_before_backoff=3, backoff=timedelta(days=2.5))


@pytest.mark.parametrize(("value", "hours"), [("21:30-7:00", ("21:30", "07:00")), (" 22:00 - 06:00 ", ("22:00", "06:00"))])
def test_default_quiet_hours_come_from_the_environment(clean_env: pytest.MonkeyPatch, value: str, hours) -> None:
    assert load_settings().nudges.limits.quiet_hours == ("20:00", "08:00")
    clean_env.setenv("HEXITIME_NUDGE_QUIET_HOURS", value)
    assert load_settings().nudges.limits.quiet_hours == hours


@pytest.mark.parametrize("value", ["late", "25:00-08:00", "20-08", "20:00-08:00-09:00"])
def test_bad_quiet_hours_are_refused_by_name(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("HEXITIME_NUDGE_QUIET_HOURS", value)
    with pytest.raises(ValidationError, match="HEXITIME_NUDGE_QUIET_HOURS=.*expected from-until, e.g. 20:00-08:00"):
        load_settings()


@pytest.mark.parametrize(("name", "value"), [
    ("HEXITIME_NUDGE_SNOOZE", "soon"), ("HEXITIME_NUDGE_WEEKLY_CAP", "-1"),
    ("HEXITIME_NUDGE_HELPERS_PER_NEED", "2.5"), ("HEXITIME_NUDGE_BACKOFF_DAYS", "nan"),
    ("HEXITIME_NUDGE_NEED_OPEN", "inf"),
])
def test_a_bad_nudge_threshold_is_refused_by_name(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError, match=rf"{name}='{value}': expected a number of zero or more"):
        load_settings()


def test_scheduler_intervals_come_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert load_settings().scheduler == SchedulerSettings()
    for name, value in {"HEXITIME_SCHEDULER_LEASE_TTL": "12", "HEXITIME_SCHEDULER_BATCH": "7",
                        "HEXITIME_SCHEDULER_RENEW_EVERY": "2.5"}.items():
        clean_env.setenv(name, value)
    scheduler = load_settings().scheduler
    assert (scheduler.lease_ttl, scheduler.renew_every, scheduler.batch) == (12.0, 2.5, 7)
    assert scheduler.nudge_every == SchedulerSettings.nudge_every


@pytest.mark.parametrize(("env", "message"), [
    ({"HEXITIME_SCHEDULER_LEASE_TTL": "soon"}, "HEXITIME_SCHEDULER_LEASE_TTL must be a number, not 'soon'"),
    ({"HEXITIME_SCHEDULER_BATCH": "7.5"}, "HEXITIME_SCHEDULER_BATCH must be a number, not '7.5'"),
    ({"HEXITIME_SCHEDULER_DELIVER_EVERY": "0"}, "HEXITIME_SCHEDULER_DELIVER_EVERY must be a positive number"),
    ({"HEXITIME_SCHEDULER_LEASE_TTL": "3", "HEXITIME_SCHEDULER_RENEW_EVERY": "2"},
     "HEXITIME_SCHEDULER_RENEW_EVERY must be under two thirds of HEXITIME_SCHEDULER_LEASE_TTL"),
])
def test_a_bad_scheduler_interval_is_refused_by_name(clean_env: pytest.MonkeyPatch, env: dict, message: str) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        load_settings()


def test_the_command_line_stops_on_a_bad_threshold_and_names_it(clean_env: pytest.MonkeyPatch, capsys) -> None:
    clean_env.setenv("HEXITIME_NUDGE_WEEKLY_CAP", "lots")
    assert main(["ledger", "verify"]) == 2
    error = capsys.readouterr().err
    assert "invalid configuration" in error
    assert "HEXITIME_NUDGE_WEEKLY_CAP='lots': expected a number of zero or more" in error


def test_every_scheduler_and_nudge_setting_has_its_variable() -> None:
    spans = [f"HEXITIME_SCHEDULER_{item.name.upper()}" for item in fields(SchedulerSettings)]
    spans += [f"HEXITIME_NUDGE_{item.name.upper()}" for item in fields(NudgeSettings) if item.name != "limits"]
    spans += ["HEXITIME_NUDGE_WEEKLY_CAP", "HEXITIME_NUDGE_IGNORED_BEFORE_BACKOFF", "HEXITIME_NUDGE_BACKOFF_DAYS",
              "HEXITIME_NUDGE_QUIET_HOURS"]
    assert set(spans) <= set(ENV_NAMES)
