"""Campaign leads through the conversation: create and edit campaigns, queue broadcasts, read reports."""

from bot.conversation import Conversation
from bot.turns import Turn
from core import campaign_flow, directory, marketplace
from core import exchange_flow as flow
from core.members import Role


def turn(user: str = "lena", **kw) -> Turn:
    return Turn(platform="console", workspace_id="local", user_id=user, display_name=user.title(), **kw)


async def member(bank, user: str, role: str = Role.MEMBER):
    found, _ = await bank.run(directory.resolve, "console", "local", user, user.title())
    if role != Role.MEMBER:
        root, _ = await bank.run(directory.resolve, "console", "local", "root", "Root")
        await bank.run(directory.bootstrap_admin, "console", "local", "root")
        if role == Role.ADMIN:
            await bank.run(directory.bootstrap_admin, "console", "local", user)
        else:
            await bank.run(directory.appoint, root.id, found.id, role)
    return found


def values_of(form) -> dict:
    return {i.name: i.value for i in form.inputs}


async def broadcasts_of(bank, slug: str):
    campaign = await bank.read(campaign_flow.find, slug)
    return await bank.read(lambda ctx: ctx.uow.broadcasts.for_campaign(campaign.id))


async def test_a_member_is_refused_every_lead_command_and_nothing_changes(bank):
    convo = Conversation(bank)
    await member(bank, "mo")
    for command, text in (("campaign", "new"), ("campaign", "edit biodiversity"), ("broadcast", "biodiversity"),
                          ("report", ""), ("report", "biodiversity")):
        reply = await convo.handle(turn("mo", command=command, text=text))
        assert reply.form is None and "Only a lead" in reply.cards[-1].text, (command, text)
    sneaky = await convo.handle(turn("mo", form_id="campaign.create",
                                     values={"slug": "mine", "title": "Mine"}, ref="x"))
    assert "Only a lead" in sneaky.cards[-1].text
    assert await bank.read(lambda ctx: ctx.uow.campaigns.by_slug("mine")) is None
    bio = await bank.read(campaign_flow.find, "biodiversity")
    queued = await convo.handle(turn("mo", form_id="broadcast.confirm", ref=f"{bio.id}:abc",
                                     values={"title": "Hi", "text": "All"}))
    assert "Only a lead" in queued.cards[-1].text
    assert await broadcasts_of(bank, "biodiversity") == []


async def test_help_lists_lead_commands_only_to_leads_and_admins(bank):
    convo = Conversation(bank)
    await member(bank, "mo")
    await member(bank, "lena", Role.LEAD)
    await member(bank, "ada", Role.ADMIN)
    listed = {}
    for user in ("mo", "lena", "ada"):
        reply = await convo.handle(turn(user, command="help"))
        listed[user] = {f.label.split()[0] for f in reply.cards[-1].fields}
    assert not {"campaign", "broadcast", "report", "disputes"} & listed["mo"]
    assert {"campaign", "broadcast", "report", "disputes"} <= listed["lena"]
    assert "grant" not in listed["lena"] and {"grant", "reverse", "appoint"} <= listed["ada"]
    for word in ("campaign", "broadcast", "report"):
        assert (await convo.handle(turn("mo", command="help", text=word))).cards[-1].title == f"help {word}"


async def test_a_lead_creates_a_campaign_once_and_edits_it(bank):
    convo = Conversation(bank)
    await member(bank, "lena", Role.LEAD)
    form = (await convo.handle(turn(command="campaign", text="new"))).form
    assert form.form_id == "campaign.create"
    bad = await convo.handle(turn(form_id="campaign.create", ref=form.ref,
                                  values={"slug": "green travel!", "title": "", "skills": "x" * 60}))
    assert set(bad.form.errors) == {"slug", "title", "skills"} and bad.close_form is False
    good = {"slug": "Green-Travel", "title": "Green travel", "description": "Cycle to work",
            "skills": "cycling, transport"}
    made = await convo.handle(turn(form_id="campaign.create", ref=form.ref, values=good))
    twice = await convo.handle(turn(form_id="campaign.create", ref=form.ref, values=good))
    assert made.cards[0].title == twice.cards[0].title == "Campaign created: Green travel"
    campaign = await bank.read(campaign_flow.find, "green-travel")
    assert campaign.skills == ["cycling", "transport"]
    clash = await convo.handle(turn(form_id="campaign.create", ref="y", values={**good, "title": "Other"}))
    assert "already a campaign called green-travel" in clash.cards[-1].text
    edit = (await convo.handle(turn(command="campaign", text="edit green-travel"))).form
    assert edit.form_id == "campaign.edit" and values_of(edit)["title"] == "Green travel"
    changed = {**values_of(edit), "title": "Greener travel", "status": "paused"}
    saved = await convo.handle(turn(form_id="campaign.edit", ref=edit.ref, values=changed))
    assert saved.cards[0].title == "Saved Greener travel"
    assert (await bank.read(campaign_flow.find, "green-travel")).status == "paused"
    wrong = await convo.handle(turn(form_id="campaign.edit", ref=edit.ref, values={**changed, "status": "gone"}))
    assert "status" in wrong.form.errors


async def test_a_lead_cannot_edit_a_campaign_they_do_not_lead_and_unknown_ones_are_not_found(bank):
    convo = Conversation(bank)
    await member(bank, "lena", Role.LEAD)
    refused = await convo.handle(turn(command="campaign", text="edit biodiversity"))
    assert "Only a lead of this campaign" in refused.cards[-1].text
    bio = await bank.read(campaign_flow.find, "biodiversity")
    forged = await convo.handle(turn(form_id="campaign.edit", ref=str(bio.id),
                                     values={"title": "Mine now", "status": "active"}))
    assert "Only a lead of this campaign" in forged.cards[-1].text
    assert (await bank.read(campaign_flow.find, "biodiversity")).title == "Biodiversity"
    assert "can't find that campaign" in (await convo.handle(turn(command="campaign", text="edit atlantis"))).cards[-1].text
    assert "Usage" in (await convo.handle(turn(command="campaign", text="fly"))).cards[-1].text


async def test_broadcast_compose_preview_then_queue_once(bank):
    convo = Conversation(bank)
    lena = await member(bank, "lena", Role.LEAD)
    root = await member(bank, "root")
    await bank.run(campaign_flow.appoint_lead, root.id, "biodiversity", lena.id)
    for user in ("p1", "p2", "p3"):
        joined = await member(bank, user)
        await bank.run(campaign_flow.join, joined.id, "biodiversity")
    await bank.run(directory.set_preferences, joined.id, nudges={"broadcast": False})  # p3 is not counted
    compose = (await convo.handle(turn(command="broadcast", text="biodiversity"))).form
    assert compose.form_id == "broadcast.compose"
    bad = await convo.handle(turn(form_id="broadcast.compose", ref=compose.ref,
                                  values={"title": "", "text": "", "cta": "win"}))
    assert set(bad.form.errors) == {"title", "text", "cta"}
    text = "Survey on Saturday <!channel> @here"
    shown = await convo.handle(turn(form_id="broadcast.compose", ref=compose.ref,
                                    values={"title": "Pond day", "text": text, "cta": "needs"}))
    preview, confirm = shown.cards[0], shown.form
    assert (preview.title, preview.text) == ("Pond day", text)
    assert preview.buttons[0].label == "See open needs" and preview.buttons[0].ref == "0|campaign biodiversity"
    assert confirm.form_id == "broadcast.confirm" and "2 participants of Biodiversity" in confirm.confirm
    assert await broadcasts_of(bank, "biodiversity") == []
    queued = await convo.handle(turn(form_id="broadcast.confirm", ref=confirm.ref, values=values_of(confirm)))
    again = await convo.handle(turn(form_id="broadcast.confirm", ref=confirm.ref, values=values_of(confirm)))
    assert "Queued for 2 participants" in queued.cards[0].text and "scheduler" in queued.cards[0].text
    assert again.cards[0].title == "Broadcast queued"
    stored = await broadcasts_of(bank, "biodiversity")
    assert [(b.title, b.text, b.call_to_action, b.status, b.author_id) for b in stored] == [
        ("Pond day", text, "needs", "queued", lena.id)]


async def test_admin_broadcasts_anywhere_and_a_tampered_confirmation_is_checked_again(bank):
    convo = Conversation(bank)
    await member(bank, "ada", Role.ADMIN)
    compose = (await convo.handle(turn("ada", command="broadcast", text="waste-management"))).form
    shown = await convo.handle(turn("ada", form_id="broadcast.compose", ref=compose.ref,
                                    values={"title": "Hello", "text": "Recycling week", "cta": ""}))
    assert shown.cards[0].buttons == () and "0 participants" in shown.form.confirm
    forged = {**values_of(shown.form), "text": "x" * 3001}
    refused = await convo.handle(turn("ada", form_id="broadcast.confirm", ref=shown.form.ref, values=forged))
    assert "the limit is 3000" in refused.cards[-1].text
    assert await broadcasts_of(bank, "waste-management") == []
    bad_ref = await convo.handle(turn("ada", form_id="broadcast.confirm", ref="nope", values=forged))
    assert "can't find" in bad_ref.cards[-1].text
    assert "Which campaign?" in (await convo.handle(turn("ada", command="broadcast"))).cards[-1].text


async def test_report_gives_a_campaigns_numbers_to_its_lead(bank):
    convo = Conversation(bank)
    lena = await member(bank, "lena", Role.LEAD)
    root = await member(bank, "root")
    await bank.run(campaign_flow.appoint_lead, root.id, "biodiversity", lena.id)
    alice, bob = await member(bank, "alice"), await member(bank, "bob")
    await bank.run(directory.update_profile, alice.id, sector="nhs")
    await bank.run(campaign_flow.join, alice.id, "biodiversity")
    bio = await bank.read(campaign_flow.find, "biodiversity")
    need = await bank.run(marketplace.post_need, alice.id, "Pond survey", skills=["ecology"],
                          campaign_id=bio.id, minutes=120)
    await bank.run(marketplace.post_need, alice.id, "Bird boxes", skills=["ecology", "carpentry"], campaign_id=bio.id)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    await bank.run(flow.accept, ex.id, alice.id)
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.confirm, ex.id, alice.id)
    reply = await convo.handle(turn(command="report", text="biodiversity"))
    card = reply.cards[-1]
    fields = {f.label: f.value for f in card.fields}
    assert card.title == "Report · Biodiversity"
    assert fields["Hours exchanged"] == "1 h 30 min" and fields["Exchanges completed"] == "1"
    assert fields["Needs met"] == "1" and fields["Needs open"] == "1"
    assert fields["Members by sector"] == "nhs 1 · other 1"
    assert fields["Top skills"].startswith("ecology (2)")
    everything = await convo.handle(turn(command="report"))
    assert everything.cards[-1].title == "Report · All campaigns"
    refused = await convo.handle(turn(command="report", text="waste-management"))
    assert "Only a lead" in refused.cards[-1].text
    assert "can't find" in (await convo.handle(turn(command="report", text="atlantis"))).cards[-1].text
