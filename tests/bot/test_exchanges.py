"""Exchanges through the conversation: every step by button, text and form, and every refusal."""

from dataclasses import dataclass

import pytest

from bot.conversation import Conversation, NoNotifier
from bot.turns import Turn
from bot.views import Card, Reply
from core import statements
from tests.support import join

GREENER_SURGERY = "1"


@dataclass
class Person:
    """A member as a front end sees them: a platform identity and their member id."""

    name: str
    platform: str
    id: int

    def turn(self, **kw) -> Turn:
        return Turn(platform=self.platform, workspace_id="T1", user_id=f"U{self.name.upper()}",
                    display_name=self.name, **kw)


class Chat:
    """Several members talking to one conversation; notices land in `notifier.sent`."""

    def __init__(self, bank) -> None:
        self.bank = bank
        self.notifier = NoNotifier()
        self.convo = Conversation(bank, self.notifier)

    async def person(self, name: str, platform: str) -> Person:
        return Person(name, platform, (await join(self.bank, name, platform)).id)

    async def say(self, who: Person, command: str, text: str = "", **kw) -> Reply:
        return await self.convo.handle(who.turn(command=command, text=text, **kw))

    async def click(self, who: Person, action: str, ref: str = "", **kw) -> Reply:
        return await self.convo.handle(who.turn(action=action, ref=ref, **kw))

    async def submit(self, who: Person, form_id: str, values: dict, ref: str = "", **kw) -> Reply:
        return await self.convo.handle(who.turn(form_id=form_id, values=values, ref=ref, **kw))

    async def balance(self, who: Person) -> statements.Balance:
        return await self.bank.read(statements.balance, who.id)


def card(reply: Reply, prefix: str) -> Card:
    found = [c for c in reply.cards if c.title.startswith(prefix)]
    assert found, f"no card starting {prefix!r} in {[c.title for c in reply.cards]}"
    return found[0]


def actions(c: Card) -> list[tuple[str, str]]:
    return [(b.action, b.ref) for b in c.buttons]


def refusal(reply: Reply) -> str:
    """The text of a private refusal, which must carry no buttons."""
    assert reply.private and len(reply.cards) == 1 and not reply.cards[0].buttons
    return reply.cards[0].text


@pytest.fixture
async def chat(bank) -> Chat:
    return Chat(bank)


async def need_and_offer(chat: Chat, asker: Person, helper: Person, hours: str = "2h") -> tuple[int, int]:
    """A need and a fitting offer in Greener surgery, posted through their forms."""
    need = await chat.submit(asker, "need.post", {"title": "Procurement review of theatre waste",
                                                  "skills": "procurement", "campaign": GREENER_SURGERY,
                                                  "hours": hours})
    offer = await chat.submit(helper, "offer.post", {"title": "Sustainable procurement advice",
                                                     "skills": "procurement, recycling",
                                                     "campaigns": [GREENER_SURGERY], "hours": "6h"})
    need_id = int(card(need, "Need #").title.split("#")[1].split(":")[0])
    offer_id = int(card(offer, "Offer #").title.split("#")[1].split(":")[0])
    return need_id, offer_id


async def agreed(chat: Chat, asker: Person, helper: Person) -> int:
    """An exchange proposed by `asker` and accepted by `helper`: its id."""
    need_id, offer_id = await need_and_offer(chat, asker, helper)
    proposed = await chat.click(asker, "match.propose", f"{need_id}:{offer_id}")
    exchange_id = int(card(proposed, "Exchange #").title.split("#")[1].split(":")[0])
    await chat.click(helper, "exchange.accept", str(exchange_id))
    return exchange_id


@pytest.fixture
async def pair(chat) -> tuple[Person, Person]:
    return await chat.person("Alice", "slack"), await chat.person("Bob", "teams")


async def test_a_whole_exchange_from_need_to_thanks_across_platforms(chat, pair):
    alice, bob = pair
    need_id, offer_id = await need_and_offer(chat, alice, bob)

    suggested = card(await chat.say(alice, "matches"), f"Offer #{offer_id}")
    assert "procurement" in dict((f.label, f.value) for f in suggested.fields)["Why"]
    assert ("match.propose", f"{need_id}:{offer_id}") in actions(suggested)

    proposed = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}", request_key="p1")
    exchange = card(proposed, "Exchange #")
    ref = exchange.title.split("#")[1].split(":")[0]
    assert actions(exchange) == [("exchange.cancel", ref)]
    [notice] = proposed.notices
    assert notice.member_id == bob.id and notice.key == f"exchange:{ref}:proposed"
    assert actions(notice.message.cards[1]) == [("exchange.accept", ref), ("exchange.decline", ref)]
    assert chat.notifier.sent[-1] == notice

    accepted = await chat.click(bob, "exchange.accept", ref)
    assert accepted.replace and accepted.cards[0].title == "Accepted"
    assert accepted.notices[0].member_id == alice.id and accepted.notices[0].key == f"exchange:{ref}:accepted"
    assert (await chat.balance(alice)).held == 120

    logged = await chat.submit(bob, "exchange.log", {"hours": "1h30"}, ref=ref)
    assert logged.notices[0].member_id == alice.id
    assert logged.notices[0].key == f"exchange:{ref}:logged:{bob.id}:90"
    assert [a for a, _ in actions(logged.notices[0].message.cards[1])] == [
        "exchange.confirm", "exchange.adjust", "exchange.dispute"]
    week_on = (chat.bank.clock.now() + chat.bank.rules.confirm_deadline).strftime("%-d %b %Y")
    shown = dict((f.label, f.value) for f in logged.notices[0].message.cards[1].fields)
    assert shown["Confirmed automatically"] == f"on {week_on} unless answered"  # Alice knows her deadline

    confirmed = await chat.click(alice, "exchange.confirm", ref)
    assert confirmed.replace and "1 h 30 min moved" in confirmed.cards[0].text
    assert (await chat.balance(alice)).balance == -90 and (await chat.balance(bob)).balance == 90
    assert (await chat.balance(alice)).held == 0
    assert confirmed.notices[0].member_id == bob.id and "1 h 30 min" in confirmed.notices[0].message.cards[0].text
    assert actions(confirmed.notices[0].message.cards[1]) == [("exchange.thank", ref)]

    thanks = await chat.submit(bob, "exchange.thank", {"note": "Lovely to work with you"}, ref=ref)
    assert thanks.notices[0].member_id == alice.id and thanks.notices[0].key == f"exchange:{ref}:thanks:{bob.id}"
    assert thanks.notices[0].message.cards[0].text == "Lovely to work with you"
    assert actions(card(thanks, "Exchange #")) == []


async def test_double_clicks_get_a_private_already_message_and_move_nothing_twice(chat, pair):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    again = await chat.click(bob, "exchange.accept", ref)
    assert "already accepted" in refusal(again) and not again.notices
    assert (await chat.balance(alice)).held == 120
    await chat.say(bob, "log", f"{ref} 2h")
    await chat.click(alice, "exchange.confirm", ref)
    twice = await chat.click(alice, "exchange.confirm", ref)
    assert "already confirmed on" in refusal(twice)
    assert (await chat.balance(bob)).balance == 120


async def test_the_same_proposal_submitted_twice_creates_one_exchange(chat, pair):
    alice, bob = pair
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    first = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}", request_key="same")
    second = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}", request_key="same")
    assert card(first, "Exchange #").title == card(second, "Exchange #").title
    other_click = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}", request_key="other")
    assert "already an open exchange" in refusal(other_click)
    listing = await chat.say(bob, "exchanges")
    assert len([c for c in listing.cards if c.title.startswith("Exchange #")]) == 1


async def test_someone_elses_exchange_looks_unknown_and_proposer_cannot_answer_themselves(chat, pair):
    alice, bob = pair
    carol = await chat.person("Carol", "slack")
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    proposed = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}")
    ref = card(proposed, "Exchange #").title.split("#")[1].split(":")[0]
    for action in ("exchange.accept", "exchange.decline", "exchange.cancel", "exchange.log", "exchange.thank"):
        assert "can't find that exchange" in refusal(await chat.click(carol, action, ref)), action
    assert "can't find that exchange" in refusal(await chat.say(carol, "confirm", ref))
    assert "can't accept your own step" in refusal(await chat.click(alice, "exchange.accept", ref))
    assert (await chat.balance(alice)).held == 0


@pytest.mark.parametrize("hours, says", [
    ("0", "more than zero"), ("-1", "more than zero"), ("0h0m", "more than zero"),
    ("9h", "at most 8 h"), ("99999", "at most 8 h"), ("lots", "couldn't read"), ("", "Please give the hours"),
])
async def test_bad_hours_are_shown_back_on_the_form_with_an_example(chat, pair, hours, says):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    reply = await chat.submit(bob, "exchange.log", {"hours": hours}, ref=ref)
    assert reply.form.form_id == "exchange.log" and not reply.close_form
    assert says in reply.form.errors["hours"] and reply.form.inputs[0].value == hours
    assert not reply.notices


@pytest.mark.parametrize("text, says", [
    ("{ref} 0", "more than zero"), ("{ref} -2h", "more than zero"), ("{ref} 12h", "at most 8 h"),
    ("{ref} soon", "couldn't read"), ("{ref} 3h", "You agreed 2 h"), ("999 1h", "can't find that exchange"),
    ("abc 1h", "Use the number shown"), ("", "Which exchange?"),
])
async def test_log_by_text_refuses_bad_hours_and_ids(chat, pair, text, says):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    assert says in refusal(await chat.say(bob, "log", text.format(ref=ref)))


async def test_text_commands_take_every_step(chat, pair):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    logged = await chat.say(alice, "log", f"{ref} 1h 30m")
    assert logged.notices[0].member_id == bob.id and not logged.replace
    adjusted = await chat.say(bob, "adjust", f"{ref} 45m")
    assert adjusted.notices[0].member_id == alice.id
    assert adjusted.notices[0].key == f"exchange:{ref}:logged:{bob.id}:45"
    assert "can't confirm your own step" in refusal(await chat.say(bob, "confirm", ref))
    await chat.say(alice, "confirm", ref)
    assert (await chat.balance(bob)).balance == 45
    thanked = await chat.say(alice, "thank", f"{ref} Thank you <!channel> @here")
    assert thanked.notices[0].message.cards[0].text == "Thank you <!channel> @here"


async def test_decline_and_cancel_release_everything_and_tell_the_other(chat, pair):
    alice, bob = pair
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    first = await chat.click(alice, "match.propose", f"{need_id}:{offer_id}")
    ref = card(first, "Exchange #").title.split("#")[1].split(":")[0]
    declined = await chat.say(bob, "decline", ref)
    assert declined.notices[0].member_id == alice.id and declined.notices[0].key == f"exchange:{ref}:declined"
    assert "already declined" in refusal(await chat.click(bob, "exchange.decline", ref))

    ref2 = str(await agreed(chat, alice, bob))
    assert (await chat.balance(alice)).held == 120
    cancelled = await chat.click(alice, "exchange.cancel", ref2)
    assert cancelled.replace and cancelled.notices[0].member_id == bob.id
    assert cancelled.notices[0].key == f"exchange:{ref2}:cancelled"
    assert (await chat.balance(alice)).held == 0
    assert "already cancelled" in refusal(await chat.say(bob, "cancel", ref2))


async def test_adjust_and_dispute_forms_are_only_for_the_other_party(chat, pair):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    assert "No hours have been logged" in refusal(await chat.click(alice, "exchange.adjust", ref))
    await chat.say(bob, "log", f"{ref} 2h")
    assert "can't adjust your own step" in refusal(await chat.click(bob, "exchange.adjust", ref))
    form = (await chat.click(alice, "exchange.adjust", ref)).form
    assert form.form_id == "exchange.adjust" and form.ref == ref
    bad = await chat.submit(alice, "exchange.adjust", {"hours": "nope"}, ref=ref)
    assert "couldn't read" in bad.form.errors["hours"]
    empty = await chat.submit(alice, "exchange.dispute", {"reason": "  "}, ref=ref)
    assert "Please fill in" in empty.form.errors["reason"]
    long = await chat.submit(alice, "exchange.dispute", {"reason": "x" * 1001}, ref=ref)
    assert "limit is 1000" in long.form.errors["reason"]
    disputed = await chat.submit(alice, "exchange.dispute", {"reason": "We met for 30 minutes"}, ref=ref)
    assert disputed.notices[0].member_id == bob.id and disputed.notices[0].key == f"exchange:{ref}:disputed"
    assert "We met for 30 minutes" in disputed.notices[0].message.cards[0].text
    assert "in dispute" in refusal(await chat.say(alice, "confirm", ref))
    assert (await chat.balance(bob)).balance == 0


async def test_typed_steps_without_a_value_open_their_form(chat, pair):
    alice, bob = pair
    ref = str(await agreed(chat, alice, bob))
    assert (await chat.say(bob, "log", ref)).form.form_id == "exchange.log"
    await chat.say(bob, "log", f"{ref} 1h")
    assert (await chat.say(alice, "adjust", ref)).form.form_id == "exchange.adjust"
    assert (await chat.say(alice, "dispute", ref)).form.form_id == "exchange.dispute"
    assert "waiting for confirmation" in refusal(await chat.say(alice, "thank", ref))
    await chat.say(alice, "confirm", ref)
    assert (await chat.say(alice, "thank", ref)).form.form_id == "exchange.thank"
    too_long = await chat.submit(alice, "exchange.thank", {"note": "x" * 501}, ref=ref)
    assert "limit is 500" in too_long.form.errors["note"]


async def test_forms_and_buttons_with_unknown_references_are_refused(chat, pair):
    alice, _ = pair
    for ref in ("", "999", "x1", "1" * 20):
        assert "can't find" in refusal(await chat.click(alice, "exchange.confirm", ref))
        assert "can't find" in refusal(await chat.submit(alice, "exchange.log", {"hours": "1h"}, ref=ref))


async def test_exchanges_lists_next_steps_waiting_ones_first_and_all(chat, pair):
    alice, bob = pair
    empty = await chat.say(alice, "exchanges")
    assert "no open exchanges" in empty.cards[0].text
    ref = str(await agreed(chat, alice, bob))
    await chat.say(alice, "log", f"{ref} 1h")
    listing = await chat.say(bob, "exchanges")
    shown = card(listing, f"Exchange #{ref}")
    assert shown.note == "Next: Alice logged 1 h: confirm, adjust or dispute."
    assert card(await chat.say(alice, "exchanges"), "Exchange #").note == "Next: waiting for Bob to confirm 1 h."
    await chat.say(bob, "confirm", ref)
    assert "no open exchanges" in (await chat.say(bob, "exchanges")).cards[0].text
    everything = await chat.say(bob, "exchanges", "all")
    assert card(everything, f"Exchange #{ref}").note.startswith("Next: nothing; it's done.")


async def test_exchanges_page_through_many(chat, pair):
    alice, bob = pair
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    for n in range(6):
        reply = await chat.submit(bob, "offer.post", {"title": f"Extra help {n}", "hours": "2h"})
        offer = card(reply, "Offer #").title.split("#")[1].split(":")[0]
        await chat.click(alice, "offer.request", offer)
    first = await chat.say(alice, "exchanges")
    assert first.cards[0].text.startswith("6 in all") and len(first.cards) == 6
    assert actions(first.cards[0]) == [("exchanges.page", "1|")]
    second = await chat.click(alice, "exchanges.page", "1|")
    assert second.replace and len(second.cards) == 2


async def test_every_exchange_command_has_help(chat, pair):
    alice, _ = pair
    for word in ("exchanges", "accept", "decline", "cancel", "log", "confirm", "adjust", "dispute", "thank"):
        shown = await chat.say(alice, "help", word)
        assert shown.cards[0].title == f"help {word}" and "Usage:" in shown.cards[0].text, word
