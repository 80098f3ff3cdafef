"""The whole exchange between two Slack users, one of them from another organisation (Slack Connect)."""

import pytest

from bot.handlers import load
from core import statements
from core.ports import Context
from tests.bot.slack.harness import User, button
from tests.bot.slack.test_surfaces import post_need

ALICE = User("UALICE", team="T1", name="alice")
BOB = User("UBOB", team="T1", own_team="T2", name="bob")  # acts in T1's shared channel, belongs to T2
STEPS = ("need.help", "exchange.accept", "exchange.log", "exchange.confirm")


async def member(bank, team: str, user: str):
    async def find(ctx: Context):
        return await ctx.uow.members.by_identity("slack", team, user)
    return await bank.read(find)


def latest_dm(slack, user: User) -> list[dict]:
    sent = slack.dms(user)
    assert sent, f"no direct message to {user.id}"
    return sent[-1]


async def test_exchange_between_a_member_and_a_slack_connect_guest(slack):
    missing = [a for a in STEPS if a not in load().actions]
    if missing:
        pytest.skip(f"exchange handlers not in the router yet: {missing}")
    bank = slack.services.bank
    await post_need(slack, ALICE, "Theatre waste audit")

    _, listing = await slack.command(BOB, "needs")
    status, _ = await slack.click(BOB, button(listing["blocks"], "need.help"))
    assert status == 200
    await slack.settle()

    accept = button(latest_dm(slack, ALICE), "exchange.accept")
    status, _ = await slack.click(ALICE, accept, channel="DALICE")
    assert status == 200
    await slack.settle()

    log_button = button(latest_dm(slack, BOB), "exchange.log")
    status, _ = await slack.click(BOB, log_button, channel="DBOB")
    await slack.settle()
    form = slack.last_form()
    assert form["callback_id"] == "exchange.log"
    status, body = await slack.submit(BOB, form, {"hours": "1h"})
    assert body == {"response_action": "clear"}
    await slack.settle()

    confirm = button(latest_dm(slack, ALICE), "exchange.confirm")
    status, _ = await slack.click(ALICE, confirm, channel="DALICE")
    assert status == 200
    await slack.settle()

    alice, bob = await member(bank, "T1", "UALICE"), await member(bank, "T2", "UBOB")
    assert await member(bank, "T1", "UBOB") is None  # the guest is keyed by their own organisation
    assert (await bank.read(statements.balance, bob.id)).balance == 60
    assert (await bank.read(statements.balance, alice.id)).balance == -60
    assert slack.fake.invalid == []
