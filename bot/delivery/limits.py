"""Per-key send rates (Slack workspace and channel, Teams tenant and conversation), shared in a process.

The defaults are DESIGN.md's numbers: Slack about 1 message a second per channel
plus a workspace-wide rate; Teams 7 a second per conversation and about 50 a
second per tenant. Each is a setting (`HEXITIME_DELIVERY_*`, see `from_settings`).
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from core.channels import ChannelLink
from core.members import Identity

Key = tuple[str, ...]


@dataclass(frozen=True)
class DeliveryLimits:
    """Messages per second for each rate-limit key, how many sends a process runs at once, and the claim lease."""

    slack_channel_per_second: float = 1.0
    slack_workspace_per_second: float = 10.0
    teams_conversation_per_second: float = 7.0
    teams_tenant_per_second: float = 50.0
    concurrency: int = 32
    lease_seconds: float = 300.0
    kick_lease_seconds: float = 60.0
    kick_limit: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> "DeliveryLimits":
        """Settings fields named `delivery_<field>` (env `HEXITIME_DELIVERY_<FIELD>`) override defaults."""
        found = {f.name: getattr(settings, f"delivery_{f.name}", None) for f in fields(cls)}
        return cls(**{name: value for name, value in found.items() if value is not None})

    def rates(self, identity: Identity) -> list[tuple[Key, float]]:
        """The keys a direct message to this identity counts against, with their rates."""
        return self._rates(identity.platform, identity.workspace_id, identity.user_id)

    def channel_rates(self, link: ChannelLink) -> list[tuple[Key, float]]:
        """A campaign channel's post counts against its workspace (or tenant) and the channel itself."""
        return self._rates(link.platform, link.workspace_id, link.channel_id)

    def throttled(self, platform: str, rates: list[tuple[Key, float]]) -> list[tuple[Key, float]]:
        """What a 429 pauses: Slack's method limits are per workspace; Teams throttles one conversation."""
        return rates if platform == "slack" else rates[-1:]

    def _rates(self, platform: str, where: str, conversation: str) -> list[tuple[Key, float]]:
        if platform == "slack":
            return [(("slack", where), self.slack_workspace_per_second),
                    (("slack", where, conversation), self.slack_channel_per_second)]
        if platform == "teams":
            return [(("teams", where), self.teams_tenant_per_second),
                    (("teams", where, conversation), self.teams_conversation_per_second)]
        return []


class Limiter:
    """Spaces sends evenly per key: a send goes when every key it counts against is free, and takes them all.

    A send waiting for its own busy DM channel holds nothing, so the workspace's
    capacity goes to other channels meanwhile; sends on different keys go at once.
    Sends waiting for the same key queue in turn and wake one interval apart, not
    all together each time the key frees (thousands of broadcast rows wait at once).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.free_at: dict[Key, float] = {}
        self.waiting: dict[Key, list[object]] = {}

    def take(self, rates: list[tuple[Key, float]]) -> float:
        """0 when every key is free (and now taken); otherwise how long until the busiest one frees."""
        now = self.clock()
        ready = max([now, *(self.free_at.get(key, now) for key, _ in rates)])
        if ready > now:
            return ready - now
        for key, per_second in rates:
            if per_second > 0:
                self.free_at[key] = now + 1.0 / per_second
        return 0.0

    async def acquire(self, rates: list[tuple[Key, float]]) -> None:
        wait = self.take(rates)
        if wait <= 0:
            return
        key, per_second = max(rates, key=lambda rate: self.free_at.get(rate[0], 0.0))
        line, me = self.waiting.setdefault(key, []), object()
        line.append(me)
        try:
            while wait > 0:
                ahead = line.index(me)
                await asyncio.sleep(wait + (ahead / per_second if per_second > 0 else 0.0))
                wait = self.take(rates)
        finally:
            line.remove(me)
            if not line:
                del self.waiting[key]

    def pause(self, rates: list[tuple[Key, float]], seconds: float) -> None:
        """The platform said 429: nothing more on these keys for `seconds`."""
        until = self.clock() + seconds
        for key, _ in rates:
            self.free_at[key] = max(self.free_at.get(key, until), until)
