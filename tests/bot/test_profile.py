"""`profile`, `settings` and `link` through the conversation, on the real database."""

from bot.conversation import Conversation
from bot.turns import Turn
from core import directory


def turn(user: str = "alice", platform: str = "console", **kw) -> Turn:
    return Turn(platform=platform, workspace_id="local", user_id=user, display_name=user.title(), **kw)


def profile_values(**over) -> dict:
    values = {"name": "Alice Smith", "organisation": "St Elsewhere", "sector": "nhs",
              "skills": "recycling, Procurement", "timezone": "Europe/Paris", "bio": "Theatre nurse"}
    return {**values, **over}


async def test_welcome_button_opens_the_profile_form_and_saving_onboards(bank):
    convo = Conversation(bank)
    first = await convo.handle(turn(command="balance"))
    button = first.cards[0].buttons[0]
    assert button.action == "profile.edit"
    opened = await convo.handle(turn(action=button.action, ref=button.ref))
    assert opened.form.form_id == "profile.edit"
    assert {i.name for i in opened.form.inputs} == {"name", "organisation", "sector", "skills", "timezone", "bio"}
    sector = next(i for i in opened.form.inputs if i.name == "sector")
    assert {o.value for o in sector.options} == {"nhs", "charity", "commercial", "public", "other"}
    saved = await convo.handle(turn(form_id="profile.edit", values=profile_values()))
    assert saved.cards[0].title == "Your profile"
    assert saved.cards[1].title == "You're all set"
    member, _ = await bank.run(directory.resolve, "console", "local", "alice")
    assert (member.display_name, member.organisation, member.sector) == ("Alice Smith", "St Elsewhere", "nhs")
    assert member.skills == ["recycling", "procurement"] and member.timezone == "Europe/Paris"
    assert member.onboarded


async def test_profile_shows_the_card_and_a_prefilled_form(bank):
    convo = Conversation(bank)
    await convo.handle(turn(form_id="profile.edit", values=profile_values()))
    reply = await convo.handle(turn(command="profile"))
    fields = {f.label: f.value for f in reply.cards[0].fields}
    assert fields["Name"] == "Alice Smith" and fields["Sector"] == "NHS"
    assert {i.name: i.value for i in reply.form.inputs}["timezone"] == "Europe/Paris"
    again = await convo.handle(turn(form_id="profile.edit", values=profile_values(bio="Now in theatres")))
    assert again.cards[0].title == "Saved"


async def test_bad_profile_values_come_back_on_the_form_and_nothing_changes(bank):
    convo = Conversation(bank)
    bad = await convo.handle(turn(form_id="profile.edit", values=profile_values(
        name="", sector="pirates", timezone="Mars/Olympus", bio="x" * 1001,
        skills=", ".join(f"skill {n}" for n in range(11)))))
    assert set(bad.form.errors) == {"name", "sector", "timezone", "bio", "skills"}
    assert "Europe/London" in bad.form.errors["timezone"]
    assert bad.close_form is False
    assert {i.name: i.value for i in bad.form.inputs}["timezone"] == "Mars/Olympus"
    member, _ = await bank.run(directory.resolve, "console", "local", "alice")
    assert member.display_name == "Alice" and not member.onboarded


def settings_values(**over) -> dict:
    values = {"timezone": "America/New_York", "nudge_match": True, "nudge_proposal": False,
              "nudge_session": True, "nudge_confirm": True, "nudge_hold": True, "nudge_broadcast": False,
              "quiet_start": "21:30", "quiet_end": "7:00", "quiet_weekends": False, "digest": False}
    return {**values, **over}


async def test_settings_show_defaults_then_save_preferences(bank):
    convo = Conversation(bank)
    shown = await convo.handle(turn(command="settings"))
    fields = {f.label: f.value for f in shown.cards[-1].fields}
    assert fields["Quiet hours"] == "20:00 to 08:00" and fields["Weekly digest"] == "yes"
    assert shown.form.form_id == "settings.edit"
    assert {i.name: i.value for i in shown.form.inputs}["nudge_match"] is True
    saved = await convo.handle(turn(form_id="settings.edit", values=settings_values()))
    assert saved.cards[0].title == "Saved"
    member, _ = await bank.run(directory.resolve, "console", "local", "alice")
    assert member.timezone == "America/New_York"
    assert member.preferences == {
        "nudges": {"match": True, "proposal": False, "session": True, "confirm": True, "hold": True,
                   "broadcast": False, "digest": False},
        "quiet_hours": ["21:30", "07:00"], "quiet_weekends": False, "digest": False,
    }
    assert not member.wants("proposal") and member.wants("match") and not member.wants("digest")
    button = await convo.handle(turn(action="settings.edit"))
    assert {i.name: i.value for i in button.form.inputs}["quiet_start"] == "21:30"


async def test_the_services_quiet_hours_are_the_default_and_saving_them_keeps_following_it(bank, monkeypatch):
    monkeypatch.setenv("HEXITIME_NUDGE_QUIET_HOURS", "21:00-07:30")
    convo = Conversation(bank)
    shown = await convo.handle(turn(command="settings"))
    assert {f.label: f.value for f in shown.cards[-1].fields}["Quiet hours"] == "21:00 to 07:30"
    inputs = {i.name: i.value for i in shown.form.inputs}
    assert (inputs["quiet_start"], inputs["quiet_end"]) == ("21:00", "07:30")
    await convo.handle(turn(form_id="settings.edit", values=settings_values(quiet_start="21:00", quiet_end="07:30")))
    member, _ = await bank.run(directory.resolve, "console", "local", "alice")
    assert member.preferences["quiet_hours"] is None  # not hours of their own: a later default applies


async def test_bad_settings_come_back_with_messages_and_change_nothing(bank):
    convo = Conversation(bank)
    bad = await convo.handle(turn(form_id="settings.edit", values=settings_values(
        timezone="Nowhere", quiet_start="25:00", quiet_end="")))
    assert set(bad.form.errors) == {"timezone", "quiet_start", "quiet_end"}
    assert "24-hour" in bad.form.errors["quiet_start"]
    member, _ = await bank.run(directory.resolve, "console", "local", "alice")
    assert member.preferences == {} and member.timezone == "Europe/London"


async def test_link_joins_a_second_platform_to_the_same_member(bank):
    convo = Conversation(bank)
    await convo.handle(turn(command="profile"))
    issued = await convo.handle(turn(command="link"))
    code = issued.cards[0].text.split()[3]
    assert f"link {code}" in issued.cards[0].text and issued.private
    linked = await convo.handle(turn(user="W1", platform="teams", command="link", text=code.lower()))
    assert linked.cards[-1].title == "Linked"
    alice, _ = await bank.run(directory.resolve, "console", "local", "alice")
    teams, _ = await bank.run(directory.resolve, "teams", "local", "W1")
    assert teams.id == alice.id
    reused = await convo.handle(turn(user="W2", platform="teams", command="link", text=code))
    assert "unknown, used or expired" in reused.cards[-1].text


async def test_link_refuses_bad_codes_kindly(bank):
    convo = Conversation(bank)
    assert "unknown, used or expired" in (await convo.handle(turn(command="link", text="NOPE-NOPE"))).cards[-1].text
    long = await convo.handle(turn(command="link", text="x" * 60))
    assert "doesn't look like a link code" in long.cards[-1].text


async def test_help_explains_each_member_command(bank):
    convo = Conversation(bank)
    for word in ("profile", "settings", "link", "mydata", "forget", "campaigns", "donate"):
        reply = await convo.handle(turn(command="help", text=word))
        assert reply.cards[-1].title == f"help {word}", word
        assert "Usage:" in reply.cards[-1].text
