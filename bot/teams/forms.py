"""Neutral forms → Adaptive Card forms, inline in the chat or in a task module (a Teams dialog).

Short forms (a few fields, confirmations) stay inline in personal chat: one click, and the card
turns into the result so it can't be sent twice. Long forms, and every form in a channel or group
chat, open in a task module: roomier, private to the person filling it in, and errors come back
in the dialog instead of cluttering the conversation.
"""

from typing import Any

from bot.teams import payloads
from bot.teams.cards import adaptive_card, attachment, execute_action, inert, text_block
from bot.views import Form, Input

INLINE_MAX_INPUTS = 3


def in_task_module(form: Form, personal: bool) -> bool:
    return not personal or len(form.inputs) > INLINE_MAX_INPUTS and not form.confirm


def form_card(form: Form, inline: bool) -> dict:
    """The form itself: inputs with labels, hints and server-side error messages beside them."""
    body: list[dict] = [text_block(form.title, weight="Bolder", size="Medium", style="heading")]
    if form.intro:
        body.append(text_block(form.intro))
    if form.confirm:
        body.append(text_block(form.confirm, weight="Bolder"))
        facts = [{"title": inert(i.label, 200), "value": inert(_shown(i), 1000)} for i in form.inputs]
        body.append({"type": "FactSet", "facts": facts})
    else:
        for field in form.inputs:
            body.extend(_input(field))
    data = payloads.submit(form)
    if inline:
        submit = execute_action(form.submit_label, payloads.FORM_VERB, data, "primary")
    else:
        submit = {"type": "Action.Submit", "title": form.submit_label[:40], "data": data, "style": "positive"}
    return adaptive_card(body, [submit], fallback=form.title)


def launcher_card(form: Form) -> dict:
    """A small card whose button opens the form in a task module."""
    body = [text_block(form.title, weight="Bolder", size="Medium", style="heading")]
    if form.intro:
        body.append(text_block(form.intro))
    data = {"msteams": {"type": "task/fetch"}, payloads.KEY: payloads.OPEN, "form": payloads.pack_form(form)}
    opener = {"type": "Action.Submit", "title": "Open the form", "data": data, "style": "positive"}
    return adaptive_card(body, [opener], fallback=form.title)


def task_continue(form: Form) -> dict[str, Any]:
    """The task/fetch or task/submit answer that shows (or re-shows) a form in the dialog."""
    value = {"title": form.title[:60], "width": "medium", "height": "large",
             "card": attachment(form_card(form, inline=False))}
    return {"task": {"type": "continue", "value": value}}


def task_message(text: str) -> dict[str, Any]:
    return {"task": {"type": "message", "value": text[:300]}}


def _shown(field: Input) -> str:
    value = field.value
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    labels = {o.value: o.label for o in field.options}
    return labels.get(str(value), "" if value is None else str(value))


def _input(field: Input) -> list[dict]:
    element: dict[str, Any] = {"id": payloads.INPUT_PREFIX + field.name, "label": field.label[:100],
                               "isRequired": field.required}
    if field.required:
        element["errorMessage"] = f"Please fill in {field.label.lower()[:80]}"
    element.update(_kind(field))
    elements = [element]
    if field.hint:
        elements.append(text_block(field.hint, isSubtle=True, size="Small", spacing="None"))
    if field.error:
        elements.append(text_block(field.error, color="Attention", spacing="None"))
    return elements


def _kind(field: Input) -> dict[str, Any]:
    value = field.value
    if field.kind in ("select", "multiselect"):
        choices = [{"title": o.label[:100], "value": o.value} for o in field.options]
        found: dict[str, Any] = {"type": "Input.ChoiceSet", "choices": choices, "style": "compact"}
        if field.kind == "multiselect":
            found["isMultiSelect"] = True
            value = ",".join(value) if isinstance(value, list | tuple) else value
        return {**found, **({"value": str(value)} if value not in (None, "") else {})}
    if field.kind == "checkbox":
        return {"type": "Input.Toggle", "title": field.label[:100], "valueOn": "true", "valueOff": "false",
                "value": "true" if value is True or str(value).lower() == "true" else "false"}
    if field.kind == "date":
        return {"type": "Input.Date", **({"value": str(value)} if value else {})}
    found = {"type": "Input.Text", "isMultiline": field.kind == "multiline"}
    if field.max_length:
        found["maxLength"] = field.max_length
    if field.placeholder:
        found["placeholder"] = field.placeholder[:100]
    if value not in (None, ""):
        found["value"] = str(value)
    return found
