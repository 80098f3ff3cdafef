"""A campaign's linked Slack channel, end to end: a lead links it, a member posts a need, the worker announces it there."""

from bot.delivery.worker import deliver_due
from core import campaign_flow, directory
from core.outbox import Delivery, OutboxItem
from tests.bot.slack.fake_slack import texts
from tests.bot.slack.harness import User, button

LENA = User("ULENA", team="T1", name="lena")  # the campaign's lead
MO = User("UMO", team="T1", name="mo")
KIT = User("UKIT", team="T1", name="kit")
GREEN = "C0GREEN"


async def linked(slack) -> None:
    await slack.command(LENA, "balance")
    await slack.services.bank.run(directory.bootstrap_admin, "slack", "T1", LENA.id)
    status, body = await slack.command(LENA, "campaign link biodiversity", channel=GREEN)
    assert status == 200 and body["response_type"] == "in_channel"
    assert "Linked to Biodiversity" in str(body["blocks"])


async def post_need(slack, user: User, title: str, slug: str = "biodiversity") -> None:
    campaign = await slack.services.bank.read(campaign_flow.find, slug)
    await slack.command(user, f"need {title}", channel="D" + user.id[1:])
    await slack.settle()
    _, body = await slack.submit(user, slack.last_form(), {"title": title, "hours": "2h",
                                                           "campaign": str(campaign.id)})
    assert body == {"response_action": "clear"}
    await slack.settle()


def channel_posts(slack, channel: str = GREEN) -> list[dict]:
    return [args for args in slack.fake.of("chat.postMessage") if args.get("channel") == channel]


async def rows(slack) -> list[OutboxItem]:
    from sqlalchemy import select

    async def read(ctx):
        query = select(OutboxItem).where(OutboxItem.kind == "announce")
        return list((await ctx.uow.outbox.session.execute(query)).scalars())

    return await slack.services.bank.read(read)


async def test_a_new_need_is_announced_once_in_the_linked_channel_and_anyone_there_can_help(slack):
    await linked(slack)
    await post_need(slack, MO, "Survey the hedgerow")
    await post_need(slack, MO, "Sort the recycling", slug="waste-management")  # not linked: not announced
    assert await deliver_due(slack.services, "w1") >= 1
    assert await deliver_due(slack.services, "w1") == 0

    [post] = channel_posts(slack)
    shown = " ".join(texts(post["blocks"]))
    assert "New need in Biodiversity: Survey the hedgerow" in shown and "Asked by\nmo" in shown
    assert "<@" not in str(post["blocks"]) and "<!" not in str(post["blocks"])  # no mention of anyone
    [row] = await rows(slack)
    assert row.state == Delivery.SENT and row.platform_message_id == post.get("ts", row.platform_message_id)

    status, _ = await slack.click(KIT, button(post["blocks"], "need.help"), channel=GREEN)
    assert status == 200
    await slack.settle()
    kit = await slack.services.bank.read(directory.lookup, "slack", "T1", KIT.id)
    [proposal] = await slack.services.bank.read(_exchanges)
    assert (proposal.state, proposal.helper_id) == ("proposed", kit.id)


async def _exchanges(ctx):
    return await ctx.uow.exchanges.for_campaign(None)


async def test_a_channel_the_bot_cannot_post_in_is_marked_and_the_lead_is_told(slack):
    await linked(slack)
    slack.fake.failures[f"chat.postMessage:{GREEN}"] = "not_in_channel"  # a private channel, bot not invited
    await post_need(slack, MO, "Plant the wildflower strip")
    await post_need(slack, MO, "Dig the pond")
    await deliver_due(slack.services, "w1")
    await deliver_due(slack.services, "w1")
    assert {(row.state, "not_in_channel" in row.last_error) for row in await rows(slack)} == {
        (Delivery.UNREACHABLE, True)}
    told = [" ".join(texts(blocks)) for blocks in slack.dms(LENA)]
    warnings = [said for said in told if "couldn't post" in said]
    assert len(warnings) == 1, told  # two needs failed there; the lead hears it once
    assert "/invite @Hexitime" in warnings[0] and "campaign link biodiversity" in warnings[0]
