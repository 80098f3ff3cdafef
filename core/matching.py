"""Ranking offers for a need and needs for an offer, with the reasons shown to members.

Candidates come from storage by shared terms (an inverted index); this module
decides the terms and the order, so both directions rank the same way.
"""

import math
import re
from collections.abc import Iterable, Sequence
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


def normalise_skill(skill: str) -> str:
    """Lower-case, single spaces, common synonyms folded onto one tag."""
    tag = " ".join(skill.lower().replace("_", " ").split())
    return SYNONYMS.get(tag, tag)


def words(text: str) -> set[str]:
    """Meaningful words of free text, crudely stemmed so plurals meet singulars."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in STOPWORDS:
            continue
        found.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return found


def terms(title: str, description: str, skills: Iterable[str], campaign_ids: Iterable[int]) -> list[str]:
    """The index terms of a post: `s:` skills, `w:` words, `c:` campaigns."""
    found = {f"s:{normalise_skill(skill)}" for skill in skills}
    found |= {f"w:{word}" for word in words(f"{title} {description}")}
    found |= {f"c:{cid}" for cid in campaign_ids}
    return sorted(found)


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


def score(
    target: Profile, candidate: Profile, now: datetime, campaign_titles: dict[int, str]
) -> Suggestion | None:
    """How well `candidate` fits `target`; None when nothing at all is shared."""
    shared_skills = sorted(
        {normalise_skill(s) for s in target.skills} & {normalise_skill(s) for s in candidate.skills}
    )
    shared_words = words(f"{target.title} {target.description}") & words(
        f"{candidate.title} {candidate.description}"
    )
    shared_campaigns = [c for c in target.campaign_ids if c in set(candidate.campaign_ids)]
    if not (shared_skills or shared_words or shared_campaigns):
        return None
    points = 3.0 * len(shared_skills) + min(len(shared_words), 5) * 1.0 + 2.0 * bool(shared_campaigns)
    points += 1.0 if candidate.minutes >= target.minutes else 0.5 * candidate.minutes / max(target.minutes, 1)
    age_days = max((now - candidate.created_at).total_seconds() / 86400, 0)
    points *= 0.5 + 0.5 * math.exp(-age_days / 30)
    reasons = tuple(campaign_titles.get(c, "same campaign") for c in shared_campaigns[:1])
    reasons += tuple(shared_skills[:3])
    if not shared_skills and shared_words:
        reasons += (f"mentions {', '.join(sorted(shared_words)[:3])}",)
    return Suggestion(candidate.post_id, candidate.owner_id, round(points, 3), reasons)


def rank(
    target: Profile,
    candidates: Iterable[Profile],
    now: datetime,
    campaign_titles: dict[int, str],
    exclude: set[int] = frozenset(),
    top: int = 10,
) -> list[Suggestion]:
    """Best first; never the target owner's own posts, nor posts the member dismissed."""
    scored = []
    for candidate in candidates:
        if candidate.owner_id == target.owner_id or candidate.post_id in exclude:
            continue
        suggestion = score(target, candidate, now, campaign_titles)
        if suggestion is not None:
            scored.append(suggestion)
    scored.sort(key=lambda s: (-s.score, s.post_id))
    return scored[:top]
