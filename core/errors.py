"""Domain errors: each carries a message fit to show to the member who caused it."""


class DomainError(Exception):
    """Base of every refusal the time bank gives; `message` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """An id that does not exist, or that the member may not see."""


class NotAllowed(DomainError):
    """The member may not take this action."""


class InvalidState(DomainError):
    """The action does not apply to the thing as it is now."""


class InvalidInput(DomainError):
    """A value the member typed is not acceptable; the message shows a valid example."""


class LimitExceeded(DomainError):
    """The transfer would take an account past its credit limit."""


class IdempotencyConflict(DomainError):
    """The same idempotency key was used for different content."""


class TransientConflict(Exception):
    """A concurrent writer got there first; the whole unit of work may be retried."""
