"""Forms as a series of prompts: one per field, with its hint, default and options."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.console import render
from bot.views import Form, Input

YES = {"y", "yes", "true", "on", "1"}
NO = {"n", "no", "false", "off", "0"}
CLEAR = "-"


def is_yes(answer: str) -> bool:
    return answer.strip().lower() in YES


class Invalid(Exception):
    """A typed answer the console can refuse itself, before asking the bot."""


class FormFiller:
    """Asks for each field; on a form sent back with errors, asks again only for those."""

    def __init__(self, read: Callable[[str], str], write: Callable[[str], None]) -> None:
        self.read = read
        self.write = write

    def fill(self, form: Form) -> dict[str, Any] | None:
        """The values to submit, or None when the member says no to a confirmation."""
        values = {i.name: i.value for i in form.inputs}
        if form.errors:
            self.write("Please fix:" if len(form.errors) > 1 else "Please fix this:")
            asking = [i for i in form.inputs if i.error]
        else:
            self.write("\n".join(render.form_header(form)))
            asking = [] if form.confirm else list(form.inputs)
        for inp in asking:
            values[inp.name] = self.ask(replace(inp, value=None) if inp.error else inp)
        if form.confirm:
            answer = self.read(f"{render.line(form.submit_label)}? [y/N]: ")
            return values if is_yes(answer) else None
        return values

    def ask(self, inp: Input) -> Any:
        """One field, asked until the answer is at least well formed."""
        if inp.error:
            self.write(render.error(inp.error))
        if inp.kind in ("select", "multiselect"):
            self.write("\n".join(render.options(inp)))
        while True:
            raw = self._read_multiline(inp) if inp.kind == "multiline" else self.read(render.prompt(inp))
            try:
                return parse(inp, raw)
            except Invalid as bad:
                self.write(render.error(str(bad)))

    def _read_multiline(self, inp: Input) -> str:
        lines = [self.read(render.prompt(inp))]
        if lines[0].strip() in ("", CLEAR):
            return lines[0]
        while lines[-1].strip():
            lines.append(self.read("... "))
        return "\n".join(lines[:-1])


def parse(inp: Input, raw: str) -> Any:
    """The value to submit for a typed answer; Enter keeps the current value, `-` clears it."""
    typed = raw.strip()
    if typed == "":
        value = inp.value
    elif typed == CLEAR:
        value = None
    elif inp.kind == "checkbox":
        value = _flag(typed)
    elif inp.kind == "select":
        value = _option(inp, typed)
    elif inp.kind == "multiselect":
        value = _options(inp, typed)
    else:
        value = raw.rstrip("\n") if inp.kind == "multiline" else typed
    if inp.kind == "checkbox":
        return value is True or str(value).lower() in YES
    if inp.required and value in (None, "", [], ()):
        raise Invalid("This one is required.")
    return [] if inp.kind == "multiselect" and value is None else value


def _flag(typed: str) -> bool:
    if typed.lower() in YES:
        return True
    if typed.lower() in NO:
        return False
    raise Invalid("Answer y or n.")


def _options(inp: Input, typed: str) -> list[str]:
    """`1, 3`, `1 3` or `Waste management, Biodiversity`: each choice once, in order."""
    chosen: list[str] = []
    for part in filter(None, (p.strip() for p in typed.split(","))):
        try:
            chosen.append(_option(inp, part))
        except Invalid:
            chosen.extend(_option(inp, word) for word in part.split())
    return list(dict.fromkeys(chosen))


def _option(inp: Input, typed: str) -> str:
    if typed.isdigit() and 1 <= int(typed) <= len(inp.options):
        return inp.options[int(typed) - 1].value
    for option in inp.options:
        if typed.lower() in (option.label.lower(), option.value.lower()):
            return option.value
    raise Invalid(f"Choose a number from 1 to {len(inp.options)}.")
