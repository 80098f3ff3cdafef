"""Neutral views → Block Kit, inert and within Slack's limits, paging rather than failing.

Every string from a view goes out as an escaped `plain_text` object, so user
text can never become `<!channel>`, `<@U…>`, a link or formatting.
"""

import re
from collections.abc import Iterator

from bot.views import DANGER, PRIMARY, Button, Card, Message

MESSAGE_BLOCKS, SURFACE_BLOCKS = 50, 100
TEXT_CHARS, FIELD_CHARS, HEADER_CHARS = 3000, 2000, 150
BUTTON_TEXT, BUTTON_VALUE, ACTION_ID = 75, 2000, 255
FIELDS_PER_SECTION, ELEMENTS_PER_ACTIONS, CONTEXT_ELEMENTS = 10, 25, 10
OVERFLOW_MIN, OVERFLOW_MAX, OPTION_VALUE = 2, 5, 150
CONFIRM_TEXT, CONFIRM_TITLE = 300, 100
SUFFIX = re.compile(r"#\d+$")


def escape(text: str) -> str:
    """Slack's three control characters, so `<!here>` stays text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fits(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` once escaped."""
    size = 0
    for count, char in enumerate(text):
        size += len(escape(char))
        if size > limit:
            return count
    return len(text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters once escaped, ending in … when cut."""
    text = str(text or "")
    if len(escape(text)) <= limit:
        return escape(text)
    return escape(text[: fits(text, limit - 1)]) + "…"


def plain(text: str, limit: int = TEXT_CHARS) -> dict:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def action_name(action_id: str) -> str:
    """Undo the `#2` suffix that keeps action ids unique within a block."""
    return SUFFIX.sub("", action_id)


def chunks(text: str, limit: int) -> Iterator[str]:
    """Long text in pieces of at most `limit` escaped characters, split at line ends when possible."""
    piece, size = "", 0
    for line in str(text).splitlines(keepends=True):
        while len(escape(line)) > limit:
            cut = fits(line, limit)
            if piece:
                yield piece
            yield line[:cut]
            piece, size, line = "", 0, line[cut:]
        if size + len(escape(line)) > limit:
            yield piece
            piece, size = "", 0
        piece, size = piece + line, size + len(escape(line))
    if piece:
        yield piece


def button(item: Button, action_id: str) -> dict:
    element = {"type": "button", "text": plain(item.label, BUTTON_TEXT), "action_id": action_id[:ACTION_ID]}
    if item.ref:
        element["value"] = item.ref[:BUTTON_VALUE]
    if item.style in (PRIMARY, DANGER):
        element["style"] = item.style
    if item.confirm:
        element["confirm"] = {"title": plain("Are you sure?", CONFIRM_TITLE), "text": plain(item.confirm, CONFIRM_TEXT),
                              "confirm": plain("Yes", 30), "deny": plain("Cancel", 30)}
        if item.style == DANGER:
            element["confirm"]["style"] = "danger"
    return element


def overflow_value(item: Button) -> str:
    return f"{item.action}|{item.ref}"


def card_blocks(card: Card) -> list[dict]:
    """One card: header, text sections, field sections, image, buttons, note."""
    blocks: list[dict] = []
    if card.title:
        blocks.append({"type": "header", "text": plain(card.title.splitlines()[0], HEADER_CHARS)})
    for piece in chunks(card.text, TEXT_CHARS) if card.text else ():
        blocks.append({"type": "section", "text": plain(piece)})
    fields = [plain(f"{f.label}\n{f.value}", FIELD_CHARS) for f in card.fields]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start:start + FIELDS_PER_SECTION]})
    if card.image and card.image.url.startswith(("https://", "http://")) and len(card.image.url) <= 3000:
        blocks.append({"type": "image", "image_url": card.image.url, "alt_text": clip(card.image.alt or "image", 2000)})
    blocks.extend(_actions(card))
    if card.note:
        blocks.append({"type": "context", "elements": [plain(card.note)]})
    return blocks


def _actions(card: Card) -> list[dict]:
    menu = [b for b in card.overflow if len(overflow_value(b)) <= OPTION_VALUE]
    buttons = list(card.buttons) + [b for b in card.overflow if b not in menu]
    if len(menu) < OVERFLOW_MIN:
        buttons, menu = buttons + menu, []
    elements, seen = [], {}
    for item in buttons:
        seen[item.action] = seen.get(item.action, 0) + 1
        suffix = f"#{seen[item.action]}" if seen[item.action] > 1 else ""
        elements.append(button(item, item.action + suffix))
    for start in range(0, len(menu), OVERFLOW_MAX):
        options = [{"text": plain(b.label, 75), "value": overflow_value(b)} for b in menu[start:start + OVERFLOW_MAX]]
        if len(options) >= OVERFLOW_MIN:
            elements.append({"type": "overflow", "action_id": f"overflow#{start}", "options": options})
        else:
            elements.extend(button(b, f"{b.action}#m{start}") for b in menu[start:start + OVERFLOW_MAX])
    return [{"type": "actions", "elements": elements[s:s + ELEMENTS_PER_ACTIONS]}
            for s in range(0, len(elements), ELEMENTS_PER_ACTIONS)]


def message_blocks(message: Message) -> list[dict]:
    """All blocks of a message, cards separated by dividers (may exceed one message: see pages)."""
    blocks: list[dict] = []
    for card in message.cards:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(card_blocks(card))
    return blocks


def pages(message: Message, per_page: int = MESSAGE_BLOCKS) -> list[list[dict]]:
    """Blocks split into messages of at most `per_page`, never starting with a divider."""
    blocks, result = message_blocks(message), []
    while blocks:
        page, blocks = blocks[:per_page], blocks[per_page:]
        while blocks and blocks[0]["type"] == "divider":
            blocks = blocks[1:]
        result.append(page)
    return result or [[{"type": "section", "text": plain("Done.")}]]


def fit(blocks: list[dict], limit: int = SURFACE_BLOCKS) -> list[dict]:
    """For Home and modals, which can't page: keep what fits and say what was left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    note = f"{len(blocks) - len(kept)} more lines are not shown here; use /hexitime to see everything."
    return [*kept, {"type": "context", "elements": [plain(note)]}]


def fallback(message: Message) -> str:
    """The notification text, escaped (sent with mrkdwn off)."""
    return clip(message.summary, 150)
