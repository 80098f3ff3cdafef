"""`profile` and the welcome card's "Set up my profile": who I am, as others see me."""

from bot.dialogs import profile_forms
from bot.dialogs.fields import FieldErrors
from bot.handlers import router
from bot.turns import Request
from bot.views import PRIMARY, Button, Card, Field, Reply, say
from core import directory
from core.members import Member

DETAILS = ("Shows your profile and a form to change it: name, organisation, sector, skills, "
           "time zone and a short bio. Skills help me suggest needs and offers that fit you.")


def profile_card(member: Member) -> Card:
    """My profile as I see it; others see the same details on my posts."""
    fields = [Field("Name", member.display_name), Field("Member number", f"#{member.id}"),
              Field("Organisation", member.organisation or "not set"),
              Field("Sector", profile_forms.SECTOR_LABELS.get(str(member.sector), str(member.sector))),
              Field("Skills", ", ".join(member.skills) or "none yet"),
              Field("Time zone", member.timezone), Field("Role", str(member.role))]
    return Card(title="Your profile", text=member.bio, fields=tuple(fields),
                buttons=(Button("Edit profile", "profile.edit", style=PRIMARY),
                         Button("Settings", "settings.edit")))


@router.command("profile", "Your profile: name, organisation, sector, skills, time zone",
                usage="profile", details=DETAILS)
async def profile(req: Request) -> Reply:
    return _with_form(req.member, req)


@router.action("profile.edit")
async def edit_button(req: Request) -> Reply:
    member = await req.bank.read(directory.get, req.member.id)
    return _with_form(member, req)


def _with_form(member: Member, req: Request) -> Reply:
    return Reply(message=say(profile_card(member)).message,
                 form=profile_forms.profile_form(member, req.bank.rules))


@router.form(profile_forms.PROFILE_FORM)
async def submit(req: Request) -> Reply:
    values = req.turn.values
    try:
        changes = profile_forms.read_profile(values, req.bank.rules)
    except FieldErrors as bad:
        form = profile_forms.profile_form(req.member, req.bank.rules).with_errors(bad.errors, values)
        return Reply(form=form, close_form=False)
    first_time = not req.member.onboarded
    member = await req.bank.run(directory.update_profile, req.member.id, **changes)
    if not first_time:
        return say(Card(title="Saved", text="Your profile is up to date."), profile_card(member))
    start = Card(title="You're all set", text="Next: ask for help, or find a campaign to join.",
                 buttons=(Button("Post a need", "need.new", style=PRIMARY),
                          Button("See campaigns", "campaigns.page", "0")))
    return say(profile_card(member), start)
