"""SQLAlchemy implementations of the core's repository ports."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, column, delete, func, insert, or_, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from core import matching
from core.campaigns import Campaign, Organisation, Participation
from core.exchanges import OPEN_STATES, Exchange
from core.ledger import Account, Transfer, TransferKind
from core.members import Identity, LinkCode, Member
from core.posts import Need, NeedStatus, Offer, OfferStatus
from storage import tables


class _Repo:
    """Shared plumbing: one session, `add` that flushes so ids exist at once."""

    model: type

    def __init__(self, session: AsyncSession, locking: bool) -> None:
        self.session = session
        self.locking = locking

    async def add(self, entity):
        self.session.add(entity)
        await self.session.flush()
        return entity

    async def get(self, entity_id: int, for_update: bool = False):
        if entity_id is None:
            return None
        query = select(self.model).where(self.model.id == entity_id)
        if for_update and self.locking:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_many(self, entity_ids) -> dict:
        """Several rows in one query, keyed by id; missing ids are simply absent."""
        wanted = set(entity_ids)
        if not wanted:
            return {}
        rows = await self._list(select(self.model).where(self.model.id.in_(wanted)))
        return {row.id: row for row in rows}

    async def _list(self, query) -> list:
        return list((await self.session.execute(query)).scalars())


class MemberRepo(_Repo):
    model = Member

    async def by_identity(self, platform: str, workspace_id: str, user_id: str) -> Member | None:
        query = select(Member).join(tables.identities, tables.identities.c.member_id == Member.id).where(
            tables.identities.c.platform == platform,
            tables.identities.c.workspace_id == workspace_id,
            tables.identities.c.user_id == user_id,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_name(self, name: str) -> list[Member]:
        query = select(Member).where(
            func.lower(Member.display_name) == name.strip().lower(), Member.forgotten_at.is_(None)
        )
        return await self._list(query.order_by(Member.id))

    async def add_identity(self, identity: Identity) -> Identity:
        return await self.add(identity)

    async def identities(self, member_id: int) -> list[Identity]:
        return await self._list(select(Identity).where(Identity.member_id == member_id).order_by(Identity.id))

    async def remove_identity(self, identity: Identity) -> None:
        await self.session.delete(identity)
        await self.session.flush()

    async def add_link_code(self, code: LinkCode) -> LinkCode:
        return await self.add(code)

    async def link_code(self, code: str) -> LinkCode | None:
        query = select(LinkCode).where(LinkCode.code == code)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def with_role(self, role: str) -> list[Member]:
        return await self._list(select(Member).where(Member.role == role).order_by(Member.id))

    async def count_by_sector(self, member_ids: Sequence[int] | None) -> dict[str, int]:
        query = select(Member.sector, func.count()).where(Member.forgotten_at.is_(None))
        if member_ids is not None:
            query = query.where(Member.id.in_(member_ids))
        rows = await self.session.execute(query.group_by(Member.sector))
        return {sector: count for sector, count in rows}


class AccountRepo(_Repo):
    model = Account

    async def of_owner(self, kind: str, owner_id: int) -> Account | None:
        query = select(Account).where(Account.kind == kind, Account.owner_id == owner_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def lock(self, account_ids: Sequence[int]) -> dict[int, Account]:
        """Rows locked in id order, so two transfers never wait on each other in a circle."""
        query = select(Account).where(Account.id.in_(sorted(set(account_ids)))).order_by(Account.id)
        if self.locking:
            query = query.with_for_update()
        query = query.execution_options(populate_existing=True)
        return {account.id: account for account in await self._list(query)}

    async def all(self) -> list[Account]:
        return await self._list(select(Account).order_by(Account.id))


class TransferRepo(_Repo):
    model = Transfer

    async def by_key(self, key: str) -> Transfer | None:
        return (await self.session.execute(select(Transfer).where(Transfer.key == key))).scalar_one_or_none()

    async def resolution_of(self, pending_id: int) -> Transfer | None:
        query = select(Transfer).where(Transfer.pending_id == pending_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def reversal_of(self, transfer_id: int) -> Transfer | None:
        query = select(Transfer).where(Transfer.reverses_id == transfer_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def posted_for(self, account_id: int, limit: int, before_id: int | None) -> list[Transfer]:
        query = select(Transfer).where(
            Transfer.kind.in_([TransferKind.SINGLE, TransferKind.POST]),
            Transfer.amount > 0,
            or_(Transfer.debit_account_id == account_id, Transfer.credit_account_id == account_id),
        )
        if before_id is not None:
            query = query.where(Transfer.id < before_id)
        return await self._list(query.order_by(Transfer.id.desc()).limit(limit))


class _PostRepo(_Repo):
    """Needs and offers share client keys and the term index."""

    kind: str

    async def by_client_key(self, owner_id: int, key: str):
        query = select(self.model).where(self.model.owner_id == owner_id, self.model.client_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def index_terms(self, post, terms: Sequence[str]) -> None:
        """Replace the post's terms; long words cut to the column may meet, so each is kept once."""
        await self.session.execute(
            delete(tables.post_terms).where(
                tables.post_terms.c.kind == self.kind, tables.post_terms.c.post_id == post.id
            )
        )
        kept = dict.fromkeys(t[:80] for t in terms)
        if kept:
            rows = [{"kind": self.kind, "term": t, "post_id": post.id, "weight": _weight(t)} for t in kept]
            await self.session.execute(insert(tables.post_terms), rows)

    async def _hits(self, terms: Sequence[str], top: int | None, budget: int = 12_000,
                    most_words: int = 12):
        """Posts sharing `terms`, pre-ranked as `matching.score` counts, from at most `budget` index rows.

        Rare terms are read whole; common ones (a word on half the posts) only for their newest
        posts, a skill three times as many as a word (`matching.read_limits`), so a query costs
        about the same at 100,000 posts as at 10,000 and a common skill still brings its
        freshest holders. Only the `most_words` rarest words count: the score stops at a handful.
        `top` keeps only the best, so the join with the posts stays small. None: nothing shares.
        Plain SQL, as its shape changes with every post and building it must cost nothing.
        """
        wanted = list(dict.fromkeys(t[:80] for t in terms))
        if not wanted:
            return None
        cap = 2 * budget // len(wanted) + 1  # enough to tell rare from common
        counts = " , ".join(
            f"(SELECT count(*) FROM (SELECT 1 FROM post_terms WHERE kind = :pt_kind AND term = :pt_{i} "
            f"LIMIT :pt_cap) AS c{i}) AS n{i}" for i in range(len(wanted))
        )
        binds = {f"pt_{i}": t for i, t in enumerate(wanted)}
        sizes = (await self.session.execute(
            sql(f"SELECT {counts}").bindparams(pt_kind=self.kind, pt_cap=cap, **binds)
        )).one()
        found = sorted((n, t) for t, n in zip(wanted, sizes, strict=True) if n)
        kept = [(n, t) for n, t in found if not t.startswith("w:")]
        kept += [(n, t) for n, t in found if t.startswith("w:")][:most_words]
        if not kept:
            return None
        limits = matching.read_limits([(n if n < cap else None, matching.term_points(t)) for n, t in kept], budget)
        windows = " UNION ALL ".join(
            f"SELECT * FROM (SELECT post_id, {0 if t.startswith('w:') else matching.term_points(t)} AS strong, "
            f"{int(t.startswith('w:'))} AS word FROM post_terms WHERE kind = :pt_kind AND term = :pt_{i} "
            f"ORDER BY post_id DESC LIMIT :pt_limit_{i}) AS w{i}" for i, (_, t) in enumerate(kept)
        )
        query = (
            f"SELECT post_id, SUM(strong) + CASE WHEN SUM(word) > {matching.MAX_WORDS} "
            f"THEN {matching.MAX_WORDS} ELSE SUM(word) END AS hits FROM ({windows}) AS windows "
            "GROUP BY post_id" + ("" if top is None else " ORDER BY hits DESC, post_id DESC LIMIT :pt_top")
        )
        binds = {f"pt_{i}": t for i, (_, t) in enumerate(kept)}
        binds |= {f"pt_limit_{i}": n for i, n in enumerate(limits)} | ({} if top is None else {"pt_top": top})
        return (
            sql(query).bindparams(pt_kind=self.kind, **binds)
            .columns(column("post_id", Integer), column("hits", Integer)).subquery("hits")
        )

    def _filtered(self, query, owner_id, skill, text, status):
        model = self.model
        if owner_id is not None:
            query = query.where(model.owner_id == owner_id)
        if status is not None:
            query = query.where(model.status.in_([status] if isinstance(status, str) else status))
        if text:
            like = f"%{text.lower()}%"
            query = query.where(or_(func.lower(model.title).like(like), func.lower(model.description).like(like)))
        if skill:
            pt = tables.post_terms.c
            tagged = select(pt.post_id).where(pt.kind == self.kind, pt.term == f"s:{skill}")
            query = query.where(model.id.in_(tagged))
        return query


def _weight(term: str) -> int:
    return matching.term_points(term)


class NeedRepo(_PostRepo):
    model = Need
    kind = "need"

    async def search(self, owner_id=None, campaign_id=None, skill=None, text=None,
                     status=NeedStatus.OPEN, limit=20, offset=0) -> list[Need]:
        query = self._filtered(select(Need), owner_id, skill, text, status)
        if campaign_id is not None:
            query = query.where(Need.campaign_id == campaign_id)
        return await self._list(query.order_by(Need.created_at.desc(), Need.id.desc()).limit(limit).offset(offset))

    async def candidates(self, terms: Sequence[str], exclude_owner: int, limit: int) -> list[Need]:
        """Open needs sharing terms, best pre-ranked first; never the asker's own."""
        found: list[Need] = []
        for top in (4 * limit, None):  # the best few usually suffice; else every hit read
            hits = await self._hits(terms, top)
            if hits is None:
                return []
            query = (
                select(Need).join(hits, hits.c.post_id == Need.id)
                .where(Need.status == NeedStatus.OPEN, Need.owner_id != exclude_owner)
                .order_by(hits.c.hits.desc(), Need.id.desc()).limit(limit)
            )
            found = await self._list(query)
            if len(found) >= limit:
                break
        return found

    async def expired(self, now: datetime, limit: int) -> list[Need]:
        query = select(Need).where(Need.status == NeedStatus.OPEN, Need.expires_at <= now)
        return await self._list(query.order_by(Need.id).limit(limit))


class OfferRepo(_PostRepo):
    model = Offer
    kind = "offer"

    async def search(self, owner_id=None, campaign_id=None, skill=None, text=None,
                     status=OfferStatus.ACTIVE, limit=20, offset=0) -> list[Offer]:
        query = self._filtered(select(Offer), owner_id, skill, text, status)
        if campaign_id is not None:
            pt = tables.post_terms.c
            query = query.where(Offer.id.in_(select(pt.post_id).where(pt.kind == "offer", pt.term == f"c:{campaign_id}")))
        return await self._list(query.order_by(Offer.created_at.desc(), Offer.id.desc()).limit(limit).offset(offset))

    async def candidates(self, terms: Sequence[str], exclude_owner: int, limit: int) -> list[Offer]:
        """Active offers with hours left sharing terms, best pre-ranked first; never the asker's own."""
        found: list[Offer] = []
        for top in (4 * limit, None):  # the best few usually suffice; else every hit read
            hits = await self._hits(terms, top)
            if hits is None:
                return []
            query = (
                select(Offer).join(hits, hits.c.post_id == Offer.id)
                .where(Offer.status == OfferStatus.ACTIVE, Offer.owner_id != exclude_owner,
                       Offer.minutes > Offer.minutes_committed)
                .order_by(hits.c.hits.desc(), Offer.id.desc()).limit(limit)
            )
            found = await self._list(query)
            if len(found) >= limit:
                break
        return found


class ExchangeRepo(_Repo):
    model = Exchange

    async def by_client_key(self, member_id: int, key: str) -> Exchange | None:
        query = select(Exchange).where(Exchange.proposed_by == member_id, Exchange.client_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_member(self, member_id: int, open_only: bool) -> list[Exchange]:
        query = select(Exchange).where(or_(Exchange.requester_id == member_id, Exchange.helper_id == member_id))
        if open_only:
            query = query.where(Exchange.state.in_(OPEN_STATES))
        return await self._list(query.order_by(Exchange.updated_at.desc(), Exchange.id.desc()))

    async def open_for(self, need_id, offer_id, helper_id, requester_id) -> Exchange | None:
        query = select(Exchange).where(
            Exchange.state.in_(OPEN_STATES), Exchange.helper_id == helper_id,
            Exchange.requester_id == requester_id,
            Exchange.need_id.is_(None) if need_id is None else Exchange.need_id == need_id,
            Exchange.offer_id.is_(None) if offer_id is None else Exchange.offer_id == offer_id,
        )
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def for_campaign(self, campaign_id: int | None) -> list[Exchange]:
        query = select(Exchange)
        if campaign_id is not None:
            query = query.where(Exchange.campaign_id == campaign_id)
        return await self._list(query.order_by(Exchange.id))


class CampaignRepo(_Repo):
    model = Campaign

    async def by_slug(self, slug: str) -> Campaign | None:
        return (await self.session.execute(select(Campaign).where(Campaign.slug == slug))).scalar_one_or_none()

    async def all(self) -> list[Campaign]:
        return await self._list(select(Campaign).order_by(Campaign.id))

    async def participation(self, campaign_id: int, member_id: int) -> Participation | None:
        query = select(Participation).where(
            Participation.campaign_id == campaign_id, Participation.member_id == member_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_participation(self, participation: Participation) -> Participation:
        return await self.add(participation)

    async def remove_participation(self, participation: Participation) -> None:
        await self.session.delete(participation)
        await self.session.flush()

    async def participants(self, campaign_id: int) -> list[Participation]:
        query = select(Participation).where(Participation.campaign_id == campaign_id)
        return await self._list(query.order_by(Participation.id))

    async def of_member(self, member_id: int) -> list[Participation]:
        query = select(Participation).where(Participation.member_id == member_id)
        return await self._list(query.order_by(Participation.campaign_id))


class OrganisationRepo(_Repo):
    model = Organisation

    async def by_slug(self, slug: str) -> Organisation | None:
        query = select(Organisation).where(Organisation.slug == slug)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def all(self) -> list[Organisation]:
        return await self._list(select(Organisation).order_by(Organisation.id))


class DismissalRepo(_Repo):
    async def add(self, member_id: int, kind: str, post_id: int) -> None:
        if post_id not in await self.of_member(member_id, kind):
            await self.session.execute(
                insert(tables.dismissals).values(member_id=member_id, kind=kind, post_id=post_id)
            )

    async def of_member(self, member_id: int, kind: str) -> set[int]:
        d = tables.dismissals.c
        rows = await self.session.execute(select(d.post_id).where(d.member_id == member_id, d.kind == kind))
        return {post_id for (post_id,) in rows}
