"""Forms and their validation: what a member fills in, checked before the core sees it."""
