"""Neutral messages to and from JSON, so the outbox can keep them until delivery."""

import base64
from dataclasses import asdict
from typing import Any

from bot.views import Attachment, Button, Card, Field, Image, Message


def encode(message: Message) -> dict[str, Any]:
    data = {"cards": [asdict(card) for card in message.cards]}
    if message.attachment is not None:
        file = message.attachment
        data["attachment"] = {"filename": file.filename, "mime": file.mime,
                              "content": base64.b64encode(file.content).decode("ascii")}
    return data


def decode(data: dict[str, Any]) -> Message:
    cards = tuple(_card(card) for card in data.get("cards", ()))
    file = data.get("attachment")
    attachment = None
    if file:
        attachment = Attachment(file["filename"], base64.b64decode(file["content"]), file["mime"])
    return Message(cards=cards, attachment=attachment)


def _card(data: dict[str, Any]) -> Card:
    image = data.get("image")
    return Card(
        title=data.get("title", ""),
        text=data.get("text", ""),
        fields=tuple(Field(**f) for f in data.get("fields", ())),
        image=Image(**image) if image else None,
        buttons=tuple(Button(**b) for b in data.get("buttons", ())),
        overflow=tuple(Button(**b) for b in data.get("overflow", ())),
        note=data.get("note", ""),
    )
