"""Impact reports for leads: every number, the median wait to a match, a small PNG chart and a CSV download."""

import base64
import csv
import io
from datetime import timedelta

from bot.conversation import Conversation
from bot.teams.cards import render_message
from bot.turns import Turn
from core import campaign_flow, directory, marketplace
from core import exchange_flow as flow
from core.members import Role
from tests.bot.teams.harness import CardValidator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def turn(user: str = "lena", platform: str = "console", **kw) -> Turn:
    return Turn(platform=platform, workspace_id="local", user_id=user, display_name=user.title(), **kw)


async def member(bank, user: str, sector: str = "other", platform: str = "console"):
    found, _ = await bank.run(directory.resolve, platform, "local", user, user.title())
    await bank.run(directory.update_profile, found.id, sector=sector)
    return found


async def lead_of_biodiversity(bank, platform: str = "console"):
    """Lena leads biodiversity; root is the admin who appointed her."""
    lena = await member(bank, "lena", platform=platform)
    root = await member(bank, "root", platform=platform)
    await bank.run(directory.bootstrap_admin, platform, "local", "root")
    await bank.run(directory.appoint, root.id, lena.id, Role.LEAD)
    await bank.run(campaign_flow.appoint_lead, root.id, "biodiversity", lena.id)
    return lena


async def matched_needs(bank, clock) -> None:
    """Three needs matched after 2 h, 6 h and 10 h 30 min (a declined offer doesn't count); one still open."""
    bio = await bank.read(campaign_flow.find, "biodiversity")
    people = {name: await member(bank, name, sector) for name, sector in
              (("alice", "nhs"), ("bob", "charity"), ("carol", "commercial"), ("dan", "nhs"), ("erin", "nhs"))}
    for name in people:
        await bank.run(campaign_flow.join, people[name].id, "biodiversity")

    async def need(owner: str, title: str, skills: list[str]):
        return await bank.run(marketplace.post_need, people[owner].id, title, skills=skills,
                              campaign_id=bio.id, minutes=120)

    pond = await need("alice", "Pond survey", ["ecology"])
    clock.advance(timedelta(hours=2))
    ex = await bank.run(flow.propose, people["bob"].id, need_id=pond.id)
    await bank.run(flow.accept, ex.id, people["alice"].id)
    await bank.run(flow.log, ex.id, people["bob"].id, 90)
    await bank.run(flow.confirm, ex.id, people["alice"].id)

    boxes = await need("dan", "Bird boxes", ["ecology", "carpentry"])
    clock.advance(timedelta(hours=6))
    ex = await bank.run(flow.propose, people["carol"].id, need_id=boxes.id)
    await bank.run(flow.accept, ex.id, people["dan"].id)

    meadow = await need("erin", "Meadow mowing", ["gardening"])
    clock.advance(timedelta(minutes=30))
    early = await bank.run(flow.propose, people["bob"].id, need_id=meadow.id)
    await bank.run(flow.decline, early.id, people["erin"].id)
    clock.advance(timedelta(hours=10))
    ex = await bank.run(flow.propose, people["carol"].id, need_id=meadow.id)
    await bank.run(flow.accept, ex.id, people["erin"].id)
    clock.advance(timedelta(days=3))
    await bank.run(flow.log, ex.id, people["carol"].id, 45)

    await need("alice", "Hedge planting", ["ecology"])
    clock.advance(timedelta(hours=1))
    await bank.run(flow.propose, people["bob"].id, need_id=(await need("dan", "Bat walk", ["ecology"])).id)


async def test_median_time_to_match_counts_the_first_accepted_exchange_of_each_need(bank, clock):
    lena = await lead_of_biodiversity(bank)
    assert (await bank.read(campaign_flow.report, lena.id, "biodiversity")).median_minutes_to_match is None
    await matched_needs(bank, clock)
    numbers = await bank.read(campaign_flow.report, lena.id, "biodiversity")
    assert numbers.median_minutes_to_match == 6 * 60
    assert numbers.exchanges_completed == 1 and numbers.minutes_exchanged == 90
    assert (await bank.read(campaign_flow.report, lena.id, None)).median_minutes_to_match == 6 * 60


async def test_the_report_card_has_every_number_a_png_file_and_a_csv_button(bank, clock):
    convo = Conversation(bank)
    await lead_of_biodiversity(bank)
    await matched_needs(bank, clock)
    reply = await convo.handle(turn(command="report", text="Biodiversity"))
    card = reply.cards[-1]
    fields = {f.label: f.value for f in card.fields}
    assert card.title == "Report · Biodiversity"
    assert fields == {"Hours exchanged": "1 h 30 min", "Exchanges completed": "1",
                      "Members by sector": "charity 1 · commercial 1 · nhs 3 · other 1",
                      "Needs met": "1", "Needs open": "4", "Median time to match": "6 h",
                      "Top skills": "ecology (4) · gardening (1) · carpentry (1)"}
    png = reply.message.attachment
    assert png.mime == "image/png" and png.filename == "hexitime-report-biodiversity.png"
    assert png.content.startswith(PNG_SIGNATURE) and 1000 < len(png.content) < 25 * 1024
    assert card.image is None, "no data: image outside Teams; the chart is the uploaded file"
    [button] = card.buttons
    assert (button.label, button.action, button.ref) == ("Download CSV", "report.csv", "biodiversity")

    download = await convo.handle(turn(action="report.csv", ref=button.ref))
    file = download.message.attachment
    assert file.mime == "text/csv" and file.filename == "hexitime-report-biodiversity.csv"
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8"))))
    assert rows[0] == ["metric", "value"]
    table = dict(rows[1:])
    assert table["campaign"] == "Biodiversity" and table["minutes exchanged"] == "90"
    assert table["hours exchanged"] == "1.50" and table["exchanges completed"] == "1"
    assert table["needs met"] == "1" and table["needs open"] == "4"
    assert table["median minutes to match"] == "360"
    assert table["sector: nhs"] == "3" and table["sector: charity"] == "1"
    assert table["skill: ecology"] == "4" and table["skill: gardening"] == "1"


async def test_the_overall_report_and_its_csv_need_no_campaign(bank, clock):
    convo = Conversation(bank)
    await lead_of_biodiversity(bank)
    await matched_needs(bank, clock)
    reply = await convo.handle(turn(command="report"))
    card = reply.cards[-1]
    assert card.title == "Report · All campaigns" and card.buttons[0].ref == "all"
    assert {f.label: f.value for f in card.fields}["Median time to match"] == "6 h"
    rows = (await convo.handle(turn(action="report.csv", ref="all"))).message.attachment.content.decode()
    assert "campaign,All campaigns" in rows and "median minutes to match,360" in rows


async def test_csv_cells_cannot_become_spreadsheet_formulas(bank, clock):
    convo = Conversation(bank)
    lena = await lead_of_biodiversity(bank)
    await bank.run(campaign_flow.create, lena.id, slug="formula", title="=HYPERLINK(\"x\")", description="",
                   skills=[])
    await bank.run(marketplace.post_need, lena.id, "Sum", skills=["@sum"],
                   campaign_id=(await bank.read(campaign_flow.find, "formula")).id)
    content = (await convo.handle(turn(action="report.csv", ref="formula"))).message.attachment.content.decode()
    rows = dict(list(csv.reader(io.StringIO(content)))[1:])
    assert rows["campaign"] == "'=HYPERLINK(\"x\")"
    assert not any(cell[:1] in "=+-@" for row in csv.reader(io.StringIO(content)) for cell in row if cell)


async def test_members_are_refused_and_unknown_campaigns_get_a_friendly_word(bank, clock):
    convo = Conversation(bank)
    await lead_of_biodiversity(bank)
    await member(bank, "mo")
    for kw in ({"command": "report", "text": ""}, {"command": "report", "text": "biodiversity"},
               {"action": "report.csv", "ref": "biodiversity"}, {"action": "report.csv", "ref": "all"}):
        reply = await convo.handle(turn("mo", **kw))
        assert "Only a lead" in reply.cards[-1].text and reply.message.attachment is None, kw
    for kw in ({"command": "report", "text": "atlantis"}, {"action": "report.csv", "ref": "atlantis"},
               {"action": "report.csv", "ref": ""}, {"action": "report.csv", "ref": "x" * 500}):
        reply = await convo.handle(turn(**kw))
        assert "can't find" in reply.cards[-1].text and reply.message.attachment is None, kw
    refused = await convo.handle(turn(command="report", text="waste-management"))
    assert "Only a lead" in refused.cards[-1].text


async def test_in_teams_the_chart_is_a_data_image_in_a_valid_adaptive_card(bank, clock):
    validator = CardValidator()
    convo = Conversation(bank)
    await lead_of_biodiversity(bank, platform="teams")
    await matched_needs(bank, clock)
    reply = await convo.handle(turn(platform="teams", command="report", text="biodiversity"))
    card = reply.cards[-1]
    assert reply.message.attachment is None, "Teams can't take files: the chart is inline"
    prefix = "data:image/png;base64,"
    assert card.image.url.startswith(prefix) and card.image.alt
    png = base64.b64decode(card.image.url[len(prefix):])
    assert png.startswith(PNG_SIGNATURE) and len(png) < 25 * 1024
    [rendered] = render_message(reply.message)
    validator.check(rendered)
    [image] = [item for item in rendered["body"][0]["items"] if item["type"] == "Image"]
    assert image["url"] == card.image.url
    facts = {f["title"]: f["value"] for item in rendered["body"][0]["items"] if item["type"] == "FactSet"
             for f in item["facts"]}
    assert facts["Median time to match"] == "6 h"
