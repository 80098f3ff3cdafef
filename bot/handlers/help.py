"""`help` and `help <command>`: what the bot can do, for this member's role."""

from bot.handlers import router
from bot.turns import Request
from bot.views import Card, Field, Reply, problem, say
from core.members import Role

AUDIENCES = {Role.MEMBER: ("member",), Role.LEAD: ("member", "lead"), Role.ADMIN: ("member", "lead", "admin")}
TOPICS = {
    "start": (
        "How Hexitime works",
        "1. Post a need (`need`) or offer hours (`offer`).\n"
        "2. See who fits with `matches`, then propose an exchange.\n"
        "3. When the other side accepts, the hours are held.\n"
        "4. After the session one of you logs the time (`log`), the other confirms.\n"
        "5. The hours move: one hour given earns one hour of credit, whoever gives it.",
    ),
}


@router.command("help", "Show what I can do", usage="help [command]", aliases=("?", "commands"))
async def help_command(req: Request) -> Reply:
    topic = req.turn.text.strip().lower().lstrip("`/")
    if topic:
        return _one(req, topic)
    allowed = AUDIENCES.get(req.member.role, ("member",))
    shown = [c for c in router.commands.values() if c.audience in allowed]
    fields = tuple(Field(c.usage, c.summary) for c in sorted(shown, key=lambda c: c.name))
    return say(Card(title="Hexitime commands", text="Type a command, or `help <command>` for more.",
                    fields=fields))


def _one(req: Request, topic: str) -> Reply:
    if topic in TOPICS:
        title, body = TOPICS[topic]
        return say(Card(title=title, text=body))
    entry = router.lookup(topic)
    if entry is None:
        nearest = router.nearest(topic)
        hint = f" Did you mean `{nearest}`?" if nearest else ""
        return problem(f"There's no command “{topic[:30]}”.{hint}")
    aliases = f"\nAlso: {', '.join(entry.aliases)}" if entry.aliases else ""
    return say(Card(title=f"help {entry.name}", text=f"{entry.summary}\n\nUsage: {entry.usage}{aliases}\n\n{entry.details}".strip()))


@router.action("help.topic")
async def help_topic(req: Request) -> Reply:
    return _one(req, req.turn.ref or "start")
