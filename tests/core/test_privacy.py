"""`mydata` and `forget me` in the core: everything exported, the person anonymised, the ledger whole."""

import json

import pytest

from core import admin, campaign_flow, directory, marketplace, privacy, statements
from core import exchange_flow as flow
from core.errors import NotFound
from core.exchanges import State
from core.ledger import AccountKind
from core.members import Role
from core.posts import NeedStatus, OfferStatus
from storage.verify import verify_ledger
from tests.support import join


async def _busy_member(bank):
    """Alice with a profile, a campaign, a confirmed exchange, open posts and a pending proposal."""
    alice, bob, carol = await join(bank, "alice"), await join(bank, "bob"), await join(bank, "carol")
    await bank.run(directory.update_profile, alice.id, display_name="Alice Smith", organisation="St Elsewhere",
                   sector="nhs", skills=["recycling"], bio="Theatre nurse")
    await bank.run(directory.set_preferences, alice.id, digest=False, nudges={"match": False})
    await bank.run(campaign_flow.join, alice.id, "biodiversity")
    done_need = await bank.run(marketplace.post_need, alice.id, "Theatre waste audit", minutes=60)
    ex = await bank.run(flow.propose, bob.id, need_id=done_need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(flow.log, ex.id, bob.id, 60)
    await bank.run(flow.confirm, ex.id, alice.id)
    open_need = await bank.run(marketplace.post_need, alice.id, "Compost bins", minutes=30)
    offer = await bank.run(marketplace.post_offer, alice.id, "Recycling advice", minutes=120)
    proposal = await bank.run(flow.propose, carol.id, need_id=open_need.id)
    return alice, bob, open_need, offer, proposal


async def test_export_holds_everything_about_the_member_and_is_json(bank):
    alice, _, open_need, offer, _ = await _busy_member(bank)
    data = await bank.read(privacy.export_data, alice.id)
    json.dumps(data)  # a plain JSON document, nothing exotic inside
    assert data["profile"]["display_name"] == "Alice Smith"
    assert data["profile"]["organisation"] == "St Elsewhere"
    assert data["preferences"] == {"digest": False, "nudges": {"match": False}}
    assert [i["user_id"] for i in data["identities"]] == ["UALICE"]
    assert data["account"]["debits_posted"] == 60
    assert [line["amount"] for line in data["statement"]] == [-60]
    assert {n["id"] for n in data["needs"]} >= {open_need.id}
    assert len(data["needs"]) == 2
    assert [o["id"] for o in data["offers"]] == [offer.id]
    assert len(data["exchanges"]) == 2
    assert data["campaigns"] == [{"campaign": "biodiversity", "role": "participant",
                                  "joined_at": data["campaigns"][0]["joined_at"]}]


async def test_export_of_someone_unknown_is_not_found(bank):
    with pytest.raises(NotFound):
        await bank.read(privacy.export_data, 999)


async def test_forget_anonymises_the_person_and_keeps_the_ledger_whole(bank, db):
    alice, bob, open_need, offer, proposal = await _busy_member(bank)
    admin_member = await join(bank, "root")
    await bank.run(directory.bootstrap_admin, "slack", "T1", "UROOT")
    before_bob = await bank.read(statements.balance, bob.id)
    before = await bank.read(statements.balance, alice.id)

    await bank.run(privacy.forget, alice.id)

    async def look(ctx):
        uow = ctx.uow
        return (await uow.members.get(alice.id), await uow.members.identities(alice.id),
                await uow.accounts.of_owner(AccountKind.MEMBER, alice.id), await uow.needs.get(open_need.id),
                await uow.offers.get(offer.id), await uow.exchanges.get(proposal.id),
                await uow.campaigns.of_member(alice.id),
                await uow.members.by_identity("slack", "T1", "UALICE"))

    member, identities, account, need, kept_offer, exchange, seats, by_identity = await bank.read(look)
    assert member.display_name == f"Former member #{alice.id}"
    assert (member.organisation, member.bio, member.skills, member.preferences) == ("", "", [], {})
    assert member.role == Role.MEMBER and member.forgotten_at is not None
    assert identities == [] and by_identity is None and seats == []
    assert account.name == f"Former member #{alice.id}"
    assert need.status == NeedStatus.WITHDRAWN
    assert kept_offer.status == OfferStatus.CLOSED
    assert exchange.state == State.CANCELLED
    assert await bank.read(statements.balance, alice.id) == before
    assert await bank.read(statements.balance, bob.id) == before_bob
    check = await verify_ledger(db)
    assert check.problems == []
    # the history of the other side still reads, with the anonymous name
    lines = (await bank.read(statements.statement, bob.id)).lines
    assert lines[0].counterparty == f"Former member #{alice.id}"
    # an admin can still correct the forgotten member's transfers
    await bank.run(admin.reverse, admin_member.id, lines[0].transfer_id, "mistake")
    assert (await verify_ledger(db)).problems == []


async def test_forget_twice_or_export_after_forgetting_is_not_found(bank):
    alice = await join(bank, "alice")
    await bank.run(privacy.forget, alice.id)
    with pytest.raises(NotFound):
        await bank.run(privacy.forget, alice.id)
    with pytest.raises(NotFound):
        await bank.read(privacy.export_data, alice.id)


async def test_the_same_chat_identity_afterwards_starts_a_fresh_member(bank):
    alice = await join(bank, "alice")
    await bank.run(privacy.forget, alice.id)
    again = await join(bank, "alice")
    assert again.id != alice.id and again.display_name == "alice"


async def test_an_accepted_exchange_keeps_its_hold_after_forgetting(bank, db):
    alice, bob = await join(bank, "alice"), await join(bank, "bob")
    need = await bank.run(marketplace.post_need, alice.id, "Compost bins", minutes=30)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(privacy.forget, alice.id)
    held = await bank.read(statements.balance, alice.id)
    assert held.held == 30
    await bank.run(flow.log, ex.id, bob.id, 30)
    assert (await bank.read(privacy.export_data, bob.id))["exchanges"][0]["state"] == State.LOGGED
    assert (await verify_ledger(db)).problems == []
