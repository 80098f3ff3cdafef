"""The `hexitime` command as an operator meets it: exit codes and what it prints."""

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings


def hexitime(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    names = {str(f.validation_alias) for f in Settings.model_fields.values()}
    environ = {k: v for k, v in os.environ.items() if k not in names}
    environ.update(env)
    script = Path(sys.executable).with_name("hexitime")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(
        command + list(args),
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_upgrade_then_ledger_verify_on_a_fresh_database(tmp_path: Path, sqlite_url: str) -> None:
    upgraded = hexitime("db", "upgrade", cwd=tmp_path, DATABASE_URL=sqlite_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database is up to date at" in upgraded.stdout

    again = hexitime("db", "upgrade", cwd=tmp_path, DATABASE_URL=sqlite_url)
    assert again.returncode == 0, again.stderr

    verified = hexitime("ledger", "verify", cwd=tmp_path, DATABASE_URL=sqlite_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ledger OK" in verified.stdout


def test_failures_never_print_the_database_password(tmp_path: Path) -> None:
    url = "postgresql://bank:pw-s3cret@127.0.0.1:1/bank"
    result = hexitime("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 1
    assert "db upgrade failed" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr


def test_invalid_configuration_says_which_variable(tmp_path: Path) -> None:
    result = hexitime("worker", cwd=tmp_path, PORT="eighty", SLACK_BOT_TOKEN="xoxb-s3cret")
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "s3cret" not in result.stderr


def test_admin_grant_role_checks_the_identity(tmp_path: Path) -> None:
    bad = hexitime("admin", "grant-role", "slack:T1", "admin", cwd=tmp_path)
    assert bad.returncode == 2
    assert "platform identity" in bad.stderr

    done = hexitime("admin", "grant-role", "slack:T1:U2", "admin", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "slack:T1:U2 is now admin" in done.stdout


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = hexitime("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "console", "db", "ledger", "manifests", "admin"):
        assert command in result.stdout
