"""`matches` through the conversation: suggestions with reasons, proposing, helping, requesting, passing."""

import pytest

from tests.bot import test_exchanges as shared
from tests.bot.test_exchanges import actions, card, need_and_offer, refusal

chat = shared.chat  # the shared fixtures


@pytest.fixture
async def trio(chat):
    return (await chat.person("Alice", "slack"), await chat.person("Bob", "teams"),
            await chat.person("Carol", "slack"))


def why(c) -> str:
    return {f.label: f.value for f in c.fields}["Why"]


def exchange_ref(reply) -> str:
    return card(reply, "Exchange #").title.split("#")[1].split(":")[0]


async def test_nothing_posted_yet_offers_the_two_ways_to_start(chat, trio):
    alice, _, _ = trio
    reply = await chat.say(alice, "matches")
    assert "no open needs or active offers" in reply.cards[0].text
    assert actions(reply.cards[0]) == [("need.new", ""), ("offer.new", "")]


async def test_matches_show_both_directions_with_the_reasons(chat, trio):
    alice, bob, _ = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    for_alice = await chat.say(alice, "matches")
    assert for_alice.cards[0].title.startswith(f"For your need #{need_id}")
    offer = card(for_alice, f"Offer #{offer_id}")
    assert why(offer) == "Greener surgery · procurement"
    assert actions(offer) == [("match.propose", f"{need_id}:{offer_id}"), ("offer.dismiss", str(offer_id))]
    for_bob = await chat.say(bob, "matches")
    need = card(for_bob, f"Need #{need_id}")
    assert why(need) == "Greener surgery · procurement"
    assert actions(need) == [("match.propose", f"{need_id}:{offer_id}"), ("need.dismiss", str(need_id))]
    assert (await chat.click(bob, "matches.all")).cards[0].title.startswith(f"For your offer #{offer_id}")


async def test_matches_for_one_post_by_button_and_text(chat, trio):
    alice, bob, carol = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    by_button = await chat.click(alice, "matches.need", str(need_id))
    by_text = await chat.say(alice, "matches", f"need {need_id}")
    assert [c.title for c in by_button.cards] == [c.title for c in by_text.cards]
    assert card(await chat.click(bob, "matches.offer", str(offer_id)), f"Need #{need_id}")
    assert card(await chat.say(bob, "matches", f"offer {offer_id}"), f"Need #{need_id}")
    assert "belongs to someone else" in refusal(await chat.click(carol, "matches.need", str(need_id)))
    assert "belongs to someone else" in refusal(await chat.say(carol, "matches", f"offer {offer_id}"))
    assert "can't find that need" in refusal(await chat.click(alice, "matches.need", "999"))
    assert "can't find that offer" in refusal(await chat.say(alice, "matches", "offer x"))


async def test_a_post_with_no_fit_says_so(chat, trio):
    alice, _, _ = trio
    await chat.submit(alice, "need.post", {"title": "Quantum widgets", "hours": "1h"})
    assert "No offers fit yet" in (await chat.say(alice, "matches")).cards[0].text


async def test_helper_proposes_from_their_offer_and_the_need_owner_is_asked(chat, trio):
    alice, bob, _ = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    proposed = await chat.click(bob, "match.propose", f"{need_id}:{offer_id}")
    ref = exchange_ref(proposed)
    [notice] = proposed.notices
    assert notice.member_id == alice.id and notice.key == f"exchange:{ref}:proposed"
    assert actions(notice.message.cards[1]) == [("exchange.accept", ref), ("exchange.decline", ref)]
    await chat.click(alice, "exchange.accept", ref)
    assert (await chat.balance(alice)).held == 120
    offers = await chat.say(bob, "offers", "mine")
    assert {f.label: f.value for f in card(offers, "Offer #").fields}["Hours left"] == "4 h of 6 h"


async def test_i_can_help_on_a_need_card_proposes_to_its_owner(chat, trio):
    alice, bob, carol = trio
    need_id, _ = await need_and_offer(chat, alice, bob)
    browse = card(await chat.say(carol, "needs"), f"Need #{need_id}")
    assert ("need.help", str(need_id)) in actions(browse)
    helped = await chat.click(carol, "need.help", str(need_id))
    fields = {f.label: f.value for f in card(helped, "Exchange #").fields}
    assert fields["Helper"] == "You" and fields["Receiving help"] == "Alice" and fields["Agreed"] == "2 h"
    assert helped.notices[0].member_id == alice.id
    assert "own post" in refusal(await chat.click(alice, "need.help", str(need_id)))
    assert "already an open exchange" in refusal(await chat.click(carol, "need.help", str(need_id)))
    assert "can't find that need" in refusal(await chat.click(carol, "need.help", "12345"))


async def test_request_on_an_offer_asks_for_an_hour_or_what_is_left(chat, trio):
    alice, bob, carol = trio
    posted = await chat.submit(bob, "offer.post", {"title": "Compost clinic", "hours": "1h30"})
    offer_id = card(posted, "Offer #").title.split("#")[1].split(":")[0]
    first = await chat.click(alice, "offer.request", offer_id)
    assert {f.label: f.value for f in card(first, "Exchange #").fields}["Agreed"] == "1 h"
    assert first.notices[0].member_id == bob.id
    await chat.click(bob, "exchange.accept", exchange_ref(first))
    second = await chat.click(carol, "offer.request", offer_id)
    assert {f.label: f.value for f in card(second, "Exchange #").fields}["Agreed"] == "30 min"
    assert "own post" in refusal(await chat.click(bob, "offer.request", offer_id))
    await chat.click(bob, "offer.pause", offer_id)
    assert "paused at the moment" in refusal(await chat.click(alice, "offer.request", offer_id))
    assert "can't find that offer" in refusal(await chat.click(alice, "offer.request", "404"))


async def test_not_for_me_hides_a_suggestion_for_good(chat, trio):
    alice, bob, _ = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    dismissed = await chat.click(alice, "offer.dismiss", str(offer_id))
    assert dismissed.replace and "won't suggest that offer" in dismissed.cards[0].text
    assert "No offers fit yet" in (await chat.say(alice, "matches")).cards[0].text
    await chat.click(bob, "need.dismiss", str(need_id))
    assert "No needs fit yet" in (await chat.say(bob, "matches")).cards[0].text
    assert "can't find that offer" in refusal(await chat.click(alice, "offer.dismiss", "777"))


@pytest.mark.parametrize("ref, says", [
    ("", "can't find that need"), ("abc", "can't find that need"), ("1", "can't find that offer"),
    ("1:999", "can't find that offer"), ("999:1", "can't find that need"), ("1:x", "can't find that offer"),
])
async def test_propose_with_a_broken_reference_is_friendly(chat, trio, ref, says):
    alice, bob, _ = trio
    await need_and_offer(chat, alice, bob)
    assert says in refusal(await chat.click(alice, "match.propose", ref))


async def test_a_stranger_cannot_propose_two_other_members_posts(chat, trio):
    alice, bob, carol = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    assert "Only the need's owner or the offer's owner" in refusal(
        await chat.click(carol, "match.propose", f"{need_id}:{offer_id}"))
    assert "no open exchanges" in (await chat.say(alice, "exchanges")).cards[0].text


async def test_help_for_matches(chat, trio):
    alice, _, _ = trio
    shown = await chat.say(alice, "help", "matches")
    assert shown.cards[0].title == "help matches" and "Not for me" in shown.cards[0].text


async def test_a_withdrawn_need_says_so_and_takes_no_proposals(chat, trio):
    alice, bob, _ = trio
    need_id, offer_id = await need_and_offer(chat, alice, bob)
    await chat.say(alice, "needs", f"withdraw {need_id}")
    assert (await chat.say(alice, "matches", f"need {need_id}")).cards[0].text == "This need is withdrawn."
    assert "withdrawn now" in refusal(await chat.click(bob, "match.propose", f"{need_id}:{offer_id}"))
    assert "withdrawn now" in refusal(await chat.click(bob, "need.help", str(need_id)))
