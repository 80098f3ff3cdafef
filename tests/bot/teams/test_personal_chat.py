"""Personal chat: typed commands in, Adaptive Cards out, first contact keyed by tenant and AAD id."""

from bot.teams.turns import PLATFORM
from core.ports import Context
from tests.bot.teams.harness import TENANT, User

ALICE = User("Alice")


async def _member(ctx: Context, key: str):
    return await ctx.uow.members.by_identity(PLATFORM, TENANT, key)


async def test_balance_in_personal_chat_answers_with_a_card(teams):
    status, body = await teams.say(ALICE, "balance")
    assert status == 201 and body is None
    [reply] = teams.connector.to(ALICE.chat)
    assert reply.titles == ["Welcome to Hexitime", "Your hours"]
    member = await teams.services.bank.read(_member, ALICE.aad)
    assert member.display_name == "Alice" and member.timezone == "Europe/London"


async def test_time_zone_comes_from_local_timezone(teams):
    await teams.say(User("Chidi"), "help", localTimezone="America/New_York")
    member = await teams.services.bank.read(_member, User("Chidi").aad)
    assert member.timezone == "America/New_York"


async def test_unknown_command_gets_a_friendly_suggestion(teams):
    await teams.say(ALICE, "balanse")
    [reply] = teams.connector.to(ALICE.chat)
    assert "Did you mean `balance`?" in reply.texts


async def test_expect_replies_returns_the_replies_in_the_body(teams):
    status, body = await teams.say(ALICE, "balance", deliveryMode="expectReplies")
    assert status == 200
    assert body["activities"][0]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert teams.connector.to(ALICE.chat) == []
