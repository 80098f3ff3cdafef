"""Microsoft Teams front end: botbuilder plumbing, Adaptive Card rendering, proactive delivery.

Only this package knows botbuilder, so a move to the Microsoft 365 Agents SDK touches nothing else.
"""
