"""Admin commands through the conversation: grant, reverse, appoint, disputes and their resolution."""

from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy import text as sql

from bot.conversation import SORRY, Conversation, NoNotifier
from bot.turns import Turn
from core import campaign_flow, directory, marketplace, statements
from core import exchange_flow as flow
from core.exchanges import State
from core.members import Role
from storage.outbox_store import outbox
from storage.verify import verify_ledger


def turn(user: str = "ada", **kw) -> Turn:
    return Turn(platform="console", workspace_id="local", user_id=user, display_name=user.title(), **kw)


async def member(bank, user: str, admin: bool = False):
    found, _ = await bank.run(directory.resolve, "console", "local", user, user.title())
    if admin:
        found = await bank.run(directory.bootstrap_admin, "console", "local", user)
    return found


async def balance(bank, member_id: int) -> int:
    return (await bank.read(statements.balance, member_id)).balance


async def disputed(bank, campaign: str | None = "biodiversity"):
    """Alice asked, Bob helped and logged 2h, Alice disputes."""
    alice, bob = await member(bank, "alice"), await member(bank, "bob")
    campaign_id = (await bank.read(campaign_flow.find, campaign)).id if campaign else None
    need = await bank.run(marketplace.post_need, alice.id, "Pond survey", campaign_id=campaign_id, minutes=120)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(flow.log, ex.id, bob.id, 120)
    await bank.run(flow.dispute, ex.id, alice.id, "It was one hour")
    return alice, bob, ex


async def test_members_are_refused_admin_commands_and_nothing_changes(bank):
    convo = Conversation(bank)
    await member(bank, "mo")
    bob = await member(bank, "bob")
    for command, text in (("grant", "bob 2h thanks"), ("grant", ""), ("reverse", "1 oops"),
                          ("appoint", "bob admin"), ("appoint", "bob lead biodiversity"), ("disputes", "")):
        reply = await convo.handle(turn("mo", command=command, text=text))
        assert "Only" in reply.cards[-1].text and reply.form is None, (command, text)
    assert await balance(bank, bob.id) == 0
    assert (await member(bank, "bob")).role == Role.MEMBER and (await member(bank, "mo")).role == Role.MEMBER


async def test_grant_by_number_name_or_mention_once_per_request_with_a_notice(bank):
    notifier = NoNotifier()
    convo = Conversation(bank, notifier)
    await member(bank, "ada", admin=True)
    bob = await member(bank, "bob")
    await bank.run(directory.update_profile, bob.id, display_name="Bob Jones")
    done = await convo.handle(turn(command="grant", text=f"#{bob.id} 2h kick-start", request_key="r1"))
    again = await convo.handle(turn(command="grant", text=f"#{bob.id} 2h kick-start", request_key="r1"))
    assert done.cards[0].title == again.cards[0].title == "Hours granted"
    assert await balance(bank, bob.id) == 120
    await convo.handle(turn(command="grant", text="Bob Jones 30m pond survey", request_key="r2"))
    await convo.handle(turn(command="grant", text="@bob 1:30 thanks", mentions=("bob",), request_key="r3"))
    assert await balance(bank, bob.id) == 120 + 30 + 90
    assert notifier.sent[0].member_id == bob.id and "kick-start" in notifier.sent[0].message.cards[0].text
    lines = (await bank.read(statements.statement, bob.id)).lines
    assert [line.reason for line in lines] == ["thanks", "pond survey", "kick-start"]


async def test_grant_refuses_bad_input_kindly(bank):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    bob = await member(bank, "bob")
    cases = {f"#{bob.id} 2h": "Usage", f"#{bob.id}": "Usage", "": "Usage", f"#{bob.id} 0 nothing": "more than zero",
             f"#{bob.id} 300h lots": "at most", "#999 1h ghost": "can't find that member",
             "nobody 1h who": "can't tell which member"}
    for text, expected in cases.items():
        reply = await convo.handle(turn(command="grant", text=text))
        assert expected in reply.cards[-1].text, text
    assert await balance(bank, bob.id) == 0


async def test_reverse_once_with_a_reason(bank, db):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    bob = await member(bank, "bob")
    await convo.handle(turn(command="grant", text=f"#{bob.id} 2h oops", request_key="g"))
    transfer_id = (await bank.read(statements.statement, bob.id)).lines[0].transfer_id
    assert "give a reason" in (await convo.handle(turn(command="reverse", text=str(transfer_id)))).cards[-1].text
    done = await convo.handle(turn(command="reverse", text=f"#{transfer_id} entered twice"))
    assert done.cards[0].title == "Transfer reversed" and "entered twice" in done.cards[0].text
    twice = await convo.handle(turn(command="reverse", text=f"{transfer_id} entered twice"))
    assert "already reversed" in twice.cards[-1].text
    assert await balance(bank, bob.id) == 0
    for text in ("9999 no such", "abc why", ""):
        assert "can't find" in (await convo.handle(turn(command="reverse", text=text))).cards[-1].text, text
    assert (await verify_ledger(db)).problems == []


async def test_appoint_roles_and_campaign_leads(bank):
    notifier = NoNotifier()
    convo = Conversation(bank, notifier)
    await member(bank, "ada", admin=True)
    bob, cy = await member(bank, "bob"), await member(bank, "cy")
    made = await convo.handle(turn(command="appoint", text=f"#{bob.id} admin"))
    assert made.cards[0].text == "Bob is now an admin."
    assert (await member(bank, "bob")).role == Role.ADMIN
    assert notifier.sent[-1].member_id == bob.id
    await convo.handle(turn(command="appoint", text=f"#{bob.id} member"))
    assert (await member(bank, "bob")).role == Role.MEMBER
    lead = await convo.handle(turn(command="appoint", text="cy lead biodiversity"))
    assert lead.cards[0].text == "Cy is now a lead of Biodiversity."
    assert (await member(bank, "cy")).role == Role.LEAD
    bio = await bank.read(campaign_flow.find, "biodiversity")
    assert await bank.read(campaign_flow.is_lead, bio.id, cy.id)
    # a campaign lead may add a co-lead to their own campaign, not to another
    co = await convo.handle(turn("cy", command="appoint", text=f"#{bob.id} lead biodiversity"))
    assert co.cards[0].title == "Appointed"
    other = await convo.handle(turn("cy", command="appoint", text=f"#{bob.id} lead waste-management"))
    assert "Only a lead of this campaign" in other.cards[-1].text
    promote = await convo.handle(turn("cy", command="appoint", text=f"#{bob.id} admin"))
    assert "Only an admin" in promote.cards[-1].text
    cases = {f"#{bob.id} king": "Usage", f"#{bob.id} admin biodiversity": "Only leads",
             f"#{bob.id} lead atlantis": "can't find that campaign", "#999 lead": "can't find that member",
             f"#{bob.id} lead biodiversity extra": "Usage", "": "Usage"}
    for text, expected in cases.items():
        assert expected in (await convo.handle(turn(command="appoint", text=text))).cards[-1].text, text


async def test_admin_resolves_a_dispute_once_and_both_parties_are_told(bank, db):
    notifier = NoNotifier()
    convo = Conversation(bank, notifier)
    await member(bank, "ada", admin=True)
    alice, bob, ex = await disputed(bank, campaign=None)
    listing = await convo.handle(turn(command="disputes"))
    card = listing.cards[-1]
    assert card.title == f"Exchange #{ex.id}" and {"Dispute": "It was one hour"}.items() <= {
        f.label: f.value for f in card.fields}.items()
    opened = await convo.handle(turn(action=card.buttons[0].action, ref=card.buttons[0].ref))
    form = opened.form
    assert form.form_id == "exchange.resolve" and form.inputs[0].value == "120m"
    bad = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values={"hours": "lots"}))
    assert "hours" in bad.form.errors and bad.close_form is False
    too_many = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values={"hours": "3h"}))
    assert "at most" in too_many.cards[-1].text
    done = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values={"hours": "1h"}))
    twice = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values={"hours": "1h"}))
    assert "1 h moved to the helper" in done.cards[0].text
    assert "already confirmed" in twice.cards[-1].text
    assert (await balance(bank, bob.id), await balance(bank, alice.id)) == (60, -60)
    assert {n.member_id for n in notifier.sent} == {alice.id, bob.id}
    assert "No disputed exchanges" in (await convo.handle(turn(command="disputes"))).cards[-1].text
    assert (await verify_ledger(db)).problems == []


async def test_zero_releases_the_hold_and_nothing_moves(bank):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    alice, bob, ex = await disputed(bank)
    done = await convo.handle(turn(form_id="exchange.resolve", ref=str(ex.id), values={"hours": "0"}))
    assert "hold is released" in done.cards[0].text
    summary = await bank.read(statements.balance, alice.id)
    assert (summary.balance, summary.held, await balance(bank, bob.id)) == (0, 0, 0)
    found = await bank.read(lambda ctx: ctx.uow.exchanges.get(ex.id))
    assert found.state == State.CANCELLED


async def test_campaign_leads_resolve_disputes_in_their_campaigns_only(bank):
    convo = Conversation(bank)
    root = await member(bank, "root", admin=True)
    lena = await member(bank, "lena")
    alice, bob, ex = await disputed(bank, "biodiversity")
    refused = await convo.handle(turn("lena", command="disputes"))
    assert "Only an admin, or a lead" in refused.cards[-1].text
    await bank.run(campaign_flow.appoint_lead, root.id, "waste-management", lena.id)
    assert "No disputed" in (await convo.handle(turn("lena", command="disputes"))).cards[-1].text
    wrong = await convo.handle(turn("lena", action="dispute.resolve", ref=str(ex.id)))
    assert "Only an admin, or a lead of the exchange's campaign" in wrong.cards[-1].text
    forged = await convo.handle(turn("lena", form_id="exchange.resolve", ref=str(ex.id), values={"hours": "2h"}))
    assert "Only an admin" in forged.cards[-1].text
    await bank.run(campaign_flow.appoint_lead, root.id, "biodiversity", lena.id)
    listed = await convo.handle(turn("lena", command="disputes"))
    assert listed.cards[-1].title == f"Exchange #{ex.id}"
    done = await convo.handle(turn("lena", form_id="exchange.resolve", ref=str(ex.id), values={"hours": "90m"}))
    assert "1 h 30 min moved" in done.cards[0].text
    # the disputing party, even as a lead, cannot resolve their own dispute
    a2, b2, ex2 = await disputed(bank, "biodiversity")
    await bank.run(campaign_flow.appoint_lead, root.id, "biodiversity", a2.id)
    own = await convo.handle(turn("alice", form_id="exchange.resolve", ref=str(ex2.id), values={"hours": "0"}))
    assert "Only an admin" in own.cards[-1].text
    for ref in ("9999", "x"):
        assert "can't find" in (await convo.handle(turn(action="dispute.resolve", ref=ref))).cards[-1].text


async def test_help_explains_each_admin_command_to_admins(bank):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    for word in ("grant", "reverse", "appoint", "disputes"):
        reply = await convo.handle(turn(command="help", text=word))
        assert reply.cards[-1].title == f"help {word}" and "Usage:" in reply.cards[-1].text, word


async def queued(db) -> dict[str, int]:
    """Every outbox row: its dedupe key and recipient (a key is unique, so a duplicate can't hide)."""
    async with db.read_engine.connect() as conn:
        return dict((await conn.execute(select(outbox.c.dedupe_key, outbox.c.member_id))).all())


@asynccontextmanager
async def outbox_down(db):
    """A database in which writing to the outbox fails, as a full disk or a lost connection would."""
    if db.is_sqlite:
        create = ["CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN INSERT INTO no_such_table VALUES (1); END"]
        drop = ["DROP TRIGGER outbox_down"]
    else:
        create = ["CREATE FUNCTION outbox_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$ "
                  "LANGUAGE plpgsql",
                  "CREATE TRIGGER outbox_down BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_down()"]
        drop = ["DROP TRIGGER outbox_down ON outbox", "DROP FUNCTION outbox_down()"]
    async with db.engine.begin() as conn:
        for statement in create:
            await conn.execute(sql(statement))
    try:
        yield
    finally:
        async with db.engine.begin() as conn:
            for statement in drop:
                await conn.execute(sql(statement))


async def test_admin_changes_commit_with_their_notices_or_not_at_all(bank, db):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    alice, bob, ex = await disputed(bank, campaign=None)
    await convo.handle(turn(command="grant", text=f"#{bob.id} 1h seed", request_key="g0"))
    transfer_id = (await bank.read(statements.statement, bob.id)).lines[0].transfer_id
    before = await queued(db)
    async with outbox_down(db):
        tries = [turn(command="grant", text=f"#{bob.id} 2h kick-start", request_key="g1"),
                 turn(command="reverse", text=f"{transfer_id} entered twice", request_key="v1"),
                 turn(command="appoint", text=f"#{bob.id} admin", request_key="a1"),
                 turn(command="appoint", text="bob lead biodiversity", request_key="a2"),
                 turn(form_id="exchange.resolve", ref=str(ex.id), values={"hours": "1h"}, request_key="d1")]
        for attempt in tries:
            assert (await convo.handle(attempt)).cards[-1].text == SORRY, attempt
    assert await queued(db) == before
    assert (await balance(bank, bob.id), await balance(bank, alice.id)) == (60, 0)
    assert (await bank.read(statements.balance, alice.id)).held == 120
    assert (await member(bank, "bob")).role == Role.MEMBER
    bio = await bank.read(campaign_flow.find, "biodiversity")
    assert not await bank.read(campaign_flow.is_lead, bio.id, bob.id)
    assert (await bank.read(lambda ctx: ctx.uow.exchanges.get(ex.id))).state == State.DISPUTED


async def test_a_refused_change_queues_nothing(bank, db):
    convo = Conversation(bank)
    await member(bank, "ada", admin=True)
    alice, bob, ex = await disputed(bank, campaign=None)
    for refused in (turn(command="grant", text="#999 1h ghost"), turn(command="reverse", text="999 why"),
                    turn(command="appoint", text=f"#{bob.id} lead atlantis"),
                    turn(form_id="exchange.resolve", ref=str(ex.id), values={"hours": "3h"}),
                    turn("bob", command="grant", text=f"#{bob.id} 1h myself")):
        reply = await convo.handle(refused)
        assert reply.cards[-1].title == "" and not reply.notices, refused
    assert await queued(db) == {}


async def test_a_retried_admin_request_queues_each_notice_once(bank, db):
    notifier = NoNotifier()
    convo = Conversation(bank, notifier)
    await member(bank, "ada", admin=True)
    alice, bob, ex = await disputed(bank, campaign=None)
    requests = [turn(command="grant", text=f"#{alice.id} 2h kick-start", request_key="g1"),
                turn(command="appoint", text=f"#{bob.id} lead biodiversity", request_key="a1"),
                turn(form_id="exchange.resolve", ref=str(ex.id), values={"hours": "1h"}, request_key="d1")]
    for request in requests:
        first = await convo.handle(request)
        again = await convo.handle(request)
        assert first.notices and all(n.key for n in first.notices), request
        assert again.notices in (first.notices, ()), request  # the same notices, or a refusal with none
    grant_id = (await bank.read(statements.statement, alice.id)).lines[-1].transfer_id
    await convo.handle(turn(command="reverse", text=f"{grant_id} wrong member", request_key="v1"))
    await convo.handle(turn(command="reverse", text=f"{grant_id} wrong member", request_key="v1"))
    rows = await queued(db)
    assert sorted(rows.values()) == sorted([alice.id, bob.id, alice.id, bob.id, alice.id]), rows
    assert {key for key in rows if key.startswith("exchange:")} == {
        f"exchange:{ex.id}:resolved:{alice.id}", f"exchange:{ex.id}:resolved:{bob.id}"}
    assert {n.key for n in notifier.sent} == set(rows)  # what was kicked is what was queued
    reversal = next(n for n in notifier.sent if n.key.startswith("transfer:") and "reversal" in n.key)
    assert reversal.member_id == alice.id and "2 h taken back from your balance" in reversal.message.cards[0].text
