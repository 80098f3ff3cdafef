"""Campaign channels: leads link the channel they are in, and new needs of the campaign are announced there."""

from bot import viewcodec
from bot.handlers.common import member_name, shortened
from bot.turns import Request
from bot.views import PRIMARY, Button, Card, Field, Message, Reply, problem, say
from core import channels
from core.campaigns import Campaign
from core.minutes import format_minutes
from core.ports import Context
from core.posts import Need

LINKABLE = set(channels.PLATFORMS)
WHERE = ("Run it in the channel itself: in Slack `/hexitime campaign link {slug}` there; in Teams, "
         "mention me in the channel: `@Hexitime campaign link {slug}`.")


async def link(req: Request, ref: str) -> Reply:
    """`campaign link <name>`, typed in the channel to link; one channel per platform, so it may replace one."""
    turn = req.turn
    if turn.platform not in LINKABLE:
        return problem("Channels can be linked from Slack or Teams, not from here.")
    if turn.personal or not turn.channel_id:
        return problem("I can only link a channel from inside it. " + WHERE.format(slug=ref or "<campaign>"))
    done = await req.bank.run(channels.link, req.member.id, ref, turn.platform, turn.workspace_id,
                              turn.channel_id, turn.channel_name)
    title = done.campaign.title
    if done.unchanged:
        return say(Card(text=f"This channel is already where {title}'s new needs are announced."))
    said = f"From now on I'll announce {title}'s new needs here."
    if done.replaced is not None:
        said += f" (That replaces {done.replaced.label}.)"
    if turn.platform == "slack":
        said += " In a private channel, invite me first with `/invite @Hexitime`."
    return say(Card(title=f"Linked to {title}", text=said,
                    note=f"Undo with `campaign unlink {done.campaign.slug}`"), private=False)


async def unlink(req: Request, ref: str) -> Reply:
    """`campaign unlink <name>`: stop announcing on the platform this is typed on (or `… slack` / `… teams`)."""
    words = ref.split()
    platform = words.pop() if len(words) > 1 and words[-1].lower() in LINKABLE else req.turn.platform
    if platform not in LINKABLE:
        return problem("Say which platform: `campaign unlink <campaign> slack` or `… teams`.")
    campaign, gone = await req.bank.run(channels.unlink, req.member.id, " ".join(words), platform.lower())
    return say(Card(text=f"{campaign.title}'s new needs are no longer announced in {gone.label}."))


async def here(req: Request) -> Reply:
    """`campaign channels`: which campaigns this channel announces."""
    turn = req.turn
    if turn.personal or not turn.channel_id:
        return problem("Ask that in a channel. " + WHERE.format(slug="<campaign>"))
    found = await req.bank.read(channels.in_channel, turn.platform, turn.workspace_id, turn.channel_id)
    if not found:
        return say(Card(text="No campaign announces its needs here yet. A lead can link one with "
                             "`campaign link <campaign>`."))
    return say(Card(title="Announced here", text=", ".join(c.title for c in found)))


def described(links: list[channels.ChannelLink]) -> str:
    """For the campaign card: where its needs are announced."""
    return ", ".join(link_.label for link_ in links) or "none"


async def announce(ctx: Context, need: Need) -> None:
    """`then=` of posting a need: its announcement queued to the campaign's channels in the same transaction."""
    await channels.announce_need(ctx, need, _announcement(await member_name(ctx, need.owner_id)))


def _announcement(owner: str):
    def render(need: Need, campaign: Campaign) -> dict:
        return viewcodec.encode(announcement(need, campaign, owner))

    return render


def announcement(need: Need, campaign: Campaign, owner: str) -> Message:
    """What the channel sees: the need, who asks, and a way to help — no mention of anyone."""
    fields = [Field("Asked by", owner), Field("Estimate", format_minutes(need.minutes))]
    if need.skills:
        fields.append(Field("Skills", ", ".join(need.skills)))
    card = Card(title=f"New need in {campaign.title}: {need.title}", text=shortened(need.description, 500),
                fields=tuple(fields),
                buttons=(Button("I can help", "need.help", str(need.id), PRIMARY),
                         Button("Open needs", "needs.page", f"0|campaign {campaign.slug}")),
                note=f"Need #{need.id} · `campaigns join {campaign.slug}` to get its news")
    return Message(cards=(card,))


def cannot_post(campaign: Campaign, link: channels.ChannelLink, reason: str) -> Message:
    """For the lead who linked a channel the bot can't post in: what went wrong and the one step that fixes it."""
    if link.platform == "slack":
        fix = ("If it is a private channel, invite me there with `/invite @Hexitime`; if it was archived or "
               "deleted, link another")
    else:
        fix = "Add Hexitime to that channel's team (Apps, then Manage apps), or link another channel"
    card = Card(title=f"I couldn't post in {link.label}",
                text=(f"I couldn't post {campaign.title}'s new needs in {link.label}. {fix} with "
                      f"`campaign link {campaign.slug}` in it. Until then its needs stay in `needs`."),
                note=f"Reason: {shortened(reason, 200)}")
    return Message(cards=(card,))
