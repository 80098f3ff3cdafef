"""Whole exchanges through Teams: two Teams users, and a Slack member with a Teams member."""

import pytest

from bot.config import load_settings
from bot.conversation import Conversation
from bot.turns import Turn
from core import statements
from tests.bot.teams.harness import TENANT, User
from tests.bot.teams.test_cards_and_tasks import form_data

ALICE, BOB = User("Alice"), User("Bob")
CARD = "application/vnd.microsoft.card.adaptive"


def exchange_handlers_present() -> bool:
    router = Conversation.__init__.__globals__["load"]()
    return {"match.propose", "exchange.accept", "exchange.confirm"} <= set(router.actions)


pytestmark = pytest.mark.skipif(not exchange_handlers_present(),
                                reason="the router has no exchange handlers yet (match.propose/exchange.*)")


def button(call, verb: str) -> dict:
    found = [data for v, data in call.buttons() if v == verb]
    assert found, f"no {verb} button in {call.buttons()}"
    return found[0]


async def post_offer(teams, user: User) -> None:
    data = form_data("offer.post", title="Sustainable procurement advice", skills="procurement, recycling",
                     campaigns="1", hours="6h")
    assert await teams.task(user, "task/submit", {**data, "ms": ["campaigns"]}, reply_to="") is None


async def test_two_teams_users_complete_an_exchange_with_proactive_notices(teams):
    await teams.say(ALICE, "hello")
    await teams.say(BOB, "hello")
    need = form_data("need.post", title="Procurement review of theatre waste", skills="procurement",
                     campaign="1", hours="2h")
    assert await teams.task(ALICE, "task/submit", need, reply_to="") is None
    await post_offer(teams, BOB)

    await teams.say(ALICE, "matches")
    propose = button(teams.connector.to(ALICE.chat)[-1], "match.propose")
    await teams.execute(ALICE, "match.propose", propose)

    [asked] = teams.connector.to(BOB.chat, "send")  # proactive, on Bob's stored conversation
    accepted = await teams.execute(BOB, "exchange.accept", button(asked, "exchange.accept"))
    assert accepted["type"] == CARD and "Accepted" in str(accepted["value"])
    assert "exchange.accept" not in str(accepted["value"])  # updated in place: no second accept
    told = teams.connector.to(ALICE.chat, "send")[-1]
    assert "accepted" in told.texts.lower()

    exchange_id = button(asked, "exchange.accept")["r"]
    await teams.say(BOB, f"log {exchange_id} 1h30")
    to_confirm = teams.connector.to(ALICE.chat, "send")[-1]
    confirmed = await teams.execute(ALICE, "exchange.confirm", button(to_confirm, "exchange.confirm"))
    assert confirmed["type"] == CARD and "1 h 30 min moved" in str(confirmed["value"])
    assert "1 h 30 min" in teams.connector.to(BOB.chat, "send")[-1].texts

    assert (await _balance(teams, ALICE)).balance == -90 and (await _balance(teams, BOB)).balance == 90


async def _balance(teams, user: User):
    member = await teams.services.bank.read(_by_key, user.aad)
    return await teams.services.bank.read(statements.balance, member.id)


async def _by_key(ctx, key: str):
    return await ctx.uow.members.by_identity("teams", TENANT, key)


@pytest.fixture
async def slack_too(teams):
    """The real Slack sender beside Teams, talking to the Slack front end's fake Slack Web API."""
    from bot.slack import frontend as slack_frontend
    from tests.bot.slack.fake_slack import TOKEN, FakeSlack
    fake = FakeSlack()
    await fake.start()
    teams.services.settings = load_settings(database_url=teams.services.db.url, slack_signing_secret="s",
                                            slack_bot_token=TOKEN, slack_api_url=fake.url + "/api/")
    slack_frontend.install(teams.services)
    yield fake
    await fake.stop()


async def test_a_slack_member_and_a_teams_member_trade_each_told_on_their_own_platform(teams, slack_too):
    convo = teams.services.conversation

    def sam(**kw) -> Turn:
        return Turn(platform="slack", workspace_id="T1", user_id="USAM", display_name="Sam", **kw)

    await teams.say(BOB, "hello")
    posted = await convo.handle(sam(form_id="need.post", values={
        "title": "Procurement review of theatre waste", "skills": "procurement", "campaign": "1", "hours": "2h"}))
    need_id = posted.cards[1].title.split("#")[1].split(":")[0]
    await post_offer(teams, BOB)
    offer_id = teams.connector.to(BOB.chat)[-1].titles[1].split("#")[1].split(":")[0]

    await convo.handle(sam(action="match.propose", ref=f"{need_id}:{offer_id}"))
    [asked] = teams.connector.to(BOB.chat, "send")
    await teams.execute(BOB, "exchange.accept", button(asked, "exchange.accept"))
    assert "accepted" in str(slack_too.last("chat.postMessage")).lower()

    exchange_id = button(asked, "exchange.accept")["r"]
    await teams.say(BOB, f"log {exchange_id} 1h")
    assert "exchange.confirm" in str(slack_too.last("chat.postMessage"))
    await convo.handle(sam(action="exchange.confirm", ref=exchange_id))
    assert "1 h" in teams.connector.to(BOB.chat, "send")[-1].texts
    assert (await _balance(teams, BOB)).balance == 60
