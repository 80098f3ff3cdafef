"""`mydata` and `forget me`: a copy of everything held about me, and the right to be forgotten."""

import json

from bot.handlers import router
from bot.turns import Request
from bot.views import DANGER, Attachment, Button, Card, Form, Message, Reply, say
from core import privacy

FORGET_FORM = "forget.confirm"
FORGET_DETAILS = ("Type `forget me`. After you confirm, your name becomes “Former member #<number>”, "
                  "your organisation, bio, skills and settings are cleared, your chat accounts are "
                  "unlinked, open needs are withdrawn, offers closed and unanswered proposals "
                  "cancelled. The hours you gave and received stay in the ledger, so everyone "
                  "else's statements stay correct. It can't be undone; `mydata` first if you want a copy.")


@router.command("mydata", "Download everything Hexitime holds about you (JSON)", usage="mydata",
                details="Profile, chat accounts, account, statement, needs, offers, exchanges, "
                        "campaigns and settings, as one JSON file.")
async def mydata(req: Request) -> Reply:
    data = await req.bank.read(privacy.export_data, req.member.id)
    content = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    file = Attachment(f"hexitime-mydata-{req.member.id}.json", content, "application/json")
    card = Card(title="Your data", text="Here is everything Hexitime holds about you, as a JSON file.",
                buttons=(Button("Forget me", "forget.start", style=DANGER),))
    return Reply(message=Message(cards=(card,), attachment=file), private=True)


@router.command("forget", "Forget me: anonymise your profile; the ledger stays whole",
                usage="forget me", details=FORGET_DETAILS)
async def forget(req: Request) -> Reply:
    if req.turn.text.strip().lower() != "me":
        return say(Card(title="Forget me", text="To erase your profile, type exactly: forget me\n\n"
                        "You'll be asked to confirm first. Want a copy of your data? Type `mydata`."))
    return _confirm(req)


@router.action("forget.start")
async def forget_button(req: Request) -> Reply:
    return _confirm(req)


def _confirm(req: Request) -> Reply:
    warning = (f"Your name becomes “Former member #{req.member.id}”; your profile, settings and chat "
               "accounts are removed; open needs and offers are closed. Hours already exchanged stay "
               "in the ledger. This can't be undone.")
    return Reply(form=Form(FORGET_FORM, "Forget me", submit_label="Forget me", ref=str(req.member.id),
                           intro="Are you sure?", confirm=warning))


@router.form(FORGET_FORM)
async def confirmed(req: Request) -> Reply:
    if req.turn.ref.strip() != str(req.member.id):
        return say(Card(title="Forget me", text="That account has already been forgotten, or this "
                        "confirmation was for another account, so nothing was changed."))
    gone = await req.bank.run(privacy.forget, req.member.id)
    return say(Card(title="You've been forgotten",
                    text=f"Your profile is now “{gone.display_name}” and this chat account is no "
                    "longer linked to it. If you message me again, you start afresh."))
