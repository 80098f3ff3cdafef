"""The Slack app manifest validates against the schema and declares only what we handle."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.cli import main
from bot.handlers import load
from bot.slack import manifest
from bot.slack.app import COMMAND, MESSAGE_SHORTCUTS, SHORTCUTS

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / ".." / "shared" / "reference" / "schemas" / "slack-app-manifest.schemastore.schema.json"
COMMITTED = ROOT / manifest.PATH


def test_committed_manifest_validates_against_the_schema():
    if not SCHEMA.exists():
        pytest.skip(f"reference schema not found at {SCHEMA} (../shared is not checked out)")
    schema = json.loads(SCHEMA.read_text())
    found = list(jsonschema.Draft4Validator(schema).iter_errors(yaml.safe_load(COMMITTED.read_text())))
    assert found == [], [e.message for e in found]


def test_committed_manifest_is_the_generated_one():
    assert yaml.safe_load(COMMITTED.read_text()) == manifest.manifest(manifest.PLACEHOLDER)


def test_every_declared_command_and_shortcut_is_handled():
    declared = yaml.safe_load(COMMITTED.read_text())["features"]
    assert [c["command"] for c in declared["slash_commands"]] == [COMMAND]
    router = load()
    for shortcut in declared["shortcuts"]:
        callback = shortcut["callback_id"]
        table = MESSAGE_SHORTCUTS if shortcut["type"] == "message" else SHORTCUTS
        assert callback in table, f"{callback} has no Slack listener"
        assert router.lookup(table[callback]) is not None, f"{callback} runs unknown command {table[callback]}"


def test_cli_writes_the_manifest_with_our_urls(tmp_path, capsys):
    assert main(["manifests", "--base-url", "https://time.example.org/", "--out", str(tmp_path)]) == 0
    written = yaml.safe_load((tmp_path / manifest.PATH).read_text())
    assert written["settings"]["interactivity"]["request_url"] == "https://time.example.org/slack/events"
    assert written["oauth_config"]["redirect_urls"] == ["https://time.example.org/slack/oauth_redirect"]
    assert main(["manifests", "--base-url", "https://t.example", "--teams-app-id", "x", "--out", str(tmp_path)]) == 0
