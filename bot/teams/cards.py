"""Neutral messages → Adaptive Cards 1.5: one card per message, user text inert, under 28 KB."""

import json
import re
from typing import Any

from bot.teams import payloads
from bot.views import DANGER, PRIMARY, Button, Card, Message

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BYTES = 28 * 1024
BUDGET = MAX_BYTES - 2048  # room for the envelope and a "more" note
MAX_TEXT = 4000
STYLES = {PRIMARY: "positive", DANGER: "destructive"}

_MARKDOWN = re.compile(r"([\\`*_\[\]()<>#~|&!{}])")
_LINE_MARKER = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.MULTILINE)


def inert(text: str, limit: int = MAX_TEXT) -> str:
    """Plain text as a TextBlock shows it literally: no markdown, link, mention or list it didn't mean."""
    text = (text or "")[:limit]
    text = _MARKDOWN.sub(r"\\\1", text)
    return _LINE_MARKER.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def adaptive_card(body: list[dict], actions: list[dict] | None = None, fallback: str = "") -> dict:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        card["actions"] = actions
    if fallback:
        card["fallbackText"] = inert(fallback, 150)
    card["msteams"] = {"width": "Full"}
    return card


def attachment(card: dict) -> dict:
    return {"contentType": CONTENT_TYPE, "content": card}


def size(card: dict) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def text_block(text: str, **style: Any) -> dict:
    return {"type": "TextBlock", "text": inert(text), "wrap": True, **style}


def render_message(message: Message) -> list[dict]:
    """A message as Adaptive Cards: usually one; split when the cards would pass 28 KB."""
    cards, body, used = [], [], 0
    for view in message.cards or (Card(text=message.summary),):
        container = render_card(view, separator=bool(body))
        weight = size(container)
        if body and used + weight > BUDGET:
            cards.append(adaptive_card(body, fallback=message.summary))
            body, used = [], 0
            container["separator"] = False
        if weight > BUDGET:
            container = render_card(Card(title=view.title, text="(This item was too long to show here.)"))
        body.append(container)
        used += weight
    cards.append(adaptive_card(body, fallback=message.summary))
    return cards


def render_one(message: Message) -> dict:
    """Exactly one card (an in-place update can only replace one): later cards dropped with a note."""
    cards = render_message(message)
    first = cards[0]
    if len(cards) > 1:
        first["body"].append(text_block("More results were left out; narrow your search to see them.",
                                         isSubtle=True, size="Small"))
    return first


def render_card(view: Card, separator: bool = False) -> dict:
    """One neutral card as a Container: title, text, facts, image, buttons, note."""
    items: list[dict] = []
    if view.title:
        items.append(text_block(view.title, weight="Bolder", size="Medium", style="heading"))
    if view.text:
        items.append(text_block(view.text))
    if view.fields:
        facts = [{"title": inert(f.label, 200), "value": inert(f.value, 1000)} for f in view.fields]
        items.append({"type": "FactSet", "facts": facts})
    if view.image:
        items.append({"type": "Image", "url": view.image.url, "altText": view.image.alt[:200]})
    buttons = [action(b) for b in view.buttons]
    if view.overflow:
        more = adaptive_card([{"type": "ActionSet", "actions": [action(b) for b in view.overflow]}])
        del more["msteams"], more["$schema"]
        buttons.append({"type": "Action.ShowCard", "title": "More…", "card": more})
    if buttons:
        items.append({"type": "ActionSet", "actions": buttons})
    if view.note:
        items.append(text_block(view.note, isSubtle=True, size="Small"))
    container: dict[str, Any] = {"type": "Container", "items": items or [text_block(" ")]}
    if separator:
        container.update(separator=True, spacing="Large")
    return container


def action(button: Button) -> dict:
    """A button: Action.Execute (verb + data) with an Action.Submit fallback; a confirm asks first."""
    execute = execute_action(button.label, button.action, payloads.act(button.action, button.ref), button.style)
    if not button.confirm:
        return execute
    ask = adaptive_card([text_block(button.confirm)], [{**execute, "title": f"Yes, {button.label.lower()}"}])
    del ask["msteams"], ask["$schema"]
    return {"type": "Action.ShowCard", "title": button.label[:40], "card": ask}


def execute_action(title: str, verb: str, data: dict, style: str = "") -> dict:
    found: dict[str, Any] = {"type": "Action.Execute", "title": title[:40], "verb": verb, "data": data,
                             "fallback": {"type": "Action.Submit", "title": title[:40], "data": data}}
    if style in STYLES:
        found["style"] = STYLES[style]
        found["fallback"]["style"] = STYLES[style]
    return found
