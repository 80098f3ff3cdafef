"""`home`: one dashboard message, the same one the Slack App Home renders."""

from bot.handlers.home import home_message
from bot.turns import Request
from bot.views import Message
from core import campaign_flow, directory
from tests.bot import test_exchanges as shared
from tests.bot.test_exchanges import actions, card, need_and_offer

chat, pair = shared.chat, shared.pair  # the shared fixtures


def fields(c) -> dict[str, str]:
    return {f.label: f.value for f in c.fields}


async def test_a_newcomers_home_explains_each_empty_part(chat, pair):
    alice, _ = pair
    reply = await chat.say(alice, "home")
    assert [c.title for c in reply.cards] == [
        "Your hours", "Waiting for you", "Your open needs", "Your offers", "Your campaigns"]
    assert fields(reply.cards[0])["Balance"] == "0 min"
    assert reply.cards[1].text == "Nothing right now."
    assert "`need`" in reply.cards[2].text and "`offer`" in reply.cards[3].text
    assert ("matches.all", "") in actions(reply.cards[0])


async def test_home_shows_posts_campaigns_and_what_waits_with_its_buttons(chat, pair):
    alice, bob = pair
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    await chat.bank.run(campaign_flow.join, bob.id, "greener-surgery")
    proposed = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}")
    ref = card(proposed, "Exchange #").title.split("#")[1].split(":")[0]

    bobs = await chat.say(bob, "dashboard")
    assert card(bobs, "Waiting for you").text == "1 exchange needs a step from you."
    assert actions(card(bobs, f"Exchange #{ref}")) == [("exchange.accept", ref), ("exchange.decline", ref)]
    assert fields(card(bobs, "Your offers")) == {f"#{offer_id} Sustainable procurement advice": "active · 6 h left"}
    assert fields(card(bobs, "Your campaigns")) == {"Greener surgery": "participant"}

    alices = await chat.say(alice, "home")
    assert card(alices, "Waiting for you").text == "Nothing right now."
    assert fields(card(alices, "Your open needs")) == {f"#{need_id} Procurement review of theatre waste": "open · 2 h"}

    await chat.click(bob, "exchange.accept", ref)
    alices = await chat.say(alice, "home")
    assert fields(alices.cards[0])["Held for agreed exchanges"] == "2 h"
    assert fields(alices.cards[0])["Available"] == "−2 h"
    assert ("exchange.log", ref) in actions(card(alices, f"Exchange #{ref}"))


async def test_home_message_is_the_same_message_the_command_shows(chat, pair):
    alice, _ = pair
    member = await chat.bank.read(directory.get, alice.id)
    message = await home_message(Request(turn=alice.turn(command="home"), member=member, bank=chat.bank))
    assert isinstance(message, Message)
    assert message == (await chat.say(alice, "home")).message


async def test_refresh_replaces_the_dashboard_and_help_explains_it(chat, pair):
    alice, _ = pair
    refreshed = await chat.click(alice, "home.show")
    assert refreshed.replace and refreshed.cards[0].title == "Your hours"
    shown = await chat.say(alice, "help", "home")
    assert shown.cards[0].title == "help home" and "dashboard" in shown.cards[0].text
