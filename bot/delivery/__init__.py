"""Delivery of the outbox: claim due rows, send them under the platforms' rate limits, record outcomes."""
