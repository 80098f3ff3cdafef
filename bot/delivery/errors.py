"""How a platform sender says a message did not go, and whether trying again can help."""


class DeliveryError(Exception):
    """A send that failed: retry after `retry_after` seconds, later with back-off, or never.

    `permanent`: the message itself can't be sent (bad token, rejected content): don't retry.
    `unreachable`: the member can't be messaged there (user gone, bot removed or not installed).
    """

    def __init__(self, reason: str, retry_after: float | None = None,
                 permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent
        self.unreachable = unreachable
