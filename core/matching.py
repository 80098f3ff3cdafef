"""Ranking offers for a need and needs for an offer, with the reasons shown to members.

Candidates come from storage by shared terms (an inverted index); this module
decides the terms, what each kind of term is worth and the order, so both
directions rank the same way and storage can pre-rank with the same weights.
"""

import heapq
import math
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime

SYNONYMS = {
    "recycle": "recycling",
    "recycled": "recycling",
    "sustainable procurement": "procurement",
    "purchasing": "procurement",
    "buying": "procurement",
    "supply chain": "procurement",
    "anaesthesia": "anaesthetic gases",
    "anesthesia": "anaesthetic gases",
    "anaesthetics": "anaesthetic gases",
    "nitrous oxide": "anaesthetic gases",
    "desflurane": "anaesthetic gases",
    "food": "nutrition",
    "diet": "nutrition",
    "dietetics": "nutrition",
    "catering services": "catering",
    "gardens": "gardening",
    "horticulture": "gardening",
    "wildlife": "ecology",
    "biodiversity": "ecology",
    "energy efficiency": "energy",
    "carbon accounting": "carbon reporting",
    "carbon footprint": "carbon reporting",
    "data": "data analysis",
    "analytics": "data analysis",
    "comms": "communications",
    "marketing": "communications",
    "plastic": "plastics",
    "single-use plastics": "plastics",
}

STOPWORDS = frozenset(
    "a an and are as at be by can for from help i in into is it me my need needs of on or our "
    "some that the their this to us we with you your would like looking want offer hours hour "
    "about any also get got has have how who will".split()
)

_WORD = re.compile(r"[a-z0-9]+")

SKILL_POINTS = 3
CAMPAIGN_POINTS = 2
WORD_POINTS = 1
MAX_WORDS = 5  # past a handful, more shared words say little more
FRESH_DAYS = 30
_TERM_POINTS = {"s": SKILL_POINTS, "c": CAMPAIGN_POINTS, "w": WORD_POINTS}


def normalise_skill(skill: str) -> str:
    """Lower-case, single spaces, common synonyms folded onto one tag."""
    tag = " ".join(skill.lower().replace("_", " ").split())
    return SYNONYMS.get(tag, tag)


def words(text: str) -> set[str]:
    """Meaningful words of free text, crudely stemmed so plurals meet singulars."""
    found = set(_WORD.findall(text.lower())) - STOPWORDS
    return {w[:-1] if len(w) > 4 and w[-1] == "s" else w for w in found if len(w) > 2}


def terms(title: str, description: str, skills: Iterable[str], campaign_ids: Iterable[int]) -> list[str]:
    """The index terms of a post: `s:` skills, `w:` words, `c:` campaigns."""
    found = {f"s:{normalise_skill(skill)}" for skill in skills}
    found |= {f"w:{word}" for word in words(f"{title} {description}")}
    found |= {f"c:{cid}" for cid in campaign_ids}
    return sorted(found)


def term_points(term: str) -> int:
    """What sharing this index term is worth in `score`, so storage can pre-rank alike."""
    return _TERM_POINTS.get(term[:1], WORD_POINTS)


def read_limits(sizes: Sequence[tuple[int | None, int]], budget: int) -> list[int]:
    """How many postings to read of each term so that all together read at most `budget`.

    `sizes` holds (postings, points) per term, postings None when only known to be many.
    Weighted water-filling: a term rarer than its share is read whole; every other term
    reads the same level times its points, so a skill reads three times what a word does.
    """
    order = sorted(range(len(sizes)), key=lambda i: _ratio(*sizes[i]))
    left, weight = budget, sum(points for _, points in sizes)
    level = None
    for i in order:
        size, points = sizes[i]
        share = left / weight
        if size is None or size > share * points:
            level = share
            break
        left, weight = left - size, weight - points
    if level is None:
        return [size for size, _ in sizes]
    return [max(int(level * points), 1) if size is None or size > level * points else size
            for size, points in sizes]


def _ratio(size: int | None, points: int) -> float:
    return math.inf if size is None else size / points


@dataclass(frozen=True)
class Profile:
    """What matching needs to know of a post, either side."""

    post_id: int
    owner_id: int
    title: str
    description: str
    skills: Sequence[str]
    campaign_ids: Sequence[int]
    minutes: int
    created_at: datetime


@dataclass(frozen=True)
class Suggestion:
    """A ranked candidate with the reasons to show ("waste management · procurement")."""

    post_id: int
    owner_id: int
    score: float
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        return " · ".join(self.reasons)


@dataclass(frozen=True)
class _Traits:
    """A profile's normalised skills, words and campaigns, worked out once per ranking."""

    skills: frozenset[str]
    words: frozenset[str]
    campaigns: tuple[int, ...]

    @classmethod
    def of(cls, profile: Profile) -> "_Traits":
        return cls(
            frozenset(normalise_skill(s) for s in profile.skills),
            frozenset(words(f"{profile.title} {profile.description}")),
            tuple(dict.fromkeys(profile.campaign_ids)),
        )


def capacity_fit(need_minutes: int, offer_minutes: int) -> float:
    """1 when the offer's hours cover the whole need, else at most half, by the share covered."""
    if offer_minutes >= need_minutes:
        return 1.0
    return 0.5 * max(offer_minutes, 0) / max(need_minutes, 1)


def freshness(created_at: datetime, now: datetime) -> float:
    """From 1 for a new post down to 0.5 for an old one, halfway after about three weeks."""
    age_days = max((now - created_at).total_seconds() / 86400, 0)
    return 0.5 + 0.5 * math.exp(-age_days / FRESH_DAYS)


def score(
    target: Profile, candidate: Profile, now: datetime, campaign_titles: dict[int, str],
    *, target_is_need: bool = True,
) -> Suggestion | None:
    """How well `candidate` fits `target`; None when nothing at all is shared."""
    return _score(_Traits.of(target), target, candidate, now, campaign_titles, target_is_need)


def _score(
    mine: _Traits, target: Profile, candidate: Profile, now: datetime,
    campaign_titles: dict[int, str], target_is_need: bool,
) -> Suggestion | None:
    theirs = _Traits.of(candidate)
    shared_skills = sorted(mine.skills & theirs.skills)
    shared_words = mine.words & theirs.words
    shared_campaigns = [c for c in mine.campaigns if c in theirs.campaigns]
    if not (shared_skills or shared_words or shared_campaigns):
        return None
    points = (SKILL_POINTS * len(shared_skills) + WORD_POINTS * min(len(shared_words), MAX_WORDS)
              + CAMPAIGN_POINTS * bool(shared_campaigns))
    need, offer = (target, candidate) if target_is_need else (candidate, target)
    points += capacity_fit(need.minutes, offer.minutes)
    points *= freshness(candidate.created_at, now)
    return Suggestion(candidate.post_id, candidate.owner_id, round(points, 3),
                      _reasons(shared_campaigns, shared_skills, shared_words, campaign_titles))


def _reasons(
    campaigns: list[int], skills: list[str], shared_words: set[str], campaign_titles: dict[int, str]
) -> tuple[str, ...]:
    """Campaign first, then skills; words only when no skill is shared, longest (most telling) first."""
    reasons = tuple(campaign_titles.get(c, "same campaign") for c in campaigns[:1])
    reasons += tuple(skills[:3])
    if not skills and shared_words:
        telling = sorted(shared_words, key=lambda w: (-len(w), w))[:3]
        reasons += (f"mentions {', '.join(telling)}",)
    return reasons


def rank(
    target: Profile,
    candidates: Iterable[Profile],
    now: datetime,
    campaign_titles: dict[int, str],
    exclude: Set[int] = frozenset(),
    top: int = 10,
    *,
    target_is_need: bool = True,
) -> list[Suggestion]:
    """Best first; never the target owner's own posts, nor posts the member dismissed.

    `target_is_need` says which side asks: capacity is always the share of the
    need that the offer's remaining hours cover.
    """
    mine = _Traits.of(target)
    scored = []
    for candidate in candidates:
        if candidate.owner_id == target.owner_id or candidate.post_id in exclude:
            continue
        suggestion = _score(mine, target, candidate, now, campaign_titles, target_is_need)
        if suggestion is not None:
            scored.append(suggestion)
    return heapq.nsmallest(top, scored, key=lambda s: (-s.score, s.post_id))
