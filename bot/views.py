"""The neutral view model: what the bot says, before any platform renders it.

Every string here is plain text. Renderers make all of it inert on their
platform (Slack: escape `& < >`, never a mention or link; Teams: no markdown
or mention the author did not mean), so user-written text can go anywhere.
"""

from dataclasses import dataclass, field, replace
from typing import Any

PRIMARY, DANGER, DEFAULT = "primary", "danger", "default"
INPUT_KINDS = ("text", "multiline", "hours", "number", "select", "multiselect", "date", "checkbox")


@dataclass(frozen=True)
class Button:
    """A choice: an action id and an opaque reference (an id), never amounts."""

    label: str
    action: str
    ref: str = ""
    style: str = DEFAULT
    confirm: str | None = None


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Image:
    url: str
    alt: str


@dataclass(frozen=True)
class Card:
    """One block of a message: a title, text, label/value fields, an image, buttons."""

    title: str = ""
    text: str = ""
    fields: tuple[Field, ...] = ()
    image: Image | None = None
    buttons: tuple[Button, ...] = ()
    overflow: tuple[Button, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Input:
    """One form field; `error` is the validation message shown back beside it."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    value: Any = None
    options: tuple[Option, ...] = ()
    placeholder: str = ""
    hint: str = ""
    max_length: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Form:
    """A form to fill in; `ref` carries opaque context (an id) through to the submission.

    `confirm` is set on a second, read-only step for anything irreversible: the
    renderer shows it and a submit, and the values ride along unchanged.
    """

    form_id: str
    title: str
    inputs: tuple[Input, ...] = ()
    submit_label: str = "Submit"
    ref: str = ""
    intro: str = ""
    confirm: str | None = None

    @property
    def errors(self) -> dict[str, str]:
        return {i.name: i.error for i in self.inputs if i.error}

    def with_errors(self, errors: dict[str, str], values: dict[str, Any]) -> "Form":
        """The same form again, filled in as submitted, with each message beside its field."""
        return replace(
            self,
            inputs=tuple(
                replace(i, value=values.get(i.name, i.value), error=errors.get(i.name)) for i in self.inputs
            ),
        )


@dataclass(frozen=True)
class Attachment:
    """A file for the member (a CSV statement, a JSON export, a chart)."""

    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class Message:
    """What goes to one member: cards, optionally a file."""

    cards: tuple[Card, ...] = ()
    attachment: Attachment | None = None

    @property
    def summary(self) -> str:
        """A one-line fallback for notifications and screen readers."""
        first = self.cards[0] if self.cards else Card()
        return (first.title or first.text or "Hexitime").splitlines()[0][:150]


@dataclass(frozen=True)
class Notice:
    """A message for another member, delivered on their own platform."""

    member_id: int
    message: Message
    key: str = ""


@dataclass(frozen=True)
class Reply:
    """The answer to a turn.

    `private`: in a channel, only the member who acted sees it.
    `replace`: update the message whose button was pressed, so it can't be pressed again.
    `form`: open this form (modal, task module or console prompts).
    `notices`: tell other members what happened.
    """

    message: Message = field(default_factory=Message)
    form: Form | None = None
    private: bool = True
    replace: bool = False
    notices: tuple[Notice, ...] = ()
    close_form: bool = True

    @property
    def cards(self) -> tuple[Card, ...]:
        return self.message.cards


def say(*cards: Card, **options: Any) -> Reply:
    """The usual reply: some cards for the member who acted."""
    return Reply(message=Message(cards=tuple(cards)), **options)


def text(body: str, title: str = "", **options: Any) -> Reply:
    return say(Card(title=title, text=body), **options)


def problem(body: str) -> Reply:
    """A refusal or error: always private, never a traceback."""
    return say(Card(title="", text=body, note="Type `help` to see what I can do."), private=True)


def page_buttons(action: str, page: int, has_more: bool, ref_extra: str = "") -> tuple[Button, ...]:
    """Previous/next for long lists; the page rides in the opaque reference."""
    buttons = []
    if page > 0:
        buttons.append(Button("◀ Previous", action, f"{page - 1}{ref_extra}"))
    if has_more:
        buttons.append(Button("Next ▶", action, f"{page + 1}{ref_extra}"))
    return tuple(buttons)
