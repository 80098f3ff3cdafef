"""The scheduler's intervals: a plain dataclass, filled from HEXITIME_SCHEDULER_* by `bot.config`."""

from dataclasses import dataclass, fields

ENV_PREFIX = "HEXITIME_SCHEDULER_"


@dataclass(frozen=True)
class SchedulerSettings:
    """Intervals in seconds; each can be set as HEXITIME_SCHEDULER_<NAME>, e.g. HEXITIME_SCHEDULER_LEASE_TTL."""

    lease_ttl: float = 30.0
    renew_every: float = 10.0
    deliver_every: float = 1.0
    broadcast_every: float = 2.0
    expire_every: float = 60.0
    confirm_every: float = 60.0
    nudge_every: float = 300.0
    digest_every: float = 3600.0
    stop_grace: float = 5.0
    batch: int = 100

    def __post_init__(self) -> None:
        for item in fields(self):
            if not getattr(self, item.name) > 0:
                raise ValueError(positive_message(item.name))
        if self.renew_every >= self.lease_ttl * 2 / 3:
            raise ValueError(f"{ENV_PREFIX}RENEW_EVERY must be under two thirds of {ENV_PREFIX}LEASE_TTL")


def positive_message(name: str) -> str:
    """What a setting that is not above zero is told, naming its variable."""
    return f"{ENV_PREFIX}{name.upper()} must be a positive number"
