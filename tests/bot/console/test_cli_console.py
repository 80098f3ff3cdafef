"""`hexitime console` as a newcomer runs it: the README's demo path, typed into a real process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.handlers import load

EXCHANGE_COMMANDS = ("matches", "log", "confirm", "balance")
MISSING = [word for word in EXCHANGE_COMMANDS if load().lookup(word) is None]


def hexitime(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    names = {str(f.validation_alias) for f in Settings.model_fields.values()}
    environ = {k: v for k, v in os.environ.items() if k not in names}
    environ.update(env, HOME=str(cwd))
    script = Path(sys.executable).with_name("hexitime")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(command + list(args), cwd=cwd, env=environ, input=stdin,
                          capture_output=True, text=True, timeout=120)


def lines(*typed: str) -> str:
    return "\n".join(typed) + "\n"


@pytest.mark.skipif(bool(MISSING), reason=f"exchange handlers not registered yet: {MISSING}")
def test_the_banner_path_completes_an_exchange_and_the_ledger_verifies(tmp_path, sqlite_url):
    script = lines(
        "matches need 1", "1",         # Alice proposes to Bob's offer
        "as bob", "1",                 # Bob accepts
        "1", "",                       # Log hours, Enter keeps the agreed 1h30
        "as alice", "3",               # her two messages: accepted, then logged with Confirm
        "balance", "as bob", "balance", "quit",
    )
    run = hexitime("console", "--demo", cwd=tmp_path, stdin=script, DATABASE_URL=sqlite_url)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "You are Alice." in out and "matches need 1" in out
    assert "Offered by: Bob" in out and "[1] Propose" in out
    assert "📨 to Bob:" in out and "📨 to Alice:" in out
    assert "Balance: −1 h 30 min" in out
    assert "Balance: 1 h 30 min" in out
    assert out.rstrip().endswith("Bye.")
    assert "Traceback" not in out + run.stderr

    verified = hexitime("ledger", "verify", cwd=tmp_path, DATABASE_URL=sqlite_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ledger OK" in verified.stdout


def test_demo_seeding_twice_changes_nothing(tmp_path, sqlite_url):
    for _ in range(2):
        run = hexitime("console", "--demo", cwd=tmp_path, stdin=lines("needs mine"), DATABASE_URL=sqlite_url)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.count("Asked by: Alice") == 3
    chen = hexitime("console", "--as", "Chen", cwd=tmp_path, stdin=lines("offers mine"),
                    DATABASE_URL=sqlite_url)
    assert "You are Chen." in chen.stdout
    assert chen.stdout.count("Offer #") == 3
    assert "Welcome to Hexitime" not in chen.stdout  # the demo member already exists


def test_without_demo_the_os_user_plays_and_end_of_input_leaves(tmp_path, sqlite_url):
    run = hexitime("console", cwd=tmp_path, stdin=lines("balanse", "balance"),
                   DATABASE_URL=sqlite_url, USER="dana", LOGNAME="dana")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "You are Dana." in run.stdout
    assert "Did you mean `balance`?" in run.stdout
    assert "Welcome to Hexitime" in run.stdout and "Balance: 0 min" in run.stdout
    assert run.stdout.rstrip().endswith("Bye.")


def test_ctrl_c_while_a_turn_runs_warns_once_then_stops(capsys):
    from bot.console.main import CtrlC

    ctrl_c = CtrlC()
    ctrl_c._during_turn()
    assert "press Ctrl-C again" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        ctrl_c._during_turn()
    assert stopped.value.code == 130
    with ctrl_c.at_prompt():  # a fresh prompt forgets the earlier press
        pass
    ctrl_c._during_turn()
    assert "press Ctrl-C again" in capsys.readouterr().out
