"""The Slack front end: Bolt on our aiohttp server, rendering the neutral views as Block Kit."""
