"""A campaign's linked Teams channel: a lead links it by @mention, and the campaign's new needs go to the channel."""

from bot.delivery.worker import deliver_due
from bot.handlers import channels
from core import campaign_flow, directory, marketplace
from core.outbox import Delivery, OutboxItem
from tests.bot.teams.harness import TENANT, User
from tests.bot.teams.test_channels import CHANNEL_ID, in_channel

LENA, MO = User("Lena"), User("Mo")


async def link_here(teams) -> None:
    await teams.say(LENA, "balance")
    await teams.services.bank.run(directory.bootstrap_admin, "teams", TENANT, LENA.aad)
    activity = in_channel(teams, LENA, "campaign link biodiversity")
    activity["channelData"]["channel"]["name"] = "Nature"
    status, _ = await teams.post(activity)
    assert status in (200, 201)
    assert any("Linked to Biodiversity" in str(call.body) for call in teams.connector.calls)


async def need_by(teams, user: User, title: str) -> None:
    await teams.say(user, "balance")
    bank = teams.services.bank
    member = await bank.read(directory.lookup, "teams", TENANT, user.aad)
    bio = await bank.read(campaign_flow.find, "biodiversity")
    await bank.run(marketplace.post_need, member.id, title, "Details", ["ponds"], bio.id, 90, client_key="k",
                   then=channels.announce)


async def announcement_rows(teams) -> list[OutboxItem]:
    from sqlalchemy import select

    async def read(ctx):
        return list((await ctx.uow.outbox.session.execute(
            select(OutboxItem).where(OutboxItem.kind == "announce"))).scalars())

    return await teams.services.bank.read(read)


async def test_the_campaigns_new_need_is_posted_in_the_linked_teams_channel(teams):
    await link_here(teams)
    card = await teams.services.bank.read(_card_field)
    assert card == "#Nature in Teams"
    await need_by(teams, MO, "Build a bee hotel")
    assert await deliver_due(teams.services, "w1") >= 1
    [post] = teams.connector.to(CHANNEL_ID, "send")
    assert "New need in Biodiversity: Build a bee hotel" in str(post.cards)
    assert "I can help" in str(post.cards) and "<at>" not in str(post.body)
    teams.check_sent_cards()
    [row] = await announcement_rows(teams)
    assert row.state == Delivery.SENT and row.platform == "teams" and row.platform_message_id == post.activity_id


async def test_a_channel_that_removed_the_bot_is_marked_unreachable_not_retried(teams):
    await link_here(teams)
    await need_by(teams, MO, "Map the meadow")
    teams.connector.fail_next(403, code="BotNotInConversationRoster")
    await deliver_due(teams.services, "w1")
    [row] = await announcement_rows(teams)
    assert row.state == Delivery.UNREACHABLE
    await deliver_due(teams.services, "w1")
    assert not teams.connector.to(CHANNEL_ID, "send")  # not tried again
    told = [sent.texts for sent in teams.connector.to(LENA.chat, "send")]
    assert any("couldn't post" in said and "Manage apps" in said for said in told), told


async def _card_field(ctx):
    bio = await campaign_flow.find(ctx, "biodiversity")
    return channels.described(await ctx.uow.channels.for_campaign(bio.id))
