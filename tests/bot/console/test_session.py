"""Scripted console sessions: real conversation, real database, a keyboard made of strings."""

import re

import pytest

from bot.console.session import TIPS, ConsoleSender, ConsoleSession
from bot.conversation import Conversation
from bot.handlers import load
from bot.notify import Dispatcher
from storage.verify import verify_ledger

EXCHANGE_COMMANDS = ("need", "offer", "matches", "log", "confirm", "balance")
MISSING = [word for word in EXCHANGE_COMMANDS if load().lookup(word) is None]


class Terminal:
    """A scripted keyboard and a captured screen around a real ConsoleSession."""

    def __init__(self, bank, name: str = "Alice", folder=None) -> None:
        self.sender = ConsoleSender()
        conversation = Conversation(bank, Dispatcher(bank, {"console": self.sender}))
        self.keys: list = []
        self.screen: list[str] = []
        self.prompts: list[str] = []
        self.session = ConsoleSession(conversation, self.sender, name, self._read, self.screen.append, folder)

    def _read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        assert self.keys, f"the console asked {prompt!r} but the script has no answer left"
        key = self.keys.pop(0)
        if isinstance(key, type) and issubclass(key, BaseException):
            raise key
        return key

    async def type(self, line: str, *answers) -> str:
        """One command line and the answers to whatever it asks; returns what was printed."""
        self.keys, start = list(answers), len(self.screen)
        assert await self.session.handle_line(line)
        assert not self.keys, f"answers never asked for: {self.keys}"
        return "\n".join(self.screen[start:])

    async def run(self, *keys) -> tuple[int, str]:
        self.keys, start = list(keys), len(self.screen)
        code = await self.session.run()
        return code, "\n".join(self.screen[start:])


def number(out: str, label: str, near: str = "") -> str:
    """The choice number printed beside a button, in the card mentioning `near`."""
    blocks = [b for b in re.split(r"\n\s*\n", out) if near in b]
    assert blocks, f"no card mentioning {near!r} in:\n{out}"
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?=  |$)", blocks[-1], re.M)
    assert found, f"no {label!r} button in:\n{blocks[-1]}"
    return found[-1]


def exchange_id(out: str) -> str:
    return re.findall(r"Exchange #(\d+)", out)[-1]


@pytest.mark.skipif(bool(MISSING), reason=f"exchange handlers not registered yet: {MISSING}")
async def test_two_members_trade_hours_from_need_to_confirmed_session(bank, db, tmp_path):
    t = Terminal(bank, "Alice", tmp_path)
    out = await t.type("need Review our theatre waste audit",
                       "", "A week of theatre waste, weighed.", "", "Waste management",
                       "recycling, clinical waste", "1h30")
    assert "Your need is posted" in out

    await t.type("as bob")
    out = await t.type("offer Waste audits and recycling advice",
                       "", "", "recycling, clinical waste", "Waste management", "4h")
    assert "Offer #" in out

    await t.type("as alice")
    out = await t.type("matches")
    out = await t.type(number(out, "Propose", near="Offered by: Bob"))
    assert "📨 to Bob:" in out
    ref = exchange_id(out)

    out = await t.type("as bob")
    assert "While you were away" in out
    out = await t.type(number(out, "Accept", near=f"Exchange #{ref}"))
    assert "📨 to Alice:" in out
    out = await t.type(f"log {ref} 1h30")
    assert "📨 to Alice:" in out

    await t.type("as alice")
    out = await t.type("balance")
    assert "Held for agreed exchanges: 1 h 30 min" in out
    out = await t.type(f"confirm {ref}")
    assert "📨 to Bob:" in out
    out = await t.type("balance")
    assert "Balance: −1 h 30 min" in out

    await t.type("as bob")
    out = await t.type("balance")
    assert "Balance: 1 h 30 min" in out
    check = await verify_ledger(db)
    assert check.problems == [] and check.transfers >= 2


async def test_server_errors_reprompt_only_the_failing_fields(bank):
    t = Terminal(bank)
    out = await t.type("need", "x" * 151, "", "", "", "-1", "Compost bins", "1h30")
    assert "Please fix:" in out
    assert "Your need is posted" in out
    assert "Need #1: Compost bins" in out
    asked = [p.split(" ")[0] for p in t.prompts]
    assert asked == ["What", "Details", "Campaign", "Skills", "Estimated", "What", "Estimated"]
    assert "  ✗ Hours must be more than zero" in out
    assert "the limit is 150" in out


async def test_a_required_field_is_asked_again_before_anything_is_sent(bank):
    t = Terminal(bank)
    out = await t.type("need", "", "Compost bins", "", "", "", "")
    assert "  ✗ This one is required." in out
    assert "Need #1: Compost bins" in out


async def test_escape_sequences_in_a_title_reach_the_screen_inert(bank):
    t = Terminal(bank)
    await t.type("need Fix \x1b[2J\x1b[Hour bins\x07 \x1b]0;pwned\x07now", "", "", "", "", "")
    await t.type("as bob")
    out = await t.type("needs")
    screen = "\n".join(t.screen)
    assert "\x1b" not in screen and "\x07" not in screen
    assert "Need #1: Fix our bins␇ now" in out


async def test_unknown_command_names_the_nearest_one(bank):
    t = Terminal(bank)
    out = await t.type("balanse")
    assert "I don't know the command “balanse”. Did you mean `balance`?" in out


async def test_numbers_press_the_buttons_on_screen_and_ask_before_irreversible_ones(bank):
    t = Terminal(bank)
    await t.type("need Compost bins", "", "", "", "", "")
    out = await t.type("needs mine")
    withdraw = number(out, "Withdraw", near="Compost bins")
    out = await t.type(withdraw, "n")
    assert "Cancelled; nothing was changed." in out
    assert t.prompts[-1].startswith("Withdraw this need?")
    assert "Compost bins" in await t.type("needs mine")
    out = await t.type(withdraw, "y")
    assert "is withdrawn" in out
    out = await t.type("42")
    assert "There's no choice 42 on screen" in out


async def test_switching_members_and_leaving(bank):
    t = Terminal(bank)
    assert "Who? For example: `as bob`." in await t.type("as")
    assert "You are now Bob (new here" in await t.type("switch  bob ")
    assert t.session.prompt == "Bob> "
    assert t.session.user_id == "bob"
    await t.type("balance")
    assert "You are now Bob." in await t.type("as BOB")
    code, out = await t.run("help", "quit")
    assert code == 0 and TIPS in out and out.endswith("Bye.")


async def test_ctrl_c_cancels_a_form_and_ctrl_d_leaves(bank):
    t = Terminal(bank)
    code, out = await t.run("need", "Compost bins", KeyboardInterrupt, "needs mine", EOFError)
    assert code == 0
    assert "(cancelled)" in out
    assert "Nothing found" in out  # the half-filled need was never sent
    assert out.endswith("Bye.")


async def test_files_are_saved_beside_the_member_without_overwriting(bank, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    t = Terminal(bank, folder=folder)
    await t.type("balance")
    out = await t.type("export")
    assert "Saved hexitime-statement.csv (" in out and str(folder) in out
    await t.type("export")
    assert sorted(p.name for p in folder.iterdir()) == ["hexitime-statement-2.csv", "hexitime-statement.csv"]
    assert (folder / "hexitime-statement.csv").read_text().startswith("transfer,date")
