"""initial schema: members, ledger, posts, campaigns, exchanges; transfers append-only

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-03 16:36:56.362116
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_limit', sa.BigInteger(), nullable=True),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0', name=op.f('ck_accounts_counters_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('kind', 'owner_id', name=op.f('uq_accounts_kind_owner_id'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaigns_slug'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=20), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('preferences', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('onboarded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    op.create_table('post_terms',
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('term', sa.String(length=80), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'term', 'post_id', name=op.f('pk_post_terms'))
    )
    op.create_table('dismissals',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_dismissals_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'kind', 'post_id', name=op.f('pk_dismissals'))
    )
    op.create_table('identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('workspace_id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.String(length=200), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_identities_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('platform', 'workspace_id', 'user_id', name=op.f('uq_identities_platform_workspace_id_user_id'))
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_member_id'), ['member_id'], unique=False)

    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_link_codes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_link_codes_code'))
    )
    op.create_table('needs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_needs_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_needs_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs')),
    sa.UniqueConstraint('owner_id', 'client_key', name=op.f('uq_needs_owner_id_client_key'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_status'), ['status'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('campaign_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('minutes_committed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_offers_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
    sa.UniqueConstraint('owner_id', 'client_key', name=op.f('uq_offers_owner_id_client_key'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_status'), ['status'], unique=False)

    op.create_table('participations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_participations_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_participations_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations')),
    sa.UniqueConstraint('campaign_id', 'member_id', name=op.f('uq_participations_campaign_id_member_id'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participations_member_id'), ['member_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('debit_account_id', sa.Integer(), nullable=False),
    sa.Column('credit_account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('pending_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_transfers_amount_not_negative')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_transfers_two_accounts')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['accounts.id'], name=op.f('fk_transfers_credit_account_id_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['accounts.id'], name=op.f('fk_transfers_debit_account_id_accounts')),
    sa.ForeignKeyConstraint(['pending_id'], ['transfers.id'], name=op.f('fk_transfers_pending_id_transfers')),
    sa.ForeignKeyConstraint(['reverses_id'], ['transfers.id'], name=op.f('fk_transfers_reverses_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('key', name=op.f('uq_transfers_key')),
    sa.UniqueConstraint('pending_id', name=op.f('uq_transfers_pending_id')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_transfers_reverses_id'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_credit_account_id'), ['credit_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_debit_account_id'), ['debit_account_id'], unique=False)
        batch_op.create_index('ix_transfers_open_holds', ['kind', 'expires_at'], unique=False)

    op.create_table('exchanges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('hold_transfer_id', sa.Integer(), nullable=True),
    sa.Column('logged_minutes', sa.Integer(), nullable=True),
    sa.Column('logged_by', sa.Integer(), nullable=True),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('posted_minutes', sa.Integer(), nullable=True),
    sa.Column('session_on', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispute_reason', sa.Text(), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('requester_thanks', sa.Text(), nullable=False),
    sa.Column('helper_thanks', sa.Text(), nullable=False),
    sa.Column('client_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_exchanges_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['helper_id'], ['members.id'], name=op.f('fk_exchanges_helper_id_members')),
    sa.ForeignKeyConstraint(['hold_transfer_id'], ['transfers.id'], name=op.f('fk_exchanges_hold_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_exchanges_need_id_needs')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_exchanges_offer_id_offers')),
    sa.ForeignKeyConstraint(['proposed_by'], ['members.id'], name=op.f('fk_exchanges_proposed_by_members')),
    sa.ForeignKeyConstraint(['requester_id'], ['members.id'], name=op.f('fk_exchanges_requester_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchanges')),
    sa.UniqueConstraint('proposed_by', 'client_key', name=op.f('uq_exchanges_proposed_by_client_key'))
    )
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchanges_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_helper_id'), ['helper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_state'), ['state'], unique=False)

    _transfers_append_only()


def _transfers_append_only() -> None:
    """The ledger's promise, kept by the database itself: no UPDATE or DELETE of a transfer."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION transfers_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'transfers are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers "
            "FOR EACH ROW EXECUTE FUNCTION transfers_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER transfers_no_{action.lower()} BEFORE {action} ON transfers "
            "BEGIN SELECT RAISE(ABORT, 'transfers are append-only'); END"
        )



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS transfers_append_only ON transfers")
        op.execute("DROP FUNCTION IF EXISTS transfers_append_only()")
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchanges_state'))
        batch_op.drop_index(batch_op.f('ix_exchanges_requester_id'))
        batch_op.drop_index(batch_op.f('ix_exchanges_offer_id'))
        batch_op.drop_index(batch_op.f('ix_exchanges_need_id'))
        batch_op.drop_index(batch_op.f('ix_exchanges_helper_id'))
        batch_op.drop_index(batch_op.f('ix_exchanges_campaign_id'))

    op.drop_table('exchanges')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_open_holds')
        batch_op.drop_index(batch_op.f('ix_transfers_debit_account_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_credit_account_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_member_id'))

    op.drop_table('participations')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_status'))
        batch_op.drop_index(batch_op.f('ix_offers_owner_id'))

    op.drop_table('offers')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_status'))
        batch_op.drop_index(batch_op.f('ix_needs_owner_id'))
        batch_op.drop_index(batch_op.f('ix_needs_campaign_id'))

    op.drop_table('needs')
    op.drop_table('link_codes')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_member_id'))

    op.drop_table('identities')
    op.drop_table('dismissals')
    op.drop_table('post_terms')
    op.drop_table('organisations')
    op.drop_table('members')
    op.drop_table('campaigns')
    op.drop_table('accounts')
