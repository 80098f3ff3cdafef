"""Each Slack surface end to end: a signed request in Slack's shape, the ack, the Web API calls."""

from bot.slack.app import MESSAGE_SHORTCUTS, SHORTCUTS
from core.ports import Context
from tests.bot.slack.fake_slack import texts
from tests.bot.slack.harness import User, button

ALICE = User("UALICE", name="alice")


async def needs_of(bank, title: str) -> list:
    async def query(ctx: Context):
        return [n for n in await ctx.uow.needs.search(status=None, limit=50) if n.title == title]
    return await bank.read(query)


def headers(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


async def test_slash_command_answers_in_the_ack_and_learns_the_member(slack):
    slack.fake.users["UALICE"] = {"id": "UALICE", "name": "alice", "real_name": "Alice Smith",
                                  "tz": "America/New_York", "profile": {"display_name": "Alice S"}}
    status, body = await slack.command(ALICE, "balance")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert "Your hours" in headers(body["blocks"])
    assert slack.fake.last("users.info")["user"] == "UALICE"
    await slack.command(ALICE, "balance")
    assert len(slack.fake.of("users.info")) == 1  # only on first contact

    async def member(ctx: Context):
        return await ctx.uow.members.by_identity("slack", "T1", "UALICE")
    found = await slack.services.bank.read(member)
    assert (found.display_name, found.timezone) == ("Alice S", "America/New_York")
    assert slack.fake.invalid == []


async def test_bare_command_shows_help(slack):
    status, body = await slack.command(ALICE, "")
    assert status == 200
    assert "Hexitime commands" in headers(body["blocks"])


async def test_need_form_errors_then_posts_once(slack):
    status, body = await slack.command(ALICE, "need Compost bins")
    assert (status, body) == (200, {})
    await slack.settle()
    view = slack.last_form()
    assert view["callback_id"] == "need.post"
    title_input = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title_input["element"]["initial_value"] == "Compost bins"

    status, body = await slack.submit(ALICE, view, {"title": "", "hours": "-1"}, view_id="V1")
    assert status == 200
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"title", "hours"}
    assert await needs_of(slack.services.bank, "Compost bins") == []

    payload = slack.submission_payload(ALICE, view, {"title": "Compost bins", "hours": "1h30"}, view_id="V1")
    status, body = await slack.interact(payload)
    assert body == {"response_action": "clear"}
    retried = await slack.interact(payload, headers={"X-Slack-Retry-Num": "1"})
    assert retried[0] == 200
    assert len(await needs_of(slack.services.bank, "Compost bins")) == 1
    await slack.settle()
    told = slack.fake.last("chat.postEphemeral")
    assert (told["channel"], told["user"]) == ("C1", "UALICE")
    assert "Your need is posted" in headers(told["blocks"])
    assert slack.fake.invalid == []


async def test_global_shortcuts_open_the_forms(slack):
    for callback, form_id in (("hexitime_post_need", "need.post"), ("hexitime_offer_hours", "offer.post")):
        status, _ = await slack.shortcut(ALICE, callback)
        assert status == 200
        await slack.settle()
        assert slack.last_form()["callback_id"] == form_id
    assert set(SHORTCUTS) == {"hexitime_post_need", "hexitime_offer_hours"}
    assert slack.fake.invalid == []


async def test_message_shortcut_prefills_the_need_from_the_message(slack):
    text = "Can someone review our theatre waste audit?\nIt's 40 pages &amp; due Friday <@UBOB>"
    status, _ = await slack.shortcut(ALICE, next(iter(MESSAGE_SHORTCUTS)), message=text)
    assert status == 200
    await slack.settle()
    view = slack.last_form()
    assert view["callback_id"] == "need.post"
    values = {b["block_id"]: b["element"].get("initial_value", "") for b in view["blocks"] if b["type"] == "input"}
    assert values["title"].startswith("Can someone review our theatre waste audit?")
    assert "40 pages & due Friday @UBOB" in values["description"]  # editable text, as typed, no mention
    assert slack.fake.invalid == []


async def post_need(slack, user: User, title: str) -> None:
    await slack.command(user, f"need {title}")
    await slack.settle()
    status, body = await slack.submit(user, slack.last_form(), {"title": title, "hours": "1h"})
    assert body == {"response_action": "clear"}
    await slack.settle()


async def test_button_answers_beside_the_message_or_replaces_it(slack):
    _, body = await slack.command(ALICE, "balance")
    status, ack = await slack.click(ALICE, button(body["blocks"], "history.page"))
    assert status == 200
    await slack.settle()
    answer = slack.fake.last("response_url")
    assert (answer["replace_original"], answer["response_type"]) == (False, "ephemeral")

    await post_need(slack, ALICE, "Compost bins")
    _, listing = await slack.command(ALICE, "needs mine")
    status, _ = await slack.click(ALICE, button(listing["blocks"], "need.withdraw"))
    assert status == 200
    await slack.settle()
    answer = slack.fake.last("response_url")
    assert answer["replace_original"] is True  # the buttons are gone: it can't be clicked twice
    assert (await needs_of(slack.services.bank, "Compost bins"))[0].status == "withdrawn"
    assert slack.fake.invalid == []


async def test_app_home_is_published_on_open_and_events_are_handled_once(slack):
    event = {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home",
             "event_ts": "1606810927.510671"}
    status, _ = await slack.event(event, "Ev1")
    assert status == 200
    await slack.settle()
    published = slack.fake.of("views.publish")
    assert len(published) == 1 and published[0]["view"]["type"] == "home"
    assert any("hours" in t.lower() for t in texts(published[0]["view"]))
    status, _ = await slack.event(event, "Ev1", retry=1)
    assert status == 200
    await slack.settle()
    assert len(slack.fake.of("views.publish")) == 1

    home = published[0]["view"]["blocks"]
    post = button(home, "need.new")
    status, _ = await slack.click(ALICE, post, container={"type": "view", "view_id": "VHOME"})
    assert status == 200
    await slack.settle()
    assert slack.last_form()["callback_id"] == "need.post"  # a modal from Home
    status, body = await slack.submit(ALICE, slack.last_form(), {"title": "Seed swap", "hours": "2h"})
    assert body == {"response_action": "clear"}
    await slack.settle()
    assert len(slack.fake.of("views.publish")) == 2  # Home redrawn after the change
    assert "Seed swap" in " ".join(texts(slack.fake.last("views.publish")["view"]))
    assert slack.fake.invalid == []


async def test_export_uploads_the_csv_to_a_direct_message(slack):
    await slack.command(ALICE, "balance")  # on first contact the welcome card drops the file (conversation layer)
    status, body = await slack.command(ALICE, "export")
    assert status == 200
    await slack.settle()
    assert slack.fake.last("files.getUploadURLExternal")["filename"] == "hexitime-statement.csv"
    complete = slack.fake.last("files.completeUploadExternal")
    assert complete["channel_id"] == "DALICE"
    assert slack.fake.of("upload")


async def test_direct_message_to_the_bot_is_a_command(slack):
    event = {"type": "message", "channel_type": "im", "channel": "DALICE", "user": "UALICE",
             "text": "balance", "ts": "1.1", "team": "T1"}
    status, _ = await slack.event(event, "Ev2")
    assert status == 200
    await slack.settle()
    assert "Your hours" in headers(slack.fake.last("chat.postMessage")["blocks"])
