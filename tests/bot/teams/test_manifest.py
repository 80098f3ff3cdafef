"""The Teams manifest validates against the vendored schema; icons are right; the package builds."""

import io
import json
import struct
import zipfile
import zlib

import pytest

from bot.cli import main
from bot.handlers import load
from bot.teams import icons, manifest
from tests.bot.teams.harness import REFERENCE

APP_ID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
SCHEMAS = [REFERENCE / "schemas" / f"teams-manifest-v{v}.schema.json" for v in ("1.22",)]


def errors(document: dict) -> list[str]:
    schema_path = SCHEMAS[0]
    if not schema_path.exists():
        pytest.skip(f"Teams manifest schema {schema_path} is absent")
    from jsonschema import Draft4Validator  # no check_schema(): one pattern uses ECMAScript \p{L}
    return [f"{list(e.absolute_path)}: {e.message}" for e in Draft4Validator(json.loads(schema_path.read_text()))
            .iter_errors(document)]


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGBA rows of one of our (8-bit RGBA, unfiltered) PNGs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6), "expected 8-bit RGBA"
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    return width, height, [raw[r * stride + 1:(r + 1) * stride] for r in range(height)]


def test_committed_manifest_is_what_we_build_and_validates():
    committed = json.loads((manifest.FOLDER / "manifest.json").read_text())
    built = manifest.build(load())
    assert {k: v for k, v in committed.items() if k != "bots"} == {k: v for k, v in built.items() if k != "bots"}
    assert errors(committed) == []
    bot = committed["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is built["bots"][0]["supportsFiles"] is True  # exports come as FileConsentCards
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles[:2] == ["help", "need"] and "balance" in titles and len(titles) <= 10


def test_a_built_manifest_with_a_real_app_id_validates():
    built = manifest.build(load(), APP_ID, "https://time.example.org/")
    assert errors(built) == [] and built["validDomains"] == ["time.example.org"]


def test_icons_are_192_colour_and_32_white_on_transparent():
    width, height, rows = read_png((manifest.FOLDER / "color.png").read_bytes())
    assert (width, height) == (192, 192)
    assert all(row[3::4] == b"\xff" * 192 for row in rows)  # opaque
    width, height, rows = read_png((manifest.FOLDER / "outline.png").read_bytes())
    assert (width, height) == (32, 32)
    pixels = [bytes(row[i:i + 4]) for row in rows for i in range(0, len(row), 4)]
    assert set(pixels) == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}  # only white, or fully transparent
    assert (manifest.FOLDER / "color.png").read_bytes() == icons.color_icon()
    assert (manifest.FOLDER / "outline.png").read_bytes() == icons.outline_icon()


def test_cli_builds_the_app_package_with_everything_at_its_root(tmp_path, capsys):
    args = ["manifests", "--base-url", "https://time.example.org", "--teams-app-id", APP_ID, "--out", str(tmp_path)]
    assert main(args) == 0
    package = zipfile.ZipFile(io.BytesIO((tmp_path / manifest.PACKAGE).read_bytes()))
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    inside = json.loads(package.read("manifest.json"))
    assert inside["id"] == APP_ID and inside["bots"][0]["botId"] == APP_ID and errors(inside) == []


def test_cli_refuses_an_app_id_that_is_not_a_guid(tmp_path, capsys):
    main(["manifests", "--base-url", "https://t.example", "--teams-app-id", "x", "--out", str(tmp_path)])
    assert "must be a GUID" in capsys.readouterr().err and not (tmp_path / manifest.PACKAGE).exists()
