"""The terminal front end: the same conversation as Slack and Teams, as text and numbered choices."""
