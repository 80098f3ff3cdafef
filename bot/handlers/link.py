"""`link`: join this chat account to my account on the other platform, with a one-time code."""

from bot.handlers import router
from bot.turns import Request
from bot.views import Card, Reply, say
from core import directory

DETAILS = ("Type `link` where you already use Hexitime: you get a one-time code, valid for 15 "
           "minutes. Then, on the other platform (Slack or Teams), type `link CODE`. Both chat "
           "accounts then share one profile and one balance.")


@router.command("link", "Join your Slack and Teams accounts into one", usage="link [CODE]",
                details=DETAILS)
async def link(req: Request) -> Reply:
    code = req.turn.text.strip()
    if not code:
        return await _issue(req)
    if len(code) > 40:
        return say(Card(text="That doesn't look like a link code; they look like 1A2B-3C4D-5E6F."))
    turn = req.turn
    member = await req.bank.run(directory.redeem_link_code, turn.platform, turn.workspace_id,
                                turn.user_id, code)
    return say(Card(title="Linked", text=f"This chat account is now part of {member.display_name}'s "
                    "Hexitime account: same profile, same hours."))


async def _issue(req: Request) -> Reply:
    issued = await req.bank.run(directory.issue_link_code, req.member.id)
    body = (f"Your code is {issued.code}\n\nOn the other platform, send me: link {issued.code}\n"
            "It works once, within 15 minutes. Keep it to yourself: it joins that chat account to yours.")
    return say(Card(title="Link another chat account", text=body), private=True)
