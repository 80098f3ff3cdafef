"""Reading form values: each reader returns a clean value or raises with a field message."""

from typing import Any

from core.errors import InvalidInput
from core.minutes import parse_minutes
from core.posts import clean_skills, split_skills
from core.rules import Rules


class FieldErrors(Exception):
    """Validation messages by field name, to show back on the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class Reader:
    """Collects every field's problem at once, so the member fixes them in one go."""

    def __init__(self, values: dict[str, Any], rules: Rules) -> None:
        self.values = values or {}
        self.rules = rules
        self.errors: dict[str, str] = {}

    def text(self, name: str, required: bool = False, limit: int | None = None, what: str = "") -> str:
        value = str(self.values.get(name) or "").strip()
        if required and not value:
            self.errors[name] = f"Please fill in {what or name}."
        elif limit is not None and len(value) > limit:
            self.errors[name] = f"That's {len(value)} characters; the limit is {limit}."
        return value

    def minutes(self, name: str, required: bool = True, cap: int | None = None) -> int | None:
        raw = str(self.values.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = "Please give the hours, e.g. 1h30 or 90m."
            return None
        try:
            return parse_minutes(raw, cap or self.rules.session_cap_minutes)
        except InvalidInput as bad:
            self.errors[name] = bad.message
            return None

    def skills(self, name: str) -> list[str]:
        raw = self.values.get(name) or []
        items = split_skills(raw) if isinstance(raw, str) else list(raw)
        try:
            return clean_skills(items, self.rules)
        except InvalidInput as bad:
            self.errors[name] = bad.message
            return []

    def choice(self, name: str, allowed: set[str], required: bool = False) -> str | None:
        value = self.values.get(name)
        value = str(value).strip() if value not in (None, "") else None
        if value is None:
            if required:
                self.errors[name] = "Please choose one."
            return None
        if value not in allowed:
            self.errors[name] = "Please choose one of the options."
            return None
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or str(value).lower() in ("true", "on", "yes", "1")

    def done(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)
