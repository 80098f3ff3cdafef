"""Our Slack tables: installations and OAuth state (slack_sdk's layout) and seen event ids."""

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

metadata = sa.MetaData()
installations = SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
bots = SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
events = sa.Table(
    "slack_events", metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
