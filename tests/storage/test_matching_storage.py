"""Suggestions through the term index on a real database: reasons, exclusions, pre-ranking."""

from core import campaign_flow, marketplace
from core import exchange_flow as flow
from storage import repositories
from tests.support import join


async def _people(bank):
    return await join(bank, "alice"), await join(bank, "bob"), await join(bank, "carol")


async def _waste(bank) -> int:
    return (await bank.read(campaign_flow.find, "waste-management")).id


async def _offer(bank, owner, title, skills=(), campaigns=(), minutes=240, description=""):
    return await bank.run(marketplace.post_offer, owner.id, title, description, list(skills),
                          list(campaigns), minutes)


async def _need(bank, owner, title, skills=(), campaign=None, minutes=120, description=""):
    return await bank.run(marketplace.post_need, owner.id, title, description, list(skills),
                          campaign, minutes)


async def _suggested(bank, owner, need) -> list[int]:
    return [s.post_id for s in await bank.read(marketplace.offers_for_need, owner.id, need.id)]


async def test_offers_for_a_need_carry_their_reasons(bank):
    alice, bob, _ = await _people(bank)
    waste = await _waste(bank)
    offer = await _offer(bank, bob, "Buying advice", ["Purchasing"], [waste])
    need = await _need(bank, alice, "Greener gloves contract", ["sustainable procurement"], waste)
    [suggestion] = await bank.read(marketplace.offers_for_need, alice.id, need.id)
    assert (suggestion.post_id, suggestion.owner_id) == (offer.id, bob.id)
    assert suggestion.why == "Waste management · procurement"


async def test_needs_for_an_offer_carry_their_reasons(bank):
    alice, bob, _ = await _people(bank)
    need = await _need(bank, alice, "Theatre waste audit", ["recycling"])
    offer = await _offer(bank, bob, "Audits of bins", ["recycle"])
    [suggestion] = await bank.read(marketplace.needs_for_offer, bob.id, offer.id)
    assert (suggestion.post_id, suggestion.why) == (need.id, "recycling")


async def test_a_members_own_posts_are_never_suggested(bank):
    alice, bob, _ = await _people(bank)
    await _offer(bank, alice, "Recycling help", ["recycling"])
    offer = await _offer(bank, bob, "Recycling help", ["recycling"])
    need = await _need(bank, alice, "Recycling help", ["recycling"])
    await _need(bank, bob, "Recycling help", ["recycling"])
    assert await _suggested(bank, alice, need) == [offer.id]
    assert [s.post_id for s in await bank.read(marketplace.needs_for_offer, bob.id, offer.id)] == [need.id]


async def test_paused_closed_and_full_offers_are_not_suggested(bank):
    alice, bob, carol = await _people(bank)
    paused = await _offer(bank, bob, "Composting", ["composting"])
    closed = await _offer(bank, bob, "Composting", ["composting"])
    full = await _offer(bank, bob, "Composting", ["composting"], minutes=60)
    open_ = await _offer(bank, bob, "Composting", ["composting"])
    await bank.run(marketplace.set_offer_status, bob.id, paused.id, "paused")
    await bank.run(marketplace.set_offer_status, bob.id, closed.id, "closed")
    exchange = await bank.run(flow.propose, carol.id, offer_id=full.id, minutes=60)
    await bank.run(flow.accept, exchange.id, bob.id)
    need = await _need(bank, alice, "Compost bins", ["composting"])
    assert await _suggested(bank, alice, need) == [open_.id]
    await bank.run(marketplace.set_offer_status, bob.id, paused.id, "active")
    assert set(await _suggested(bank, alice, need)) == {open_.id, paused.id}


async def test_closed_and_withdrawn_needs_are_not_suggested(bank):
    alice, bob, _ = await _people(bank)
    gone = await _need(bank, alice, "Bee hotel", ["beekeeping"])
    kept = await _need(bank, alice, "Bee hotel", ["beekeeping"])
    await bank.run(marketplace.withdraw_need, alice.id, gone.id)
    offer = await _offer(bank, bob, "Beekeeping", ["beekeeping"])
    assert [s.post_id for s in await bank.read(marketplace.needs_for_offer, bob.id, offer.id)] == [kept.id]


async def test_not_for_me_is_not_suggested_again(bank):
    alice, bob, carol = await _people(bank)
    first = await _offer(bank, bob, "Hedge planting", ["ecology"])
    second = await _offer(bank, carol, "Hedge planting", ["ecology"])
    need = await _need(bank, alice, "Hedgerow survey", ["biodiversity"])
    assert set(await _suggested(bank, alice, need)) == {first.id, second.id}
    await bank.run(marketplace.dismiss, alice.id, "offer", first.id)
    assert await _suggested(bank, alice, need) == [second.id]
    offer = await _offer(bank, bob, "Ecology walks", ["wildlife"])
    await bank.run(marketplace.dismiss, bob.id, "need", need.id)
    assert await bank.read(marketplace.needs_for_offer, bob.id, offer.id) == []


async def test_more_shared_skills_rank_first_and_unrelated_posts_never_show(bank):
    alice, bob, carol = await _people(bank)
    one = await _offer(bank, bob, "Menus", ["menu planning"])
    two = await _offer(bank, carol, "Menus and sourcing", ["menu planning", "local sourcing"])
    await _offer(bank, carol, "Piano lessons", ["music"])
    need = await _need(bank, alice, "Seasonal menu", ["menu planning", "local sourcing"])
    assert await _suggested(bank, alice, need) == [two.id, one.id]


async def test_a_rare_skill_is_found_even_when_a_common_word_floods_the_index(db, bank, monkeypatch):
    """With a budget of 20 index rows: the one old beekeeper whole, then the 19 newest "waste"."""
    alice, bob, carol = await _people(bank)
    rare = await _offer(bank, carol, "Beekeeping", ["beekeeping"], description="waste")

    async def flood(ctx):
        return [await marketplace.post_offer(ctx, bob.id, f"Help {i}", "waste", [], [], 120)
                for i in range(60)]

    flooded = await bank.run(flood)
    original = repositories._PostRepo._hits

    async def tiny(self, terms, top, budget=12_000, most_words=12):
        return await original(self, terms, top, 20, most_words)

    monkeypatch.setattr(repositories._PostRepo, "_hits", tiny)
    async with db.unit_of_work(readonly=True) as uow:
        pool = await uow.offers.candidates(["s:beekeeping", "w:waste"], alice.id, 200)
    assert [o.id for o in pool] == [rare.id] + [o.id for o in reversed(flooded)][:19]
    need = await _need(bank, alice, "Bees", ["beekeeping"], description="waste")
    assert (await _suggested(bank, alice, need))[0] == rare.id


async def test_candidates_are_the_best_pre_ranked_and_skip_unsuitable_ones_beyond_the_first_cut(db, bank):
    """The first cut keeps 4 × limit; when those are unsuitable every hit is read."""
    alice, bob, carol = await _people(bank)
    close = [await _offer(bank, bob, "Audit waste theatre bins", ["recycling", "plastics"])
             for _ in range(9)]
    for offer in close:
        await bank.run(marketplace.set_offer_status, bob.id, offer.id, "closed")
    loose = await _offer(bank, carol, "Waste", ["recycling"])
    mine = await _offer(bank, alice, "Audit waste theatre bins", ["recycling", "plastics"])
    async with db.unit_of_work(readonly=True) as uow:
        terms = ["s:plastics", "s:recycling", "w:audit", "w:bins", "w:theatre", "w:waste"]
        assert [o.id for o in await uow.offers.candidates(terms, alice.id, 2)] == [loose.id]
        assert [o.id for o in await uow.offers.candidates(terms, carol.id, 1)] == [mine.id]
        assert await uow.offers.candidates([], carol.id, 5) == []
        assert await uow.offers.candidates(["w:nothing"], carol.id, 5) == []


async def test_long_words_that_share_a_prefix_still_index_once(bank):
    alice, bob, _ = await _people(bank)
    stem = "x" * 90
    offer = await _offer(bank, bob, "Odd words", ["recycling"], description=f"{stem}a {stem}b")
    need = await _need(bank, alice, "Recycling", ["recycling"])
    assert await _suggested(bank, alice, need) == [offer.id]


async def test_a_long_description_with_hundreds_of_words_still_matches(bank):
    alice, bob, _ = await _people(bank)
    offer = await _offer(bank, bob, "Recycling", ["recycling"])
    many = " ".join(f"w{i}" for i in range(600))
    need = await _need(bank, alice, "Recycling", ["recycling"], description=many)
    assert await _suggested(bank, alice, need) == [offer.id]
