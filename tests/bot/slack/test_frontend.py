"""Slack off without settings; many workspaces by OAuth, installations and state in our database."""

import logging
import re

import sqlalchemy as sa

from bot.bootstrap import Services
from bot.config import Settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from bot.slack import frontend
from bot.slack.installations import Tokens
from bot.slack.tables import bots, oauth_states
from tests.bot.slack.harness import User, start


def test_without_settings_slack_is_off_with_one_clear_line(db, bank, caplog):
    notifier = Dispatcher(bank)
    services = Services(settings=Settings(), db=db, bank=bank, clock=bank.clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    with caplog.at_level(logging.INFO, logger="bot.slack.frontend"):
        frontend.install(services)
    assert services.mounts == [] and "slack" not in notifier.senders
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.frontend"]
    assert len(lines) == 1
    assert "Slack is off" in lines[0] and "SLACK_SIGNING_SECRET" in lines[0] and "SLACK_CLIENT_ID" in lines[0]


async def test_install_by_oauth_then_serve_that_workspace(db, bank, fake):
    fake.tokens.add("xoxb-nine")
    fake.oauth_reply = {"access_token": "xoxb-nine", "token_type": "bot", "scope": "commands,chat:write",
                        "bot_user_id": "UBOT9", "app_id": "A1", "team": {"id": "T9", "name": "Nine"},
                        "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "UINSTALLER"}}
    async with db.engine.begin() as conn:
        for table in (bots, oauth_states):
            await conn.execute(sa.delete(table))
    slack = await start({"db": db, "bank": bank}, fake, slack_bot_token=None, slack_client_id="111.222",
                        slack_client_secret="client-secret")
    try:
        page = await slack.http.get("/slack/install", allow_redirects=False)
        assert page.status in (200, 302)
        body = await page.text()
        state = re.search(r"state=([\w-]+)", body or page.headers.get("Location", "")).group(1)
        async with db.engine.connect() as conn:
            assert (await conn.execute(sa.select(oauth_states.c.state))).scalars().all() == [state]
        done = await slack.http.get(f"/slack/oauth_redirect?code=abc&state={state}",
                                    headers={"Cookie": f"slack-app-oauth-state={state}"})
        assert done.status == 200, await done.text()
        assert fake.last("oauth.v2.access")["code"] == "abc"

        status, answer = await slack.command(User("UNINE", team="T9"), "balance")
        assert status == 200 and answer["response_type"] == "ephemeral"
        assert any(c.token == "xoxb-nine" for c in fake.calls if c.method == "users.info")
    finally:
        await slack.http.close()


async def test_expiring_bot_tokens_are_rotated_and_saved(db, fake):
    fake.tokens.add("xoxb-new")
    fake.oauth_reply = {"access_token": "xoxb-new", "refresh_token": "xoxe-2", "token_type": "bot",
                        "expires_in": 43200}
    async with db.engine.begin() as conn:
        await conn.execute(sa.delete(bots))
        await conn.execute(sa.insert(bots).values(
            client_id="111.222", app_id="A1", team_id="T9", bot_token="xoxb-old", bot_id="B9",
            bot_user_id="UBOT9", bot_refresh_token="xoxe-1", is_enterprise_install=False,
            bot_token_expires_at=sa.func.now(), installed_at=sa.func.now()))
    tokens = Tokens(fake.url + "/api/", None, "111.222", "client-secret", db.engine)
    client = await tokens.client_for("T9")
    assert client.token == "xoxb-new"
    assert fake.last("oauth.v2.access")["grant_type"] == "refresh_token"
    async with db.engine.connect() as conn:
        newest = (await conn.execute(sa.select(bots.c.bot_token, bots.c.bot_token_expires_at)
                                     .order_by(bots.c.id.desc()))).first()
    assert newest.bot_token == "xoxb-new"
    assert await tokens.client_for("T404") is None
