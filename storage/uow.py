"""The unit of work: one session, the repositories over it, and error translation."""

from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import TransientConflict
from storage import repositories as repos
from storage.broadcast_repo import BroadcastRepo
from storage.channel_store import ChannelLinkRepo
from storage.nudge_store import NudgeRepo
from storage.outbox_store import OutboxRepo

# PostgreSQL: serialization failure, deadlock, unique violation (a concurrent twin won).
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class SqlUnitOfWork:
    """Rolls back unless committed; lost races surface as `TransientConflict`."""

    def __init__(self, session: AsyncSession, locking: bool) -> None:
        self.session = session
        self.members = repos.MemberRepo(session, locking)
        self.accounts = repos.AccountRepo(session, locking)
        self.transfers = repos.TransferRepo(session, locking)
        self.needs = repos.NeedRepo(session, locking)
        self.offers = repos.OfferRepo(session, locking)
        self.exchanges = repos.ExchangeRepo(session, locking)
        self.campaigns = repos.CampaignRepo(session, locking)
        self.organisations = repos.OrganisationRepo(session, locking)
        self.dismissals = repos.DismissalRepo(session, locking)
        self.broadcasts = BroadcastRepo(session, locking)
        self.outbox = OutboxRepo(session, locking)
        self.nudges = NudgeRepo(session, locking)
        self.channels = ChannelLinkRepo(session, locking)

    async def __aenter__(self) -> "SqlUnitOfWork":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.expunge_all()  # results stay readable after the session ends
            await self.session.rollback()
        finally:
            await self.session.close()
        if error is not None and is_retryable(error):
            raise TransientConflict(str(error)) from error

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()


def is_retryable(error: BaseException) -> bool:
    """A race another transaction won: safe to run the whole use case again."""
    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in RETRYABLE_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text
