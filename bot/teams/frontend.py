"""The Teams composition point: bootstrap calls `install(services)`; only here does Teams meet storage."""

from aiohttp import web

from bot.bootstrap import Services
from bot.teams.adapter import ROUTE, announce, make_adapter, message_route
from bot.teams.bot import HexitimeBot
from bot.teams.delivery import TeamsSender
from bot.teams.files import TeamsFiles
from bot.teams.present import Presenter
from bot.teams.references import References
from storage.teams_files import FileOfferStore
from storage.teams_store import TeamsStore


class TeamsFrontEnd:
    """Everything the Teams front end built, for the server, tests and benchmarks."""

    def __init__(self, services: Services) -> None:
        settings = self.settings = services.settings
        self.adapter = make_adapter(settings)
        self.references = References(TeamsStore(services.db), services.clock)
        self.sender = TeamsSender(self.adapter, settings.microsoft_app_id or "", self.references)
        self.files = TeamsFiles(FileOfferStore(services.db), self.references, self.adapter,
                                settings.microsoft_app_id or "")
        self.bot = HexitimeBot(services.conversation, self.references, Presenter(self.sender, self.files))
        self.handle = message_route(self.adapter, self.bot.on_turn)

    def mount(self, app: web.Application) -> None:
        """Serve the route; said here, not at start, so a worker (which sends but serves nothing) stays quiet."""
        app.router.add_post(ROUTE, self.handle)
        announce(self.settings)


def install(services: Services) -> TeamsFrontEnd:
    """Add POST /api/messages to the server and the Teams sender to the notifier."""
    front_end = TeamsFrontEnd(services)
    services.mounts.append(front_end.mount)
    services.notifier.senders[TeamsSender.platform] = front_end.sender
    return front_end
