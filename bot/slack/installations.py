"""Many workspaces: OAuth installations and state in our database, tokens rotated when due."""

import sqlalchemy as sa
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.tables import bots

SCOPES = ("commands", "chat:write", "chat:write.public", "im:write", "im:history", "users:read", "files:write",
          "app_mentions:read")
"""`chat:write.public` lets a campaign's linked public channel get its announcements without inviting the bot."""
STATE_SECONDS = 600
ROTATE_MINUTES = 120


def oauth_settings(client_id: str, client_secret: str, engine: AsyncEngine) -> AsyncOAuthSettings:
    """Bolt's OAuth flow over slack_sdk's async SQLAlchemy stores, on our own engine and tables."""
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(SCOPES),
        installation_store=AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        token_rotation_expiration_minutes=ROTATE_MINUTES,
    )


class Tokens:
    """A Web API client for a member's workspace, outside any Slack request (notifications)."""

    def __init__(self, base_url: str, bot_token: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None, engine: AsyncEngine | None = None) -> None:
        self.base_url = base_url
        self.bot_token = bot_token
        self.client_id, self.client_secret, self.engine = client_id, client_secret, engine

    async def client_for(self, workspace_id: str) -> AsyncWebClient | None:
        """One workspace: the bot token. Many: that team's (or org's) newest bot, rotated if expiring."""
        if self.bot_token:
            return AsyncWebClient(token=self.bot_token, base_url=self.base_url)
        if self.engine is None or not self.client_id:
            return None
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                sa.select(bots).where(
                    bots.c.client_id == self.client_id,
                    sa.or_(bots.c.team_id == workspace_id,
                           sa.and_(bots.c.enterprise_id == workspace_id, bots.c.is_enterprise_install)))
                .order_by(bots.c.installed_at.desc(), bots.c.id.desc()).limit(1)
            )).mappings().first()
        if row is None:
            return None
        bot = SQLAlchemyInstallationStore.build_bot_entity(row)
        rotator = AsyncTokenRotator(client_id=self.client_id, client_secret=self.client_secret or "",
                                    client=AsyncWebClient(base_url=self.base_url))
        rotated = await rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=ROTATE_MINUTES)
        if rotated is not None:
            await AsyncSQLAlchemyInstallationStore(self.client_id, self.engine).async_save_bot(rotated)
            bot = rotated
        return AsyncWebClient(token=bot.bot_token, base_url=self.base_url)
