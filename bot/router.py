"""Command words, button actions and form submissions → the handler for each."""

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.turns import Request
from bot.views import Reply

Handler = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    """A command word with its help; `lead`/`admin` commands are listed only to them."""

    name: str
    handler: Handler
    summary: str
    usage: str
    details: str = ""
    aliases: tuple[str, ...] = ()
    audience: str = "member"


class Router:
    """Tables, not if-chains: each handler module registers what it answers."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.words: dict[str, Command] = {}
        self.actions: dict[str, Handler] = {}
        self.forms: dict[str, Handler] = {}

    def command(self, name: str, summary: str, usage: str = "", details: str = "",
                aliases: tuple[str, ...] = (), audience: str = "member"):
        def register(handler: Handler) -> Handler:
            entry = Command(name, handler, summary, usage or name, details, aliases, audience)
            self.commands[name] = entry
            for word in (name, *aliases):
                if word in self.words:
                    raise ValueError(f"command word {word!r} registered twice")
                self.words[word] = entry
            return handler
        return register

    def action(self, *action_ids: str):
        def register(handler: Handler) -> Handler:
            for action_id in action_ids:
                self.actions[action_id] = handler
            return handler
        return register

    def form(self, *form_ids: str):
        def register(handler: Handler) -> Handler:
            for form_id in form_ids:
                self.forms[form_id] = handler
            return handler
        return register

    def lookup(self, word: str) -> Command | None:
        return self.words.get(word.lower())

    def nearest(self, word: str) -> str | None:
        """For "did you mean `offer`?"."""
        found = difflib.get_close_matches(word.lower(), list(self.words), n=1, cutoff=0.6)
        return self.words[found[0]].name if found else None


def split_command(text: str) -> tuple[str, str]:
    """`need Help with compost` → ("need", "Help with compost"); `forget me` stays two words."""
    stripped = (text or "").strip()
    if not stripped:
        return "help", ""
    word, _, rest = stripped.partition(" ")
    return word.lower().lstrip("/"), rest.strip()
