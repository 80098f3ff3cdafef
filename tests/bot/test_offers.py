"""`offer` and `offers` through the conversation: the form, browsing, paging, pause, resume, close."""

import pytest

from tests.bot import test_exchanges as shared
from tests.bot.test_exchanges import GREENER_SURGERY, actions, card, refusal

chat, pair = shared.chat, shared.pair  # the shared fixtures

OFFER = {"title": "Sustainable procurement advice", "description": "Ten years buying for the NHS",
         "skills": "procurement, recycling", "campaigns": [GREENER_SURGERY], "hours": "6h"}


def offer_id(reply) -> str:
    return card(reply, "Offer #").title.split("#")[1].split(":")[0]


async def test_offer_opens_a_form_prefilled_with_the_title(chat, pair):
    alice, _ = pair
    form = (await chat.say(alice, "offer", "Gardening on Saturdays")).form
    assert form.form_id == "offer.post"
    assert {i.name: i.value for i in form.inputs}["title"] == "Gardening on Saturdays"
    campaigns = [i for i in form.inputs if i.name == "campaigns"][0]
    assert campaigns.kind == "multiselect" and len(campaigns.options) == 4
    assert (await chat.click(alice, "offer.new")).form.form_id == "offer.post"


async def test_posting_an_offer_shows_it_with_owner_buttons_and_once_per_request(chat, pair):
    alice, bob = pair
    posted = await chat.submit(bob, "offer.post", OFFER, request_key="v1")
    shown = card(posted, "Offer #")
    fields = {f.label: f.value for f in shown.fields}
    assert fields["Hours left"] == "6 h of 6 h" and fields["Campaigns"] == "Greener surgery"
    assert fields["Skills"] == "procurement, recycling" and fields["Offered by"] == "Bob"
    ref = offer_id(posted)
    assert actions(shown) == [("matches.offer", ref), ("offer.pause", ref), ("offer.close", ref)]
    again = await chat.submit(bob, "offer.post", OFFER, request_key="v1")
    assert offer_id(again) == ref
    mine = await chat.say(bob, "offers", "mine")
    assert len([c for c in mine.cards if c.title.startswith("Offer #")]) == 1
    seen_by_alice = card(await chat.say(alice, "offers"), f"Offer #{ref}")
    assert actions(seen_by_alice) == [("offer.request", ref), ("offer.dismiss", ref)]


@pytest.mark.parametrize("changes, field, says", [
    ({"title": ""}, "title", "Please fill in a title"),
    ({"title": "x" * 151}, "title", "That's 151 characters; the limit is 150"),
    ({"description": "y" * 3001}, "description", "the limit is 3000"),
    ({"skills": ", ".join(f"skill {n}" for n in range(11))}, "skills", "at most 10 skills; you gave 11"),
    ({"campaigns": ["999"]}, "campaigns", "choose campaigns from the list"),
    ({"hours": "0"}, "hours", "more than zero"),
    ({"hours": "-3"}, "hours", "more than zero"),
    ({"hours": "201h"}, "hours", "at most 200 h in total"),
    ({"hours": "plenty"}, "hours", "couldn't read"),
])
async def test_bad_offer_fields_come_back_explained_and_nothing_is_posted(chat, pair, changes, field, says):
    _, bob = pair
    values = {**OFFER, **changes}
    reply = await chat.submit(bob, "offer.post", values)
    assert reply.form is not None and not reply.close_form
    assert says in reply.form.errors[field]
    assert {i.name: i.value for i in reply.form.inputs}[field] == values[field]
    assert "Nothing found" in (await chat.say(bob, "offers", "mine")).cards[0].text


async def test_an_offer_total_may_exceed_one_session(chat, pair):
    _, bob = pair
    posted = await chat.submit(bob, "offer.post", {**OFFER, "hours": "40h", "campaigns": "1, 2"})
    fields = {f.label: f.value for f in card(posted, "Offer #").fields}
    assert fields["Hours left"] == "40 h of 40 h" and fields["Campaigns"] == "Greener surgery, Biodiversity"


async def test_browse_by_campaign_skill_and_search(chat, pair):
    alice, bob = pair
    await chat.submit(bob, "offer.post", OFFER)
    await chat.submit(bob, "offer.post", {"title": "Hedgehog houses", "skills": "ecology",
                                          "campaigns": ["2"], "hours": "3h"})

    def titles(reply):
        return [c.title.split(": ", 1)[1] for c in reply.cards if c.title.startswith("Offer #")]

    assert titles(await chat.say(alice, "offers", "campaign greener-surgery")) == ["Sustainable procurement advice"]
    assert titles(await chat.say(alice, "offers", "campaign Biodiversity")) == ["Hedgehog houses"]
    assert titles(await chat.say(alice, "offers", "skill ecology")) == ["Hedgehog houses"]
    assert titles(await chat.say(alice, "offers", "search hedgehog")) == ["Hedgehog houses"]
    assert titles(await chat.say(alice, "offers", "procurement")) == ["Sustainable procurement advice"]
    assert "can't find that campaign" in refusal(await chat.say(alice, "offers", "campaign atlantis"))
    assert "Nothing found" in (await chat.say(alice, "offers", "search unicorns")).cards[0].text


async def test_offers_page_five_at_a_time(chat, pair):
    alice, bob = pair
    for n in range(7):
        await chat.submit(bob, "offer.post", {"title": f"Help number {n}", "hours": "1h"})
    first = await chat.say(alice, "offers")
    assert len(first.cards) == 6 and actions(first.cards[0]) == [("offers.page", "1|")]
    second = await chat.click(alice, "offers.page", "1|")
    assert second.replace and len(second.cards) == 3
    assert actions(second.cards[0]) == [("offers.page", "0|")]
    assert "Use the number shown" in refusal(await chat.click(alice, "offers.page", "x|"))


async def test_pause_resume_close_by_button_and_text(chat, pair):
    alice, bob = pair
    ref = offer_id(await chat.submit(bob, "offer.post", OFFER))
    paused = await chat.click(bob, "offer.pause", ref)
    assert paused.replace and paused.cards[0].title == "Your offer is paused"
    assert actions(card(paused, "Offer #")) == [("offer.resume", ref), ("offer.close", ref)]
    assert "Nothing found" in (await chat.say(alice, "offers")).cards[0].text
    assert "already paused" in refusal(await chat.click(bob, "offer.pause", ref))
    resumed = await chat.say(bob, "offers", f"resume {ref}")
    assert resumed.cards[0].title == "Your offer is active again" and not resumed.replace
    closed = await chat.say(bob, "offers", f"close #{ref}")
    assert closed.cards[0].title == "Your offer is closed" and actions(card(closed, "Offer #")) == []
    assert "offer is closed" in refusal(await chat.click(bob, "offer.resume", ref))


async def test_only_the_owner_can_change_an_offer_and_unknown_ids_are_friendly(chat, pair):
    alice, bob = pair
    ref = offer_id(await chat.submit(bob, "offer.post", OFFER))
    assert "belongs to someone else" in refusal(await chat.click(alice, "offer.close", ref))
    assert "belongs to someone else" in refusal(await chat.say(alice, "offers", f"pause {ref}"))
    assert "can't find that offer" in refusal(await chat.say(bob, "offers", "pause 999"))
    assert "can't find that offer" in refusal(await chat.say(bob, "offers", "pause"))
    assert "can't find that offer" in refusal(await chat.click(bob, "offer.pause", "abc"))


async def test_help_for_offer_commands_and_the_nearest_command_hint(chat, pair):
    alice, _ = pair
    for word in ("offer", "offers"):
        shown = await chat.say(alice, "help", word)
        assert shown.cards[0].title == f"help {word}" and "Usage:" in shown.cards[0].text
    assert "pause" in (await chat.say(alice, "help", "offers")).cards[0].text
    assert "Did you mean `offer`?" in refusal(await chat.say(alice, "ofer"))
