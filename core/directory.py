"""Member use cases: who someone is, across platforms, and what they may do."""

import secrets
from datetime import timedelta

from core import transfers
from core.errors import InvalidInput, NotAllowed, NotFound
from core.ledger import AccountKind
from core.members import Identity, LinkCode, Member, Role, Sector
from core.ports import Context
from core.posts import clean_skills

PROFILE_FIELDS = ("display_name", "organisation", "sector", "skills", "bio", "timezone")


async def lookup(ctx: Context, platform: str, workspace_id: str, user_id: str) -> Member | None:
    """A read-only first try, so returning members never queue behind writers."""
    return await ctx.uow.members.by_identity(platform, workspace_id, user_id)


async def resolve(
    ctx: Context, platform: str, workspace_id: str, user_id: str,
    display_name: str = "", timezone: str | None = None,
) -> tuple[Member, bool]:
    """The member behind a platform identity; first contact creates them and their account."""
    member = await ctx.uow.members.by_identity(platform, workspace_id, user_id)
    if member is not None:
        return member, False
    name = (display_name or "").strip()[:80] or f"Member {user_id[-6:]}"
    member = Member(display_name=name, timezone=timezone or "Europe/London", created_at=ctx.now)
    member = await ctx.uow.members.add(member)
    await ctx.uow.members.add_identity(
        Identity(platform=platform, workspace_id=workspace_id, user_id=user_id,
                 member_id=member.id, created_at=ctx.now)
    )
    account = await transfers.open_account(ctx, AccountKind.MEMBER, member.id, member.display_name)
    if ctx.rules.welcome_grant_minutes > 0:
        source = await transfers.issuer(ctx)
        await transfers.transfer(
            ctx, f"welcome:{member.id}", source.id, account.id,
            ctx.rules.welcome_grant_minutes, "welcome grant",
        )
    return member, True


async def get(ctx: Context, member_id: int) -> Member:
    member = await ctx.uow.members.get(member_id)
    if member is None or member.forgotten_at is not None:
        raise NotFound("I can't find that member.")
    return member


async def update_profile(ctx: Context, member_id: int, **changes) -> Member:
    """Onboarding and `profile` both end here; values are checked, then saved."""
    member = await get(ctx, member_id)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown profile field: {', '.join(sorted(unknown))}.")
    if "display_name" in changes:
        name = (changes["display_name"] or "").strip()
        if not name or len(name) > 80:
            raise InvalidInput("Your name should be 1 to 80 characters.")
        changes["display_name"] = name
    if "sector" in changes and changes["sector"] not in set(Sector):
        raise InvalidInput(f"Sector is one of: {', '.join(s.value for s in Sector)}.")
    if "skills" in changes:
        changes["skills"] = clean_skills(changes["skills"], ctx.rules)
    if "timezone" in changes:
        changes["timezone"] = check_timezone(changes["timezone"])
    for field, text in (("organisation", 120), ("bio", 1000)):
        if field in changes and len(changes[field] or "") > text:
            raise InvalidInput(f"The {field} can be at most {text} characters.")
    for field, value in changes.items():
        setattr(member, field, value)
    member.onboarded = True
    if "display_name" in changes:
        account = await ctx.uow.accounts.of_owner(AccountKind.MEMBER, member.id)
        account.name = member.display_name
    return member


def check_timezone(name: str) -> str:
    """IANA names only, so nudges land in the member's daytime."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"“{name[:40]}” isn't a time zone I know. Try Europe/London.") from None
    return name.strip()


async def set_preferences(ctx: Context, member_id: int, **prefs) -> Member:
    member = await get(ctx, member_id)
    member.preferences = {**member.preferences, **prefs}
    return member


async def appoint(ctx: Context, actor_id: int, target_id: int, role: str) -> Member:
    """Admins appoint leads and other admins; the role is global."""
    await require_admin(ctx, actor_id)
    if role not in set(Role):
        raise InvalidInput(f"Role is one of: {', '.join(r.value for r in Role)}.")
    target = await get(ctx, target_id)
    target.role = role
    return target


async def require_admin(ctx: Context, actor_id: int) -> Member:
    actor = await ctx.uow.members.get(actor_id)
    if actor is None or not actor.is_admin:
        raise NotAllowed("Only an admin can do that.")
    return actor


async def bootstrap_admin(ctx: Context, platform: str, workspace_id: str, user_id: str) -> Member:
    """First admins of a fresh deployment, named by identity (HEXITIME_ADMINS)."""
    member, _ = await resolve(ctx, platform, workspace_id, user_id)
    member.role = Role.ADMIN
    return member


async def issue_link_code(ctx: Context, member_id: int) -> LinkCode:
    """A short-lived code to say on the other platform: `link CODE`."""
    await get(ctx, member_id)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    return await ctx.uow.members.add_link_code(
        LinkCode(code=code, member_id=member_id, expires_at=ctx.now + timedelta(minutes=15))
    )


async def redeem_link_code(
    ctx: Context, platform: str, workspace_id: str, user_id: str, code: str
) -> Member:
    """Move this identity onto the member who issued the code."""
    link = await ctx.uow.members.link_code(code.strip().upper())
    if link is None or link.used_at is not None or link.expires_at <= ctx.now:
        raise InvalidInput("That code is unknown, used or expired. Ask for a new one with `link`.")
    target = await get(ctx, link.member_id)
    current = await ctx.uow.members.by_identity(platform, workspace_id, user_id)
    if current is not None and current.id == target.id:
        raise InvalidInput("This chat account is already linked to that member.")
    if current is not None:
        identities = await ctx.uow.members.identities(current.id)
        if len(identities) == 1:
            await _retire_if_empty(ctx, current)
        for identity in identities:
            if (identity.platform, identity.workspace_id, identity.user_id) == (platform, workspace_id, user_id):
                identity.member_id = target.id
    else:
        await ctx.uow.members.add_identity(
            Identity(platform=platform, workspace_id=workspace_id, user_id=user_id,
                     member_id=target.id, created_at=ctx.now)
        )
    link.used_at = ctx.now
    return target


async def _retire_if_empty(ctx: Context, member: Member) -> None:
    account = await ctx.uow.accounts.of_owner(AccountKind.MEMBER, member.id)
    busy = account.debits_posted or account.credits_posted or account.debits_pending or account.credits_pending
    if busy or await ctx.uow.exchanges.for_member(member.id, open_only=False):
        raise NotAllowed(
            "This chat account already has hours or exchanges of its own, so it can't be "
            "merged. Link from the other side instead, or ask an admin."
        )
    member.forgotten_at = ctx.now
