"""Neutral forms ↔ Slack modals: input blocks out, submitted values back, errors beside fields."""

import json
import re
from typing import Any

from bot.slack.blockkit import SURFACE_BLOCKS, chunks, clip, fit, plain
from bot.views import Form, Input

TITLE_CHARS, METADATA_CHARS, OPTIONS_MAX = 24, 3000, 100
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def modal(form: Form, channel_id: str = "") -> dict:
    """A modal view for the form; `private_metadata` carries form id, ref, channel (and confirmed values)."""
    meta = {"f": form.form_id, "r": form.ref, "c": channel_id}
    blocks = [{"type": "section", "text": plain(piece)} for piece in chunks(form.intro, 3000)] if form.intro else []
    if form.confirm:
        meta["v"] = {i.name: i.value for i in form.inputs}
        blocks += [{"type": "section", "text": plain(piece)} for piece in chunks(form.confirm, 3000)]
    metadata = _metadata(meta)
    if form.confirm and "v" in json.loads(metadata):
        blocks += _summary(form.inputs)
    else:
        blocks += [input_block(i) for i in form.inputs]
    return {
        "type": "modal",
        "callback_id": form.form_id[:255],
        "title": plain(form.title or "Hexitime", TITLE_CHARS),
        "submit": plain(form.submit_label or "Submit", TITLE_CHARS),
        "close": plain("Cancel", TITLE_CHARS),
        "private_metadata": metadata,
        "blocks": fit(blocks or [{"type": "section", "text": plain(form.title or " ")}], SURFACE_BLOCKS),
    }


def _metadata(meta: dict) -> str:
    """JSON within Slack's 3,000 characters: drop carried values, then the channel, then trim the ref."""
    for drop in ((), ("v",), ("v", "c")):
        trimmed = {k: v for k, v in meta.items() if k not in drop}
        text = json.dumps(trimmed, separators=(",", ":"), default=str)
        if len(text) <= METADATA_CHARS:
            return text
    return json.dumps({"f": meta["f"][:255], "r": str(meta["r"])[:2000]}, separators=(",", ":"))


def metadata(view: dict) -> dict:
    """What `modal` put in private_metadata; anything unreadable is treated as empty."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _summary(inputs: tuple[Input, ...]) -> list[dict]:
    fields = [plain(f"{i.label}\n{_shown(i)}", 2000) for i in inputs if i.value not in (None, "", [])]
    return [{"type": "section", "fields": fields[s:s + 10]} for s in range(0, len(fields), 10)]


def _shown(item: Input) -> str:
    labels = {o.value: o.label for o in item.options}
    if isinstance(item.value, list | tuple):
        return ", ".join(labels.get(str(v), str(v)) for v in item.value)
    if item.kind == "checkbox":
        return "yes" if item.value in (True, "true", "on", "yes", "1") else "no"
    return labels.get(str(item.value), str(item.value))


def input_block(item: Input) -> dict:
    """One input block; block id and action id are both the field name."""
    block = {"type": "input", "block_id": item.name[:255], "label": plain(item.label, 2000),
             "optional": not item.required, "element": _element(item)}
    if item.hint:
        block["hint"] = plain(item.hint, 2000)
    return block


def _element(item: Input) -> dict:
    element: dict[str, Any] = {"action_id": item.name[:255]}
    if item.placeholder and item.kind not in ("checkbox",):
        element["placeholder"] = plain(item.placeholder, 150)
    options = [{"text": plain(o.label, 75), "value": o.value[:150]} for o in item.options[:OPTIONS_MAX]]
    chosen = {str(v) for v in (item.value if isinstance(item.value, list | tuple) else [item.value])}
    if item.kind in ("select", "multiselect"):
        multi = item.kind == "multiselect"
        element.update(type="multi_static_select" if multi else "static_select",
                       options=options or [{"text": plain("(none)"), "value": "-"}])
        picked = [o for o in options if o["value"] in chosen]
        if picked:
            element.update({"initial_options": picked} if multi else {"initial_option": picked[0]})
    elif item.kind == "checkbox":
        box = {"text": plain(item.label, 75), "value": "true"}
        element.update(type="checkboxes", options=[box])
        if item.value in (True, "true", "on", "yes", "1"):
            element["initial_options"] = [box]
    elif item.kind == "date":
        element["type"] = "datepicker"
        if item.value and DATE.match(str(item.value)[:10]):
            element["initial_date"] = str(item.value)[:10]
    elif item.kind == "number":
        element.update(type="number_input", is_decimal_allowed=True)
        if _is_number(item.value):
            element["initial_value"] = str(item.value)
    else:
        limit = min(item.max_length or 3000, 3000)
        element.update(type="plain_text_input", multiline=item.kind == "multiline", max_length=limit)
        if item.value not in (None, ""):
            element["initial_value"] = str(item.value)[:limit]
    return element


def _is_number(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return value not in (None, "")


def values(view: dict) -> dict[str, Any]:
    """Submitted state → {field name: value} as the handlers read it."""
    found: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for action in actions.values():
            found[block_id] = _value(action)
    return found


def _value(action: dict) -> Any:
    kind = action.get("type")
    if kind == "static_select":
        return (action.get("selected_option") or {}).get("value")
    if kind == "multi_static_select":
        return [o.get("value") for o in action.get("selected_options") or []]
    if kind == "checkboxes":
        return bool(action.get("selected_options"))
    if kind == "datepicker":
        return action.get("selected_date")
    return action.get("value") or ""


def submitted(view: dict) -> tuple[dict[str, Any], str, str]:
    """(values, ref, channel id) of a submission; a confirm step's carried values win."""
    meta = metadata(view)
    carried = meta.get("v")
    found = values(view)
    if isinstance(carried, dict):
        found = {**carried, **found}
    return found, str(meta.get("r") or ""), str(meta.get("c") or "")


def errors(form: Form, view: dict) -> dict:
    """The ack for a failed submission: messages beside fields, or the form again with them listed."""
    shown = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    problems = form.errors
    if problems and set(problems) <= shown:
        return {"response_action": "errors", "errors": {k: clip(v, 2000) for k, v in problems.items()}}
    listed = "\n".join(problems.values()) or "Please check the form."
    fresh = modal(form, metadata(view).get("c", ""))
    fresh["blocks"] = fit([{"type": "context", "elements": [plain(listed)]}, *fresh["blocks"]], SURFACE_BLOCKS)
    return {"response_action": "update", "view": fresh}
