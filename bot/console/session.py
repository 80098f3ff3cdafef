"""One terminal for any number of members: typed lines become turns, replies become text."""

import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from bot import views
from bot.console import render
from bot.console.forms import FormFiller, is_yes
from bot.conversation import SORRY, Conversation
from bot.router import split_command
from bot.turns import Turn
from bot.views import Button, Message, Reply
from core.members import Identity, Member
from core.ports import Context

log = logging.getLogger(__name__)
PLATFORM, WORKSPACE = "console", "local"
QUIT = {"quit", "exit", "bye", ":q"}
SWITCH = {"as", "switch"}
TIPS = ("In this console: a number presses that button, `as NAME` plays another member "
        "(e.g. `as bob`), `quit` or Ctrl-D leaves, Ctrl-C cancels a form.")

Read = Callable[[str], str]
Write = Callable[[str], None]


class ConsoleSender:
    """The console's `Sender`: notices wait in their member's inbox until the room sees them."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.inbox: dict[str, list[Message]] = defaultdict(list)
        self.fresh: list[tuple[str, Message]] = []
        self.sent = 0

    async def send(self, identity: Identity, message: Message, *, refresh_home: bool = False) -> str:
        self.inbox[identity.user_id].append(message)
        self.fresh.append((identity.user_id, message))
        self.sent += 1
        return f"console-{self.sent}"

    async def update(self, identity: Identity, message_id: str, message: Message) -> None:
        """A terminal can't redraw an old message: the new version arrives as a message of its own."""
        await self.send(identity, message)


def user_id(name: str) -> str:
    """The console identity of a name: `Bob`, `bob` and ` BOB ` are the same member."""
    return " ".join(name.split()).lower()[:40]


def display(name: str) -> str:
    cleaned = " ".join(name.split())[:40]
    return cleaned.title() if cleaned.islower() else cleaned


class ConsoleSession:
    """Holds who is playing and which numbered buttons are on screen; drives the conversation."""

    def __init__(self, conversation: Conversation, sender: ConsoleSender, name: str,
                 read: Read, write: Write, folder: Path | None = None) -> None:
        self.conversation = conversation
        self.sender = sender
        self.read = read
        self.write = write
        self.folder = folder or Path.cwd()
        self.forms = FormFiller(read, write)
        self.choices: list[Button] = []
        self.user_id, self.name = user_id(name), display(name)

    @property
    def prompt(self) -> str:
        return f"{render.line(self.name)}> "

    async def run(self) -> int:
        """Read, answer, repeat, until `quit` or end of input; returns the exit code."""
        while True:
            try:
                typed = self.read(self.prompt)
                if not await self.handle_line(typed):
                    break
            except KeyboardInterrupt:
                self.write("\n(cancelled)")
            except EOFError:
                self.write("")
                break
        self.write("Bye.")
        return 0

    async def handle_line(self, typed: str) -> bool:
        """One line from the keyboard; False when the member wants to leave."""
        words = typed.split()
        if not words:
            return True
        first = words[0].lower()
        if first in QUIT and len(words) == 1:
            return False
        try:
            if first in SWITCH:
                await self.switch(" ".join(words[1:]))
            elif typed.strip().isdigit():
                await self.press(int(typed.strip()))
            else:
                await self.command(typed)
        except (KeyboardInterrupt, EOFError):
            raise
        except Exception:
            log.debug("console line failed", exc_info=True)
            self.write(SORRY)
        return True

    async def switch(self, name: str) -> None:
        """`as bob`: play another member; their waiting messages are shown first."""
        if not name.strip():
            self.write("Who? For example: `as bob`.")
            return
        self.user_id, self.name = user_id(name), display(name)
        member = await self.conversation.bank.read(_console_member, self.user_id)
        if member is not None:
            self.name = member.display_name
        self.choices = []
        waiting = self.sender.inbox.pop(self.user_id, [])
        new = "" if member else " (new here: your first command sets you up)"
        self.write(f"You are now {render.line(self.name)}{new}.")
        if waiting:
            self.write(f"While you were away, {len(waiting)} message(s) came for you:")
        for msg in waiting:
            self._show_message(msg, fresh=False)
        self.sender.fresh = [(who, m) for who, m in self.sender.fresh if who != self.user_id]

    async def press(self, number: int) -> None:
        if not 1 <= number <= len(self.choices):
            shown = f"1 to {len(self.choices)}" if self.choices else "none right now"
            self.write(f"There's no choice {number} on screen (choices: {shown}).")
            return
        button = self.choices[number - 1]
        if button.confirm and not is_yes(self.read(f"{render.line(button.confirm)} [y/N]: ")):
            self.write("Cancelled; nothing was changed.")
            return
        await self.converse(self._turn(action=button.action, ref=button.ref))

    async def command(self, typed: str) -> None:
        word, rest = split_command(typed)
        await self.converse(self._turn(command=word, text=rest))
        if word in ("help", "?", "commands") and not rest:
            self.write("")
            self.write(TIPS)

    async def converse(self, turn: Turn) -> None:
        """Send a turn, show the reply, and fill in any form it opens until none is left."""
        reply = await self._handle(turn)
        while True:
            self.show(reply)
            if reply.form is None:
                return
            values = self.forms.fill(reply.form)
            if values is None:
                self.write("Cancelled; nothing was sent.")
                return
            reply = await self._handle(self._turn(form_id=reply.form.form_id, values=values,
                                                  ref=reply.form.ref))

    async def _handle(self, turn: Turn) -> Reply:
        try:
            return await self.conversation.handle(turn)
        except Exception:
            log.debug("console turn failed", exc_info=True)
            return views.problem(SORRY)

    def show(self, reply: Reply) -> None:
        """The reply, then a line for each member told something, then my own new messages."""
        if reply.cards or reply.message.attachment:
            self.write("")
            shown = render.message(reply.message)
            self.write("\n".join(shown.lines))
            if shown.choices or reply.replace:
                self.choices = shown.choices
        if reply.message.attachment is not None:
            self._save(reply.message.attachment)
        self._announce()

    def _show_message(self, msg: Message, fresh: bool) -> None:
        shown = render.message(msg, first=len(self.choices) + 1)
        self.write("")
        if fresh:
            self.write(f"📨 for you ({render.line(self.name)}):")
        self.write("\n".join(shown.lines))
        self.choices.extend(shown.choices)

    def _announce(self) -> None:
        fresh, self.sender.fresh = self.sender.fresh, []
        for who, msg in fresh:
            if who == self.user_id:
                self.sender.inbox[who] = [m for m in self.sender.inbox[who] if m is not msg]
                self._show_message(msg, fresh=True)
            else:
                self.write(render.notice(display(who), msg))

    def _save(self, attachment: views.Attachment) -> None:
        path = _free_path(self.folder, render.safe_filename(attachment.filename))
        try:
            path.write_bytes(attachment.content)
        except OSError as failure:
            self.write(f"Couldn't save {path.name}: {failure.strerror or failure}.")
            return
        self.write(f"Saved {path.name} ({len(attachment.content)} bytes): {path}")

    def _turn(self, **what) -> Turn:
        return Turn(platform=PLATFORM, workspace_id=WORKSPACE, user_id=self.user_id,
                    display_name=self.name, channel_id="console", personal=True,
                    request_key=f"console:{uuid4().hex}", **what)


def _free_path(folder: Path, name: str) -> Path:
    """`statement.csv`, then `statement-2.csv`: never overwrite a file already there."""
    path, stem, suffix = folder / name, Path(name).stem, Path(name).suffix
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


async def _console_member(ctx: Context, uid: str) -> Member | None:
    return await ctx.uow.members.by_identity(PLATFORM, WORKSPACE, uid)
