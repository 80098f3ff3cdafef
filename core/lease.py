"""Who may run the scheduled jobs: one holder of a named lease at a time, until it lapses."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Lease:
    """A named lease: `owner` may act alone until `expires_at`."""

    name: str
    owner: str
    expires_at: datetime

    def lapsed(self, now: datetime) -> bool:
        return self.expires_at <= now


def may_take(current: Lease | None, owner: str, now: datetime) -> bool:
    """Free, ours already, or lapsed: the only cases in which `owner` may (re)write the lease."""
    return current is None or current.owner == owner or current.lapsed(now)


def renewed(name: str, owner: str, now: datetime, ttl: timedelta) -> Lease:
    """The lease `owner` writes when it takes or renews it."""
    if ttl <= timedelta(0):
        raise ValueError("a lease needs a positive time to live")
    return Lease(name=name, owner=owner, expires_at=now + ttl)
