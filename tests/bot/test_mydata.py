"""`mydata` and `forget me` through the conversation: a full export, a confirmed, whole-ledger forgetting."""

import json

from bot.conversation import Conversation
from bot.turns import Turn
from core import directory, marketplace, statements
from core import exchange_flow as flow
from storage.verify import verify_ledger


def turn(user: str = "alice", **kw) -> Turn:
    return Turn(platform="console", workspace_id="local", user_id=user, display_name=user.title(), **kw)


async def member(bank, user: str):
    found, _ = await bank.run(directory.resolve, "console", "local", user, user.title())
    return found


async def test_mydata_is_a_json_file_of_everything_about_me(bank):
    convo = Conversation(bank)
    await convo.handle(turn(form_id="profile.edit", values={
        "name": "Alice Smith", "sector": "charity", "timezone": "Europe/London", "skills": "ecology"}))
    await convo.handle(turn(command="campaigns", text="join biodiversity"))
    await convo.handle(turn(command="need", text="x"))
    await convo.handle(turn(form_id="need.post", values={"title": "Pond survey", "hours": "1h"}, request_key="k"))
    reply = await convo.handle(turn(command="mydata"))
    file = reply.message.attachment
    assert file.mime == "application/json" and file.filename.endswith(".json")
    data = json.loads(file.content)
    assert set(data) >= {"profile", "identities", "account", "statement", "needs", "offers", "exchanges",
                         "campaigns", "preferences"}
    assert data["profile"]["display_name"] == "Alice Smith"
    assert data["identities"][0]["platform"] == "console"
    assert [n["title"] for n in data["needs"]] == ["Pond survey"]
    assert data["campaigns"][0]["campaign"] == "biodiversity"
    assert reply.private


async def test_forget_needs_exactly_me_and_a_confirmation(bank):
    convo = Conversation(bank)
    explain = await convo.handle(turn(command="forget"))
    assert "forget me" in explain.cards[-1].text and explain.form is None
    other = await convo.handle(turn(command="forget", text="bob"))
    assert other.form is None
    asked = await convo.handle(turn(command="forget", text="Me"))
    assert asked.form.form_id == "forget.confirm" and asked.form.confirm
    assert "can't be undone" in asked.form.confirm
    alice = await member(bank, "alice")
    assert alice.forgotten_at is None and alice.display_name == "Alice"


async def test_confirmed_forget_anonymises_and_the_ledger_stays_whole(bank, db):
    convo = Conversation(bank)
    alice, bob = await member(bank, "alice"), await member(bank, "bob")
    need = await bank.run(marketplace.post_need, alice.id, "Compost bins", minutes=60)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(flow.log, ex.id, bob.id, 60)
    await bank.run(flow.confirm, ex.id, alice.id)
    open_need = await bank.run(marketplace.post_need, alice.id, "Worm farm", minutes=30)
    ref = (await convo.handle(turn(command="forget", text="me"))).form.ref
    done = await convo.handle(turn(form_id="forget.confirm", ref=ref))
    assert done.cards[0].title == "You've been forgotten"
    assert f"Former member #{alice.id}" in done.cards[0].text
    assert (await bank.read(statements.balance, bob.id)).balance == 60
    assert (await bank.read(statements.balance, alice.id)).balance == -60
    assert (await verify_ledger(db)).problems == []
    needs = await bank.read(lambda ctx: ctx.uow.needs.get(open_need.id))
    assert needs.status == "withdrawn"
    # a double submit finds nothing to forget and forgets nobody else
    twice = await convo.handle(turn(form_id="forget.confirm", ref=ref))
    assert "already been forgotten" in twice.cards[-1].text
    fresh = await member(bank, "alice")
    assert fresh.id != alice.id and fresh.forgotten_at is None


async def test_a_confirmation_for_someone_else_changes_nothing(bank):
    convo = Conversation(bank)
    bob = await member(bank, "bob")
    reply = await convo.handle(turn(form_id="forget.confirm", ref=str(bob.id)))
    assert "nothing was changed" in reply.cards[-1].text
    assert (await member(bank, "bob")).forgotten_at is None


async def test_the_forget_button_on_mydata_asks_first(bank):
    convo = Conversation(bank)
    button = (await convo.handle(turn(command="mydata"))).cards[-1].buttons[0]
    asked = await convo.handle(turn(action=button.action, ref=button.ref))
    assert asked.form.form_id == "forget.confirm"
