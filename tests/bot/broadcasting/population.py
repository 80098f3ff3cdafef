"""Thousands of campaign participants on Slack and Teams, written in a few statements."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from core import campaign_flow, directory
from core.bank import Bank
from core.campaigns import Participation
from core.ledger import Account, AccountKind
from core.members import Identity, Member, Role
from storage.database import Database
from storage.teams_tables import teams_references

CLIENT_ID = "111.222"
BOT_ID = "28:hexitime-bot"


@dataclass
class Crowd:
    """Who was made: the lead, and each recipient's platform address (channel or conversation id)."""

    lead: Member
    campaign_slug: str
    slack: dict[int, str] = field(default_factory=dict)  # member id → Slack DM channel ("D…")
    teams: dict[int, str] = field(default_factory=dict)  # member id → Teams conversation id
    opted_out: set[int] = field(default_factory=set)

    @property
    def recipients(self) -> int:
        return len(self.slack) + len(self.teams) - len(self.opted_out)


def slack_user(workspace: str, n: int) -> str:
    return f"U{workspace}X{n:05d}"


def dm_channel(user_id: str) -> str:
    """The DM channel the stand-in Slack opens for a user (see fake_slack `conversations.open`)."""
    return "D" + user_id.lstrip("UW")


async def make_lead(bank: Bank, slug: str, platform: str = "slack", workspace: str = "T1",
                    user: str = "ULEAD") -> Member:
    root, _ = await bank.run(directory.resolve, "console", "local", "root", "Root")
    await bank.run(directory.bootstrap_admin, "console", "local", "root")
    lead, _ = await bank.run(directory.resolve, platform, workspace, user, "Lena Lead")
    await bank.run(directory.appoint, root.id, lead.id, Role.LEAD)
    await bank.run(campaign_flow.appoint_lead, root.id, slug, lead.id)
    return lead


async def populate(bank: Bank, crowd: Crowd, slack: dict[str, int], teams: dict[str, int],
                   service_url: str = "", opt_out_every: int = 0) -> Crowd:
    """`slack`: workspace → how many; `teams`: tenant → how many. Every `opt_out_every`th turns broadcasts off."""
    people = [("slack", ws, slack_user(ws, n)) for ws, count in slack.items() for n in range(count)]
    people += [("teams", tenant, f"aad-{tenant}-{n:05d}") for tenant, count in teams.items() for n in range(count)]
    made = await bank.run(_add_people, crowd.campaign_slug, people, opt_out_every)
    for (platform, _, user), (member_id, off) in zip(people, made, strict=True):
        if off:
            crowd.opted_out.add(member_id)
        if platform == "slack":
            crowd.slack[member_id] = dm_channel(user)
        else:
            crowd.teams[member_id] = f"a:chat-{user}"
    if teams:
        await add_teams_references(bank, people, service_url)
    return crowd


async def _add_people(ctx, slug: str, people: list[tuple[str, str, str]], opt_out_every: int):
    campaign = await campaign_flow.find(ctx, slug)
    session = ctx.uow.session
    members = []
    for i, (_, _, user) in enumerate(people):
        off = bool(opt_out_every) and i % opt_out_every == opt_out_every - 1
        prefs = {"nudges": {"broadcast": False}} if off else {}
        members.append(Member(display_name=f"Person {user}", preferences=prefs, created_at=ctx.now))
    session.add_all(members)
    await session.flush()
    session.add_all([Identity(platform=p, workspace_id=w, user_id=u, member_id=m.id, created_at=ctx.now)
                     for (p, w, u), m in zip(people, members, strict=True)])
    session.add_all([Participation(campaign_id=campaign.id, member_id=m.id, joined_at=ctx.now) for m in members])
    session.add_all([Account(kind=AccountKind.MEMBER, owner_id=m.id, name=m.display_name,
                             credit_limit=ctx.rules.credit_limit_minutes, created_at=ctx.now) for m in members])
    await session.flush()
    return [(m.id, not m.wants("broadcast")) for m in members]


async def add_teams_references(bank: Bank, people: list, service_url: str) -> None:
    rows = [{"kind": "member", "tenant_id": tenant, "key": user, "user_id": f"29:{user}", "service_url": service_url,
             "reference": reference(tenant, user, service_url), "failures": 0, "updated_at": datetime.now(UTC)}
            for platform, tenant, user in people if platform == "teams"]
    await bank.run(_insert_references, rows)


async def _insert_references(ctx, rows: list[dict]) -> None:
    for start in range(0, len(rows), 500):
        await ctx.uow.session.execute(teams_references.insert(), rows[start:start + 500])


def reference(tenant: str, user: str, service_url: str) -> dict:
    """A personal chat's conversation reference, as `bot/teams/references.py` stores it."""
    return {"user": {"id": f"29:{user}", "aadObjectId": user}, "bot": {"id": BOT_ID, "name": "Hexitime"},
            "conversation": {"id": f"a:chat-{user}", "conversationType": "personal", "tenantId": tenant},
            "channelId": "msteams", "locale": "en-GB", "serviceUrl": service_url}


async def install_slack(db: Database, workspaces: list[str]) -> dict[str, str]:
    """An OAuth installation per workspace (as `hexitime` stores them); returns workspace → bot token."""
    store = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=db.engine)
    tokens = {}
    for ws in workspaces:
        tokens[ws] = f"xoxb-{ws}"
        await store.async_save(Installation(app_id="A1", team_id=ws, bot_token=tokens[ws], bot_id=f"B{ws}",
                                            bot_user_id=f"UBOT{ws}", bot_scopes="chat:write,im:write",
                                            user_id="UINSTALLER", installed_at=datetime.now(UTC).timestamp()))
    return tokens
