"""Helpers for stale needs: the scan's ranking picks exactly what the plain rule says, fast path or not."""

import random

from storage.nudge_store import _rank_helpers


def by_the_rule(wants, pool, asked, top):
    """Per need: helpers sharing most skill weight, then the newest offer, never the owner or one already asked."""
    pairs, needs = [], []
    for need_id, *_ in wants:
        if need_id not in needs:
            needs.append(need_id)
    for need_id in needs:
        scores = {}
        for _, owner_id, campaign_id, term, weight, *_ in (row for row in wants if row[0] == need_id):
            for p_term, p_campaign, helper, offer_id, *_ in pool:
                if (p_term, p_campaign) == (term, campaign_id) and helper != owner_id and (helper, need_id) not in asked:
                    score, newest = scores.get(helper, (0, 0))
                    scores[helper] = (score + weight, max(newest, offer_id))
        best = sorted(((score, newest, helper) for helper, (score, newest) in scores.items()), reverse=True)
        pairs += [(need_id, helper) for _, _, helper in best[:top]]
    return pairs


def test_ranking_matches_the_rule_on_random_pools():
    rng = random.Random(6)
    for _ in range(300):
        terms, campaigns = [f"s:{t}" for t in "abcd"[:rng.randint(1, 4)]], [1, 2][:rng.randint(1, 2)]
        pool = [(rng.choice(terms), rng.choice(campaigns), rng.randint(1, 12), offer_id, "Europe/London", "{}")
                for offer_id in range(1, rng.randint(1, 40))]
        wants = []
        for need_id in rng.sample(range(1, 60), rng.randint(1, 12)):
            owner, campaign = rng.randint(1, 12), rng.choice(campaigns)
            for term in rng.sample(terms, rng.randint(1, len(terms))):
                wants.append((need_id, owner, campaign, term, rng.choice((1, 3, 3, 5)), "title", 60))
        rng.shuffle(wants)
        asked = {(rng.randint(1, 12), rng.choice(wants)[0]) for _ in range(rng.randint(0, 10))}
        top = rng.randint(1, 4)
        assert per_need(_rank_helpers(wants, pool, asked, top)) == per_need(by_the_rule(wants, pool, asked, top))


def per_need(pairs):
    found = {}
    for need_id, helper in pairs:
        found.setdefault(need_id, []).append(helper)
    return found
