"""`campaigns` and `donate` through the conversation: list, show, join, leave, confirmed donations."""

from bot.conversation import Conversation
from bot.turns import Turn
from core import campaign_flow, directory, marketplace, statements
from core import exchange_flow as flow


def turn(user: str = "alice", **kw) -> Turn:
    return Turn(platform="console", workspace_id="local", user_id=user, display_name=user.title(), **kw)


async def member(bank, user: str):
    found, _ = await bank.run(directory.resolve, "console", "local", user, user.title())
    return found


async def test_list_shows_every_campaign_with_join_and_show_buttons_and_pages(bank):
    convo = Conversation(bank)
    await member(bank, "alice")
    reply = await convo.handle(turn(command="campaigns"))
    titles = [c.title for c in reply.cards[1:]]
    assert titles == ["Greener surgery", "Biodiversity", "Waste management", "Sustainable food and nutrition"]
    assert [b.label for b in reply.cards[1].buttons] == ["Show", "Join"]
    assert reply.cards[0].buttons == ()  # four campaigns fit on one page
    root = await member(bank, "root")
    await bank.run(directory.bootstrap_admin, "console", "local", "root")
    for n in range(3):
        await bank.run(campaign_flow.create, root.id, f"extra-{n}", f"Extra {n}", "", [])
    first = await convo.handle(turn(command="campaigns"))
    nxt = first.cards[0].buttons[-1]
    assert nxt.label.startswith("Next")
    second = await convo.handle(turn(action=nxt.action, ref=nxt.ref))
    assert second.replace and [c.title for c in second.cards[1:]] == ["Extra 1", "Extra 2"]
    beyond = await convo.handle(turn(action="campaigns.page", ref="9"))
    assert "No campaigns on this page" in beyond.cards[-1].text


async def test_join_by_button_then_leave_by_text_and_the_list_follows(bank):
    convo = Conversation(bank)
    await member(bank, "alice")
    listing = await convo.handle(turn(command="campaigns"))
    join = listing.cards[2].buttons[1]
    joined = await convo.handle(turn(action=join.action, ref=join.ref))
    assert joined.cards[-1].title == "You joined Biodiversity"
    again = await convo.handle(turn(action=join.action, ref=join.ref))
    assert "already in Biodiversity" in again.cards[-1].text
    listing = await convo.handle(turn(command="campaigns"))
    assert listing.cards[2].buttons[1].label == "Leave" and "you're in" in listing.cards[2].note
    left = await convo.handle(turn(command="campaigns", text="leave biodiversity"))
    assert "You left Biodiversity" in left.cards[-1].text
    twice = await convo.handle(turn(command="campaigns", text="leave biodiversity"))
    assert "not in Biodiversity" in twice.cards[-1].text
    by_text = await convo.handle(turn(command="campaigns", text="join Greener-Surgery"))
    assert by_text.cards[-1].title == "You joined Greener surgery"


async def test_show_has_description_skills_participants_needs_and_hours(bank):
    convo = Conversation(bank)
    alice, bob = await member(bank, "alice"), await member(bank, "bob")
    await bank.run(campaign_flow.join, alice.id, "biodiversity")
    bio = await bank.read(campaign_flow.find, "biodiversity")
    need = await bank.run(marketplace.post_need, alice.id, "Pond survey", campaign_id=bio.id, minutes=90)
    await bank.run(marketplace.post_need, alice.id, "Bird boxes", campaign_id=bio.id)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.confirm, ex.id, alice.id)
    reply = await convo.handle(turn(command="campaigns", text="show biodiversity"))
    card = reply.cards[-1]
    fields = {f.label: f.value for f in card.fields}
    assert card.title == "Biodiversity" and "hospital grounds" in card.text
    assert fields["Participants"] == "1" and fields["Open needs"] == "1"
    assert fields["Hours exchanged"] == "1 h 30 min" and "ecology" in fields["Skills"]
    assert fields["Helpers"] == "1"
    assert card.buttons[0].label == "Leave"
    by_id = await convo.handle(turn(action="campaign.show", ref=str(bio.id)))
    assert by_id.cards[-1].title == "Biodiversity"
    needs = card.buttons[1]
    listed = await convo.handle(turn(action=needs.action, ref=needs.ref))
    assert [c.title for c in listed.cards if c.title.startswith("Need #")] == [f"Need #{need.id + 1}: Bird boxes"]


async def test_unknown_campaigns_and_bad_words_get_friendly_answers(bank):
    convo = Conversation(bank)
    for text in ("show atlantis", "join atlantis", "leave 999"):
        reply = await convo.handle(turn(command="campaigns", text=text))
        assert "can't find that campaign" in reply.cards[-1].text, text
    assert "Which campaign?" in (await convo.handle(turn(command="campaigns", text="join"))).cards[-1].text
    assert "Usage" in (await convo.handle(turn(command="campaigns", text="dance"))).cards[-1].text
    for command in ("campaigns", "campaign"):  # a campaign's name alone shows it, as members type it
        shown = await convo.handle(turn(command=command, text="biodiversity"))
        assert shown.cards[0].title == "Biodiversity", command
    assert "Usage: campaign new" in (await convo.handle(turn(command="campaign", text="dance"))).cards[-1].text
    bad_ref = await convo.handle(turn(action="campaign.join", ref="drop table"))
    assert "can't find" in bad_ref.cards[-1].text


async def test_donate_asks_first_then_gives_once_even_when_submitted_twice(bank):
    convo = Conversation(bank)
    alice = await member(bank, "alice")
    asked = await convo.handle(turn(command="donate", text="1h30 biodiversity for the pond"))
    form = asked.form
    assert form.form_id == "donate.confirm" and "1 h 30 min" in form.confirm and "Biodiversity" in form.confirm
    assert (await bank.read(statements.balance, alice.id)).balance == 0  # nothing moved yet
    values = {i.name: i.value for i in form.inputs}
    done = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values=values))
    twice = await convo.handle(turn(form_id=form.form_id, ref=form.ref, values=values))
    assert done.cards[0].title == "Thank you" and twice.cards[0].title == "Thank you"
    assert (await bank.read(statements.balance, alice.id)).balance == -90
    bio = await bank.read(campaign_flow.find, "biodiversity")
    account = await bank.read(lambda ctx: ctx.uow.accounts.of_owner("campaign", bio.id))
    assert account.balance == 90
    another = await convo.handle(turn(command="donate", text="30m biodiversity"))
    await convo.handle(turn(form_id="donate.confirm", ref=another.form.ref,
                            values={i.name: i.value for i in another.form.inputs}))
    assert (await bank.read(statements.balance, alice.id)).balance == -120


async def test_donate_to_an_organisation(bank):
    convo = Conversation(bank)
    root = await member(bank, "root")
    await bank.run(directory.bootstrap_admin, "console", "local", "root")
    await bank.run(campaign_flow.add_organisation, root.id, "st-elsewhere", "St Elsewhere", "nhs")
    asked = await convo.handle(turn(command="donate", text="1 org:st-elsewhere"))
    assert "St Elsewhere" in asked.form.confirm
    done = await convo.handle(turn(form_id="donate.confirm", ref=asked.form.ref,
                                   values={i.name: i.value for i in asked.form.inputs}))
    assert "You gave 1 h to St Elsewhere" in done.cards[0].text


async def test_donate_refuses_bad_input_and_moves_nothing(bank):
    convo = Conversation(bank)
    alice = await member(bank, "alice")
    cases = {"": "Usage", "2h": "Usage", "lots biodiversity": "couldn't read", "-1 biodiversity": "more than zero",
             "0 biodiversity": "more than zero", "2h atlantis": "can't find that campaign",
             "2h org:nobody": "can't find that organisation", "500h biodiversity": "at most"}
    for text, expected in cases.items():
        reply = await convo.handle(turn(command="donate", text=text))
        assert reply.form is None and expected in reply.cards[-1].text, text
    too_much = await convo.handle(turn(command="donate", text="11h biodiversity"))
    refused = await convo.handle(turn(form_id="donate.confirm", ref=too_much.form.ref,
                                      values={i.name: i.value for i in too_much.form.inputs}))
    assert "below its limit" in refused.cards[-1].text
    no_ref = await convo.handle(turn(form_id="donate.confirm", ref="", values={"hours": "1h", "target": "biodiversity"}))
    assert "Start again" in no_ref.cards[-1].text
    broken = await convo.handle(turn(form_id="donate.confirm", ref="abc", values={"hours": "x"}))
    assert "nothing moved" in broken.cards[-1].text
    assert (await bank.read(statements.balance, alice.id)).balance == 0
