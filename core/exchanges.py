"""The exchange lifecycle as a state machine: who may take which step, and when."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import InvalidState, NotAllowed, NotFound


class State(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    LOGGED = "logged"
    DISPUTED = "disputed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN_STATES = (State.PROPOSED, State.ACCEPTED, State.LOGGED, State.DISPUTED)
DONE_WORDS = {
    State.CONFIRMED: "confirmed",
    State.DECLINED: "declined",
    State.CANCELLED: "cancelled",
    State.EXPIRED: "expired",
}


@dataclass(kw_only=True, eq=False)
class Exchange:
    """An agreement that `helper` gives `requester` some minutes of help."""

    requester_id: int
    helper_id: int
    proposed_by: int
    minutes: int
    need_id: int | None = None
    offer_id: int | None = None
    campaign_id: int | None = None
    state: str = State.PROPOSED
    note: str = ""
    hold_transfer_id: int | None = None
    logged_minutes: int | None = None
    logged_by: int | None = None
    logged_at: datetime | None = None
    posted_minutes: int | None = None
    session_on: datetime | None = None
    dispute_reason: str = ""
    resolved_by: int | None = None
    requester_thanks: str = ""
    helper_thanks: str = ""
    client_key: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    id: int | None = None

    def is_party(self, member_id: int) -> bool:
        return member_id in (self.requester_id, self.helper_id)

    def other_party(self, member_id: int) -> int:
        return self.helper_id if member_id == self.requester_id else self.requester_id

    def awaiting(self) -> int | None:
        """The member whose move it is, if anyone's."""
        if self.state == State.PROPOSED:
            return self.other_party(self.proposed_by)
        if self.state == State.LOGGED and self.logged_by is not None:
            return self.other_party(self.logged_by)
        if self.state == State.ACCEPTED:
            return None
        return None


HOLD_MARGIN = timedelta(hours=1)
"""How long before its hold runs out a log nobody answered is confirmed: the ledger posts no hold after its expiry."""


def confirm_due(exchange: Exchange, deadline: timedelta, hold_expires_at: datetime | None) -> datetime:
    """When a log nobody answered counts as confirmed: at the deadline, or just before the hold runs out if sooner."""
    due = exchange.logged_at + deadline
    return due if hold_expires_at is None else min(due, hold_expires_at - HOLD_MARGIN)


def require_party(exchange: Exchange | None, member_id: int) -> Exchange:
    """Someone else's exchange looks exactly like an unknown one: nothing leaks."""
    if exchange is None or not exchange.is_party(member_id):
        raise NotFound("I can't find that exchange among yours. Try `exchanges` to list them.")
    return exchange


def require_state(exchange: Exchange, *allowed: State, when: datetime | None = None) -> None:
    """Refuse a step that does not apply, saying what happened instead."""
    if exchange.state in allowed:
        return
    if exchange.state in DONE_WORDS:
        stamp = f" on {_day(exchange.closed_at)}" if exchange.closed_at else ""
        raise InvalidState(f"This exchange was already {DONE_WORDS[exchange.state]}{stamp}.")
    if State.PROPOSED in allowed:
        raise InvalidState("This exchange was already accepted; the hours are held.")
    raise InvalidState(_why_not(exchange))


def require_counterpart(exchange: Exchange, member_id: int, of: int | None, action: str) -> None:
    """Steps that answer someone are for the other party only."""
    if of is not None and member_id == of:
        raise NotAllowed(f"You can't {action} your own step; the other member needs to.")


def _why_not(exchange: Exchange) -> str:
    return {
        State.PROPOSED: "This exchange hasn't been accepted yet.",
        State.ACCEPTED: "No hours have been logged for this exchange yet.",
        State.LOGGED: "Hours are logged and waiting for confirmation.",
        State.DISPUTED: "This exchange is in dispute; a campaign lead or admin will resolve it.",
    }.get(State(exchange.state), "That step doesn't apply to this exchange now.")


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"


def missing(kind: str) -> NotFound:
    """A uniform message for unknown ids."""
    return NotFound(f"I can't find that {kind}. Check the number and try again.")
