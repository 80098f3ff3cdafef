"""Campaign channels through the conversation: leads link a channel, and each new need of the campaign is queued to it once."""

from bot.conversation import Conversation
from bot.turns import Turn
from core import campaign_flow, directory
from core.members import Role
from core.outbox import OutboxItem


def turn(user: str, platform: str = "slack", channel: str = "C1", name: str = "green-team", **kw) -> Turn:
    where = "T1" if platform == "slack" else "tenant-1"
    return Turn(platform=platform, workspace_id=where, user_id=user, display_name=user.title(),
                channel_id=channel, channel_name=name, personal=not channel, **kw)


async def member(bank, user: str, role: str = Role.MEMBER, platform: str = "slack"):
    where = "T1" if platform == "slack" else "tenant-1"
    found, _ = await bank.run(directory.resolve, platform, where, user, user.title())
    if role == Role.LEAD:
        root, _ = await bank.run(directory.resolve, "console", "local", "root", "Root")
        await bank.run(directory.bootstrap_admin, "console", "local", "root")
        await bank.run(directory.appoint, root.id, found.id, role)
        bio = await bank.read(campaign_flow.find, "biodiversity")
        await bank.run(campaign_flow.appoint_lead, root.id, bio.id, found.id)
    return found


async def announcements(bank) -> list[OutboxItem]:
    from sqlalchemy import select

    async def rows(ctx):
        query = select(OutboxItem).where(OutboxItem.kind == "announce").order_by(OutboxItem.id)
        return list((await ctx.uow.outbox.session.execute(query)).scalars())

    return await bank.read(rows)


async def post_need(convo, bank, user: str, slug: str, title: str, key: str):
    campaign = await bank.read(campaign_flow.find, slug)
    values = {"title": title, "description": "Details", "campaign": str(campaign.id), "skills": "ponds",
              "hours": "1h"}
    return await convo.handle(turn(user, channel="", form_id="need.post", values=values, request_key=key))


async def test_only_a_lead_links_and_only_from_inside_a_channel(bank):
    convo = Conversation(bank)
    await member(bank, "mo")
    await member(bank, "lena", Role.LEAD)
    refused = await convo.handle(turn("mo", command="campaign", text="link biodiversity"))
    assert "Only a lead" in refused.cards[-1].text
    in_dm = await convo.handle(turn("lena", channel="", command="campaign", text="link biodiversity"))
    assert "inside it" in in_dm.cards[-1].text
    console = await convo.handle(Turn(platform="console", workspace_id="local", user_id="lena",
                                      command="campaign", text="link biodiversity"))
    assert "Slack or Teams" in console.cards[-1].text
    unknown = await convo.handle(turn("lena", command="campaign", text="link no-such-thing"))
    assert "can't find that campaign" in unknown.cards[-1].text
    bio = await bank.read(campaign_flow.find, "biodiversity")
    assert await bank.read(lambda ctx: ctx.uow.channels.for_campaign(bio.id)) == []


async def test_a_linked_channel_gets_each_new_need_of_its_campaign_once(bank):
    convo = Conversation(bank)
    await member(bank, "lena", Role.LEAD)
    await member(bank, "mo")
    linked = await convo.handle(turn("lena", command="campaign", text="link biodiversity"))
    assert linked.cards[0].title == "Linked to Biodiversity" and not linked.private
    again = await convo.handle(turn("lena", command="campaign", text="link biodiversity"))
    assert "already" in again.cards[0].text

    await post_need(convo, bank, "mo", "biodiversity", "Survey our hedgerow", key="k1")
    await post_need(convo, bank, "mo", "biodiversity", "Survey our hedgerow", key="k1")  # a retried submit
    await post_need(convo, bank, "mo", "waste-management", "Audit our bins", key="k2")  # not linked
    rows = await announcements(bank)
    assert len(rows) == 1
    assert rows[0].member_id is None and rows[0].channel_link_id is not None
    assert "Survey our hedgerow" in str(rows[0].payload) and "Biodiversity" in str(rows[0].payload)

    card = await convo.handle(turn("mo", channel="", command="campaigns", text="show biodiversity"))
    where = {f.label: f.value for f in card.cards[0].fields}["New needs announced in"]
    assert where == "#green-team in Slack"
    here = await convo.handle(turn("mo", command="campaign", text="channels"))
    assert here.cards[0].text == "Biodiversity"


async def test_one_channel_per_platform_relinking_replaces_and_unlink_stops(bank):
    convo = Conversation(bank)
    await member(bank, "lena", Role.LEAD)
    await member(bank, "mo")
    await member(bank, "tara", Role.LEAD, platform="teams")
    await convo.handle(turn("lena", command="campaign", text="link biodiversity"))
    moved = await convo.handle(turn("lena", channel="C2", name="nature", command="campaign",
                                    text="link biodiversity"))
    assert "replaces #green-team in Slack" in moved.cards[0].text
    await convo.handle(turn("tara", platform="teams", channel="19:abc@thread.tacv2", name="Nature",
                            command="campaign", text="link biodiversity"))
    await post_need(convo, bank, "mo", "biodiversity", "Count the bees", key="k3")
    rows = await announcements(bank)
    links = {link.id: link for link in await bank.read(_links)}
    assert sorted((links[r.channel_link_id].platform, links[r.channel_link_id].channel_id) for r in rows) == [
        ("slack", "C2"), ("teams", "19:abc@thread.tacv2")]

    gone = await convo.handle(turn("lena", channel="", command="campaign", text="unlink biodiversity"))
    assert "no longer announced in #nature in Slack" in gone.cards[0].text
    await post_need(convo, bank, "mo", "biodiversity", "Count the moths", key="k4")
    later = [r for r in await announcements(bank) if r.id not in {x.id for x in rows}]
    assert [links[r.channel_link_id].platform for r in later] == ["teams"]
    twice = await convo.handle(turn("lena", channel="", command="campaign", text="unlink biodiversity"))
    assert "has no linked Slack channel" in twice.cards[-1].text


async def _links(ctx):
    bio = await campaign_flow.find(ctx, "biodiversity")
    return await ctx.uow.channels.for_campaign(bio.id)
