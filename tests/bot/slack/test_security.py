"""Signatures, retries, double clicks, other people's buttons and injection: nothing slips through."""

import re
import time
from urllib.parse import urlencode

import pytest

from core.ports import Context
from tests.bot.slack.fake_slack import texts
from tests.bot.slack.harness import User, button, signed_headers
from tests.bot.slack.test_surfaces import needs_of, post_need

ALICE, BOB = User("UALICE", name="alice"), User("UBOB", name="bob")
BODY = urlencode({"team_id": "T1", "user_id": "UEVE", "command": "/hexitime", "text": "need x",
                  "channel_id": "C1", "trigger_id": "1.2.3", "response_url": "http://127.0.0.1:9/x"})


async def members(bank) -> int:
    async def count(ctx: Context):
        return await ctx.uow.members.by_identity("slack", "T1", "UEVE")
    return await bank.read(count)


@pytest.mark.parametrize("headers", [
    {},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
    signed_headers(BODY, secret="not-the-secret"),
    signed_headers(BODY, at=time.time() - 6 * 60),
], ids=["missing", "wrong", "other-secret", "stale"])
async def test_bad_signatures_are_refused_and_change_nothing(slack, headers):
    status, _ = await slack.post(BODY, headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
                                 sign=False)
    assert status == 401
    assert await members(slack.services.bank) is None
    assert slack.fake.calls == []


async def test_double_click_and_retry_propose_once(slack):
    await post_need(slack, ALICE, "Compost bins")
    _, listing = await slack.command(BOB, "needs")
    help_button = button(listing["blocks"], "need.help")
    first = slack.click_payload(BOB, help_button, message_ts="1700000001.000100")
    second = slack.click_payload(BOB, help_button, message_ts="1700000001.000100")  # a second click
    assert first["actions"][0]["action_ts"] != second["actions"][0]["action_ts"]
    for payload, headers in ((first, None), (second, None), (first, {"X-Slack-Retry-Num": "1"})):
        status, _ = await slack.interact(payload, headers=headers)
        assert status == 200
    await slack.settle()

    async def exchanges(ctx: Context):
        need = (await ctx.uow.needs.search(limit=5))[0]
        return [e for e in await ctx.uow.exchanges.for_member(need.owner_id, False) if e.need_id == need.id]
    assert len(await slack.services.bank.read(exchanges)) == 1


async def test_someone_elses_button_is_refused_politely(slack):
    await post_need(slack, ALICE, "Compost bins")
    _, mine = await slack.command(ALICE, "needs mine")
    withdraw = button(mine["blocks"], "need.withdraw")
    status, _ = await slack.click(BOB, withdraw)
    assert status == 200
    await slack.settle()
    answer = slack.fake.last("response_url")
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    said = " ".join(texts(answer["blocks"]))
    assert "Traceback" not in said and said
    assert (await needs_of(slack.services.bank, "Compost bins"))[0].status == "open"


INJECTIONS = "<!channel> <!here> <@U123> <https://x.example|y> &amp; *bold*"


async def test_user_text_is_inert_everywhere_it_is_shown(slack):
    await post_need(slack, ALICE, INJECTIONS)
    await slack.command(BOB, "needs")
    await slack.command(ALICE, "needs mine")
    shown = [t for call in slack.fake.calls for t in texts(call.args.get("blocks") or call.args.get("view") or [])]
    shown += [t for call in slack.fake.calls if call.method.startswith("chat.") for t in [call.args.get("text", "")]]
    _, listing = await slack.command(BOB, "needs")
    shown += texts(listing["blocks"])
    assert any("&lt;!channel&gt;" in t for t in shown)
    for text in shown:
        assert "<" not in text and ">" not in text, text
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text  # every & is an entity
    assert any("&amp;amp;" in t for t in shown)  # the typed "&amp;" shows as typed
    assert slack.fake.invalid == []
