"""The conversation layer routes turns to handlers and answers every input kindly."""

from bot.conversation import Conversation
from bot.turns import Turn


def turn(**kw) -> Turn:
    return Turn(platform="console", workspace_id="local", user_id=kw.pop("user", "alice"), **kw)


async def test_first_contact_welcomes_and_answers(bank):
    convo = Conversation(bank)
    reply = await convo.handle(turn(command="balance"))
    assert reply.cards[0].title == "Welcome to Hexitime"
    assert reply.cards[1].title == "Your hours"


async def test_unknown_command_names_the_nearest(bank):
    convo = Conversation(bank)
    reply = await convo.handle(turn(command="balanse"))
    assert "Did you mean `balance`?" in reply.cards[-1].text


async def test_need_form_round_trip_with_errors_then_success(bank):
    convo = Conversation(bank)
    form = (await convo.handle(turn(command="need", text="Compost bins"))).form
    assert form.form_id == "need.post"
    bad = await convo.handle(turn(form_id="need.post", values={"title": "", "hours": "-1"}))
    assert set(bad.form.errors) == {"title", "hours"}
    ok = await convo.handle(turn(form_id="need.post", values={"title": "Compost bins", "hours": "1h30"},
                                 request_key="v1"))
    again = await convo.handle(turn(form_id="need.post", values={"title": "Compost bins", "hours": "1h30"},
                                    request_key="v1"))
    assert ok.cards[1].title == again.cards[1].title  # same need, not a second one
    listing = await convo.handle(turn(command="needs", text="mine"))
    assert len([c for c in listing.cards if c.title.startswith("Need #")]) == 1
