"""The Teams app manifest (v1.22) and the app package: manifest.json plus both icons at the zip root."""

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.router import Router

FOLDER = Path(__file__).resolve().parents[2] / "manifests" / "teams"
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
PREFERRED = ("help", "need", "offer", "needs", "offers", "matches", "exchanges", "balance", "home", "profile")


def commands(router: Router) -> list[dict[str, str]]:
    """Up to ten member commands for the compose box, from whatever the router has."""
    found = [router.commands[n] for n in PREFERRED if n in router.commands]
    found += [c for c in router.commands.values() if c not in found and c.audience == "member"]
    return [{"title": c.name[:32], "description": c.summary[:128]} for c in found[:10]]


def build(router: Router, app_id: str = PLACEHOLDER_ID, base_url: str = "https://hexitime.example.org",
          bot_id: str | None = None) -> dict[str, Any]:
    """The manifest: one bot in personal, team and group-chat scopes, with its command lists."""
    host = urlsplit(base_url).hostname or "hexitime.example.org"
    site = f"https://{host}"
    listed = commands(router)
    return {
        "$schema": SCHEMA,
        "manifestVersion": "1.22",
        "version": "1.0.0",
        "id": app_id,
        "developer": {"name": "Hexitime", "websiteUrl": site, "privacyUrl": f"{site}/privacy",
                      "termsOfUseUrl": f"{site}/terms"},
        "name": {"short": "Hexitime", "full": "Hexitime time bank"},
        "description": {
            "short": "Trade hours of help across the NHS and its partners.",
            "full": ("A time bank for the NHS net-zero campaigns: post needs, offer hours, get matched, "
                     "agree an exchange and confirm the session. One hour of help given earns one hour "
                     "of credit, whoever gives it, in one ledger shared with partners in Slack."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#1F7A5C",
        "bots": [{
            "botId": bot_id or app_id,
            "scopes": ["personal", "team", "groupChat"],
            "supportsFiles": True,  # exports and reports arrive through FileConsentCard
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal"], "commands": listed},
                             {"scopes": ["team", "groupChat"], "commands": listed}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def package(manifest: dict[str, Any], folder: Path = FOLDER) -> bytes:
    """The zip Teams accepts for upload: manifest.json, color.png and outline.png at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for icon in ("color.png", "outline.png"):
            archive.write(folder / icon, icon)
    return buffer.getvalue()


def write_package(router: Router, app_id: str, base_url: str, target: Path, bot_id: str | None = None) -> Path:
    target.write_bytes(package(build(router, app_id, base_url, bot_id)))
    return target


GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PACKAGE = Path("manifests") / "teams" / "hexitime-teams.zip"


def write(app_id: str, base_url: str, root: Path = Path("."), bot_id: str | None = None) -> Path:
    """Write manifests/teams/hexitime-teams.zip under `root`, ready for Teams' "Upload a custom app"."""
    from bot.handlers import load

    if not GUID.match(app_id or ""):
        raise ValueError(f"the Teams app id must be a GUID like {PLACEHOLDER_ID}, not {app_id!r}")
    target = root / PACKAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_package(load(), app_id, base_url, target, bot_id)
