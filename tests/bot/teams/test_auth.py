"""With MicrosoftAppId set, requests without a valid Bot Framework token are refused with 401."""

import base64
import json

import pytest

from bot.config import load_settings
from bot.teams.adapter import announce
from tests.bot.teams.harness import User, open_harness

ALICE = User("Alice")


@pytest.fixture
async def secured(db, bank, clock):
    harness, close = await open_harness(db, bank, clock, microsoft_app_id="00000000-0000-0000-0000-00000000abcd",
                                        microsoft_app_password="not-a-real-secret")
    yield harness
    await close()


def unsigned_jwt(issuer: str) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'x'})}.{part({'iss': issuer, 'aud': 'x'})}.c2ln"


@pytest.mark.parametrize("header", [None, "Bearer garbage", "Basic abc",
                                    f"Bearer {unsigned_jwt('https://evil.example.com')}"])
async def test_no_or_bad_token_is_refused(secured, header):
    headers = {"Authorization": header} if header else {}
    status, _ = await secured.post(secured.envelope(ALICE, text="balance"), headers=headers)
    assert status == 401
    invoke = secured.envelope(ALICE, type="invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", "verb": "x", "data": {}}})
    status, _ = await secured.post(invoke, headers=headers)
    assert status == 401
    assert secured.connector.calls == []


async def test_auth_off_without_app_id_answers_and_warns_loudly(teams, caplog):
    status, _ = await teams.say(ALICE, "help")
    assert status == 201
    announce(load_settings(microsoft_app_id="app"))
    assert "WITHOUT authentication" not in caplog.text
    announce(load_settings())
    assert [r.levelname for r in caplog.records if "WITHOUT authentication" in r.getMessage()] == ["WARNING"]


async def test_malformed_requests_are_400_or_415_not_500(teams):
    async with teams.session.post(f"{teams.base}/api/messages", data="nope",
                                  headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 400
    async with teams.session.post(f"{teams.base}/api/messages", data="x") as resp:
        assert resp.status == 415
    status, _ = await teams.post({"text": "no type"})
    assert status == 400
