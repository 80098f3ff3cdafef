"""Our own small protocol inside Adaptive Card action data, shared by the renderer and the reader.

A button carries `{"hx": "act", "a": action id, "r": opaque ref}`; a form's submit carries
`{"hx": "form", "f": form id, "r": ref}` and its inputs as `in:<name>`; a task-module launcher
carries `{"hx": "open", "form": <the neutral form, compact>}`. Nothing else is trusted.
"""

import json
from dataclasses import asdict
from typing import Any

from bot.views import Form, Input, Option

KEY, ACT, FORM, OPEN = "hx", "act", "form", "open"
INPUT_PREFIX = "in:"
MULTI, FLAGS = "ms", "cb"
FORM_VERB = "hexitime.form"


def act(action: str, ref: str) -> dict[str, Any]:
    return {KEY: ACT, "a": action, "r": ref}


def submit(form: Form) -> dict[str, Any]:
    """The data a form's submit button carries: which form, and how to read its inputs back."""
    data: dict[str, Any] = {KEY: FORM, "f": form.form_id, "r": form.ref}
    multi = [i.name for i in form.inputs if i.kind == "multiselect"]
    flags = [i.name for i in form.inputs if i.kind == "checkbox"]
    if multi:
        data[MULTI] = multi
    if flags:
        data[FLAGS] = flags
    if form.confirm:  # a read-only confirmation step: the values ride along unchanged
        data.update({INPUT_PREFIX + i.name: i.value for i in form.inputs if i.value is not None})
    return data


def values(data: dict[str, Any]) -> dict[str, Any]:
    """A submission's input values by field name, multi-selects as lists and checkboxes as bools."""
    found = {k[len(INPUT_PREFIX):]: v for k, v in data.items() if isinstance(k, str) and k.startswith(INPUT_PREFIX)}
    for name in _names(data.get(MULTI)):
        raw = found.get(name)
        if isinstance(raw, str):
            found[name] = [part for part in raw.split(",") if part]
    for name in _names(data.get(FLAGS)):
        found[name] = str(found.get(name, "")).lower() == "true"
    return found


def _names(raw: Any) -> list[str]:
    return [n for n in raw if isinstance(n, str)] if isinstance(raw, list) else []


def pack_form(form: Form) -> dict[str, Any]:
    """A neutral form as plain JSON (lists, not tuples, which msrest would stringify) for a launcher."""
    return json.loads(json.dumps(asdict(form)))


def unpack_form(raw: Any) -> Form | None:
    """The form back from a launcher's data, or None when the data isn't one of ours."""
    if not isinstance(raw, dict):
        return None
    try:
        inputs = tuple(
            Input(**{**i, "options": tuple(Option(**o) for o in i.get("options") or ())})
            for i in raw.get("inputs") or ()
        )
        return Form(**{**raw, "inputs": inputs})
    except (TypeError, ValueError):
        return None
