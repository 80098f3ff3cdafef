"""Scheduled work: outbox delivery, expiries, automatic confirmation, nudges and digests, one process at a time."""
