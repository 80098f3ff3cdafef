"""Neutral views as plain terminal text, with every user-written character made inert."""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.views import Button, Card, Form, Input, Message

_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"                # CSI: cursor moves, colours, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"    # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"         # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"                       # two- and three-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"                 # 8-bit CSI
)
_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
RULE = "─"
MAX_RULE = 60


def inert(text: Any, multiline: bool = True) -> str:
    """Text a terminal shows and never obeys: escape sequences go, other controls become visible."""
    cleaned = _SEQUENCE.sub("", str(text or "")).translate(_BIDI)
    cleaned = cleaned.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return "".join(_visible(ch, multiline) for ch in cleaned)


def _visible(ch: str, multiline: bool) -> str:
    if ch == "\n":
        return "\n" if multiline else " "
    if ch == "\t":
        return "    " if multiline else " "
    if ch < " ":
        return chr(0x2400 + ord(ch))  # ␛ for ESC, ␇ for BEL ...
    if ch == "\x7f":
        return "␡"
    if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":
        return "�" if unicodedata.category(ch) == "Cc" else ""
    return ch


def line(text: Any) -> str:
    """A title, label or button: one line whatever it contains."""
    return inert(text, multiline=False).strip()


def heading(title: str) -> list[str]:
    shown = line(title)
    return [shown, RULE * min(max(len(shown), 3), MAX_RULE)]


@dataclass
class Rendered:
    """Lines to print, and the buttons they numbered (choice 1 is `choices[0]`)."""

    lines: list[str] = field(default_factory=list)
    choices: list[Button] = field(default_factory=list)


def message(msg: Message, first: int = 1) -> Rendered:
    """Every card of a message; buttons are numbered across the whole message from `first`."""
    out = Rendered()
    for card_ in msg.cards:
        if out.lines:
            out.lines.append("")
        out.lines.extend(card(card_, first + len(out.choices), out.choices))
    return out


def card(c: Card, first: int, choices: list[Button]) -> list[str]:
    """One card; its buttons (then overflow) are appended to `choices` as they are numbered."""
    lines = heading(c.title) if c.title else []
    lines.extend(inert(c.text).splitlines())
    for f in c.fields:
        head, *more = inert(f.value).splitlines() or [""]
        lines.append(f"  {line(f.label)}: {head}")
        lines.extend(f"    {text}" for text in more)
    if c.image is not None:
        lines.append(f"  [image: {line(c.image.alt) or 'picture'}] {line(c.image.url)}")
    if c.buttons:
        lines.append("  " + choice_row(c.buttons, first))
        choices.extend(c.buttons)
    if c.overflow:
        lines.append("  More: " + choice_row(c.overflow, first + len(c.buttons)))
        choices.extend(c.overflow)
    if c.note:
        lines.extend(f"  ({text})" for text in inert(c.note).splitlines() if text.strip())
    return lines


def choice_row(buttons: tuple[Button, ...], first: int) -> str:
    """`[1] Accept  [2] Decline`."""
    return "  ".join(f"[{n}] {line(b.label)}" for n, b in enumerate(buttons, first))


def notice(name: str, msg: Message) -> str:
    """The one line the room sees when someone else is told something."""
    return f"📨 to {line(name)}: {line(msg.summary)}"


def form_header(form: Form) -> list[str]:
    lines = ["", *heading(form.title)]
    lines.extend(inert(form.intro).splitlines())
    if form.confirm:
        lines.extend(inert(form.confirm).splitlines())
    else:
        lines.append("(Enter keeps the value in [brackets], `-` clears it, Ctrl-C cancels.)")
    return lines


def options(inp: Input) -> list[str]:
    """Numbered options of a select, with the chosen ones marked."""
    chosen = _chosen(inp.value)
    return [f"    {n}) {line(o.label)}{' ✓' if o.value in chosen else ''}"
            for n, o in enumerate(inp.options, 1)]


def prompt(inp: Input) -> str:
    """`Estimated hours * (e.g. 1.5, 1h30, 90m) [1h]: `."""
    parts = [line(inp.label) + (" *" if inp.required else "")]
    hint = inp.hint or inp.placeholder
    if inp.kind == "checkbox":
        hint = "y/n"
    elif inp.kind == "multiselect":
        hint = "numbers separated by commas"
    elif inp.kind == "select":
        hint = "a number"
    elif inp.kind == "multiline":
        hint = "end with an empty line"
    if hint:
        parts.append(f"({line(hint)})")
    current = shown_value(inp)
    if current:
        parts.append(f"[{current}]")
    return " ".join(parts) + ": "


def shown_value(inp: Input) -> str:
    """The current value as the member would type it."""
    if inp.kind == "checkbox":
        return "y" if inp.value is True or str(inp.value).lower() in ("true", "on", "yes", "1") else "n"
    if inp.value in (None, "", [], ()):
        return ""
    if inp.kind in ("select", "multiselect"):
        chosen = _chosen(inp.value)
        return ", ".join(str(n) for n, o in enumerate(inp.options, 1) if o.value in chosen)
    return line(inp.value if not isinstance(inp.value, list | tuple) else ", ".join(map(str, inp.value)))


def _chosen(value: Any) -> set[str]:
    if value in (None, ""):
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


def error(text: str) -> str:
    return f"  ✗ {line(text)}"


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name that stays in the current folder and needs no quoting."""
    base = _UNSAFE_NAME.sub("-", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(".-")
    return base[:80] or "hexitime-file"
