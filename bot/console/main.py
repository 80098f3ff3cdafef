"""`hexitime console`: the terminal front end's entry point, with line editing and history."""

import getpass
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bot.console import demo as demo_data
from bot.console import render
from bot.console.session import PLATFORM, ConsoleSender, ConsoleSession, display

HISTORY = Path("~/.hexitime_history").expanduser()
HISTORY_LENGTH = 1000

DEMO_PATH = (
    "Demo data is ready: Alice (NHS), Bob (a charity) and Chen (a company), with needs and",
    "offers in the four green campaigns. Trade some hours in a minute:",
    "  1. As Alice: `matches need 1`, then type the number shown beside Propose on Bob's offer.",
    "  2. `as bob`: his new messages show; type the number beside Accept.",
    "  3. After the session, still as Bob: the number beside Log hours, then Enter (or `log 1 1h30`).",
    "  4. `as alice`: the number beside Confirm (or `confirm 1`).",
    "  5. `balance`, as each of you: the hours have moved. `help` shows everything else.",
)


async def run(services: Any, as_name: str | None, demo: bool) -> int:
    """Talk to the bot as one member (or several, in turn) until `quit` or Ctrl-D."""
    sender = ConsoleSender()
    services.notifier.senders[PLATFORM] = sender
    if demo:
        await demo_data.seed(services.bank)
    name = as_name or ("alice" if demo else _os_user())
    interactive, ctrl_c = sys.stdin.isatty(), CtrlC()
    read = _reader(echo=not interactive, ctrl_c=ctrl_c)
    session = ConsoleSession(services.conversation, sender, name, read, _write)
    for text in banner(session.name, demo):
        _write(text)
    with _history(interactive), _one_line_errors(services.settings.log_level), ctrl_c.installed():
        return await session.run()


def banner(name: str, demo: bool) -> list[str]:
    other = "Bob" if name.lower() != "bob" else "Alice"
    lines = [
        "Hexitime console: a time bank in your terminal.",
        f"You are {name}. Type `help` to see what I can do; a number presses a button; `quit` leaves.",
        f"Type `as {other}` to play the other member.",
    ]
    if demo:
        lines += ["", *DEMO_PATH]
    return lines + [""]


def _os_user() -> str:
    try:
        return display(getpass.getuser()) or "you"
    except Exception:
        return "you"


def _write(text: str) -> None:
    print(text, flush=True)


def _reader(echo: bool, ctrl_c: "CtrlC"):
    """`input()` that Ctrl-C interrupts; echoes piped lines so a transcript reads well."""

    def read(prompt: str) -> str:
        with ctrl_c.at_prompt():
            typed = input(prompt)
        if echo:
            print(render.inert(typed), flush=True)
        return typed

    return read


class CtrlC:
    """At the prompt Ctrl-C cancels the line or form; while a turn runs, a second press stops."""

    def __init__(self) -> None:
        self.pressed = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = _set_sigint(self._during_turn)
        try:
            yield
        finally:
            _set_sigint(previous)

    @contextmanager
    def at_prompt(self) -> Iterator[None]:
        self.pressed = 0
        previous = _set_sigint(signal.default_int_handler)
        try:
            yield
        finally:
            _set_sigint(previous)

    def _during_turn(self, *_: Any) -> None:
        self.pressed += 1
        if self.pressed == 1:
            _write("\n(still working; press Ctrl-C again to stop the console)")
            return
        _write("\nStopped.")
        raise SystemExit(130)


def _set_sigint(handler: Any) -> Any:
    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        return handler


@contextmanager
def _history(interactive: bool) -> Iterator[None]:
    """Line editing and ~/.hexitime_history, where readline exists and a person is typing."""
    readline = None
    if interactive:
        with suppress(ImportError):
            import readline
        with suppress(Exception):
            readline.set_history_length(HISTORY_LENGTH)
            readline.read_history_file(HISTORY)
    try:
        yield
    finally:
        if readline is not None:
            with suppress(Exception):
                readline.write_history_file(HISTORY)


class _NoTraceback(logging.Filter):
    """Keeps a failure to one log line: the console never shows a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


@contextmanager
def _one_line_errors(level: str) -> Iterator[None]:
    if level == "DEBUG":
        yield
        return
    handlers = list(logging.getLogger().handlers)
    saved = [h.level for h in handlers]
    quiet = _NoTraceback()
    for handler in handlers:
        handler.addFilter(quiet)
        handler.setLevel(max(handler.level, logging.WARNING))
    try:
        yield
    finally:
        for handler, before in zip(handlers, saved, strict=True):
            handler.removeFilter(quiet)
            handler.setLevel(before)
