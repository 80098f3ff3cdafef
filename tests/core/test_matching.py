"""Matching without a database: terms, synonyms, scores, reasons and the order of suggestions."""

from datetime import UTC, datetime, timedelta

import pytest

from core import matching
from core.matching import Profile

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TITLES = {3: "Waste management", 1: "Greener surgery"}


def post(post_id: int, owner_id: int = 2, title: str = "", description: str = "", skills=(),
         campaigns=(), minutes: int = 120, age_days: float = 0) -> Profile:
    return Profile(post_id, owner_id, title, description, list(skills), list(campaigns), minutes,
                   NOW - timedelta(days=age_days))


NEED = post(1, owner_id=1, title="Theatre waste audit", skills=["procurement"], campaigns=[3], minutes=120)


@pytest.mark.parametrize(("typed", "tag"), [
    ("  Supply   Chain ", "procurement"), ("Recycled", "recycling"), ("anesthesia", "anaesthetic gases"),
    ("clinical_waste", "clinical waste"), ("Beekeeping", "beekeeping"),
])
def test_skills_are_folded_onto_one_tag(typed, tag):
    assert matching.normalise_skill(typed) == tag


def test_words_drop_filler_and_meet_plurals():
    assert matching.words("We need help with the theatres' bins and audits, 2 of them") == {
        "theatre", "bins", "audit", "them"
    }


def test_terms_are_prefixed_sorted_and_unique():
    found = matching.terms("Theatre waste", "Waste in theatres", ["Purchasing", "supply chain"], [3, 3])
    assert found == ["c:3", "s:procurement", "w:theatre", "w:waste"]


def test_term_points_are_what_score_counts():
    assert [matching.term_points(t) for t in ("s:ecology", "c:2", "w:waste")] == [
        matching.SKILL_POINTS, matching.CAMPAIGN_POINTS, matching.WORD_POINTS
    ]


def test_nothing_shared_is_no_suggestion():
    assert matching.score(NEED, post(2, title="Piano lessons", skills=["music"]), NOW, TITLES) is None


def test_reasons_name_the_campaign_then_the_skills_matched_through_synonyms():
    offer = post(2, title="Buying help", skills=["purchasing", "recycling"], campaigns=[1, 3])
    assert matching.score(NEED, offer, NOW, TITLES).why == "Waste management · procurement"


def test_words_are_the_reason_only_when_no_skill_is_shared():
    offer = post(2, title="Theatre waste weighing", skills=["statistics"])
    assert matching.score(NEED, offer, NOW, TITLES).reasons == ("mentions theatre, waste",)


def test_a_skill_outweighs_a_campaign_which_outweighs_a_word():
    skill = matching.score(NEED, post(2, skills=["procurement"]), NOW, TITLES)
    campaign = matching.score(NEED, post(3, campaigns=[3]), NOW, TITLES)
    word = matching.score(NEED, post(4, title="waste"), NOW, TITLES)
    assert skill.score > campaign.score > word.score


def test_shared_words_stop_counting_after_a_handful():
    many = "alpha bravo charlie delta echo foxtrot golf hotel"
    need = post(1, owner_id=1, title=many)
    five = matching.score(need, post(2, title="alpha bravo charlie delta echo"), NOW, {})
    eight = matching.score(need, post(3, title=many), NOW, {})
    four = matching.score(need, post(4, title="alpha bravo charlie delta"), NOW, {})
    assert five.score == eight.score > four.score


def test_own_and_dismissed_posts_are_never_suggested():
    own = post(2, owner_id=NEED.owner_id, skills=["procurement"])
    dismissed = post(3, skills=["procurement"])
    kept = post(4, skills=["procurement"])
    found = matching.rank(NEED, [own, dismissed, kept], NOW, TITLES, exclude={3})
    assert [s.post_id for s in found] == [4]


def test_fresher_offers_rank_first():
    old, new = post(2, skills=["procurement"], age_days=60), post(3, skills=["procurement"], age_days=1)
    assert [s.post_id for s in matching.rank(NEED, [old, new], NOW, TITLES)] == [3, 2]


def test_offers_that_cover_the_whole_need_rank_first():
    short, enough = post(2, skills=["procurement"], minutes=30), post(3, skills=["procurement"], minutes=120)
    assert [s.post_id for s in matching.rank(NEED, [short, enough], NOW, TITLES)] == [3, 2]


def test_for_an_offer_the_needs_it_can_cover_rank_first():
    offer = post(9, owner_id=1, skills=["procurement"], minutes=120)
    big, small = post(2, skills=["procurement"], minutes=600), post(3, skills=["procurement"], minutes=60)
    found = matching.rank(offer, [big, small], NOW, TITLES, target_is_need=False)
    assert [s.post_id for s in found] == [3, 2]


def test_rank_keeps_the_best_few_ties_by_post_id():
    same = [post(i, skills=["procurement"]) for i in (7, 5, 6)]
    assert [s.post_id for s in matching.rank(NEED, same, NOW, TITLES, top=2)] == [5, 6]


def test_read_limits_read_rare_terms_whole_and_share_the_rest_by_points():
    # A rare skill (4 postings), a common skill and two common words, 700 rows to read.
    limits = matching.read_limits([(4, 3), (None, 3), (5000, 1), (None, 1)], 700)
    assert limits[0] == 4
    assert limits[1] == 3 * limits[2] == 3 * limits[3]
    assert sum(limits) <= 700 and sum(limits) > 690


def test_read_limits_read_everything_when_it_fits():
    assert matching.read_limits([(10, 3), (20, 1)], 100) == [10, 20]
