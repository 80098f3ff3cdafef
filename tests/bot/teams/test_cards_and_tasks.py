"""adaptiveCard/action and task-module invokes answer 200 with the right body (the 4.17 defect)."""

from tests.bot.teams.harness import User

ALICE = User("Alice")
CARD = "application/vnd.microsoft.card.adaptive"


def form_data(form_id: str, ref: str = "", **values) -> dict:
    return {"hx": "form", "f": form_id, "r": ref, **{f"in:{k}": v for k, v in values.items()}}


async def own_need(teams) -> tuple[str, dict]:
    """Alice posts a need and lists it: the Withdraw button (behind its confirmation)."""
    await teams.execute(ALICE, "hexitime.form", form_data("need.post", title="Compost bins", hours="1"))
    await teams.say(ALICE, "needs mine")
    listing = teams.connector.to(ALICE.chat)[-1]
    return next(b for b in listing.buttons() if b[0] == "need.withdraw")


async def test_card_action_updates_the_card_in_place_so_a_second_click_cannot_repeat(teams):
    verb, data = await own_need(teams)
    body = await teams.execute(ALICE, verb, data)
    assert body["statusCode"] == 200 and body["type"] == CARD
    assert body["value"]["type"] == "AdaptiveCard" and body["value"]["version"] == "1.5"
    assert "is withdrawn" in str(body["value"]) and "Action.Execute" not in str(body["value"])
    again = await teams.execute(ALICE, verb, data)
    assert again == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                     "value": again["value"]}
    assert teams.connector.to(ALICE.chat)[-1].buttons() == []  # a refusal, nothing withdrawn twice


async def test_task_module_round_trip_with_errors_then_success(teams):
    await teams.say(ALICE, "need Compost bins for the staff room")
    launcher = teams.connector.to(ALICE.chat)[-1]
    [opener] = launcher.cards[0]["actions"]
    assert opener["type"] == "Action.Submit" and opener["data"]["msteams"] == {"type": "task/fetch"}

    fetched = await teams.task(ALICE, "task/fetch", opener["data"], reply_to=launcher.activity_id)
    assert fetched["task"]["type"] == "continue"
    form = fetched["task"]["value"]["card"]["content"]
    ids = [e["id"] for e in form["body"] if "id" in e]
    assert ids == ["in:title", "in:description", "in:campaign", "in:skills", "in:hours"]
    assert next(e for e in form["body"] if e.get("id") == "in:title")["value"] == "Compost bins for the staff room"
    submit = form["actions"][0]["data"]

    bad = await teams.task(ALICE, "task/submit", {**submit, "in:title": "", "in:hours": "-1"},
                           reply_to=launcher.activity_id)
    assert bad["task"]["type"] == "continue"
    errors = [e["text"] for e in bad["task"]["value"]["card"]["content"]["body"] if e.get("color") == "Attention"]
    assert len(errors) == 2

    done = await teams.task(ALICE, "task/submit", {**submit, "in:title": "Compost bins", "in:hours": "1h30"},
                            reply_to=launcher.activity_id)
    assert done is None  # 200, empty body: the dialog closes
    [update] = teams.connector.of("update")
    assert update.activity_id == launcher.activity_id
    assert update.titles[0] == "Your need is posted" and update.titles[1].startswith("Need #")


async def test_inline_form_submitted_by_action_execute(teams):
    await teams.say(ALICE, "hello")
    body = await teams.execute(ALICE, "hexitime.form", form_data("need.post", title="", hours="x"))
    assert body["type"] == CARD  # short forms and their errors come back inline, in the same card
    body = await teams.execute(ALICE, "hexitime.form", form_data("need.post", title="Bins", hours="1"))
    assert body["type"] == CARD and "Your need is posted" in str(body["value"])


async def test_action_submit_fallback_updates_the_message(teams):
    verb, data = await own_need(teams)
    status, _ = await teams.say(ALICE, "", value=data, replyToId="m77")
    assert status == 201
    [update] = teams.connector.of("update")
    assert update.activity_id == "m77" and "is withdrawn" in update.texts


async def test_stale_or_foreign_card_data_is_refused_kindly(teams):
    body = await teams.execute(ALICE, "whatever", {"evil": True})
    assert body["type"] == "application/vnd.microsoft.activity.message" and "out of date" in body["value"]
    fetched = await teams.task(ALICE, "task/fetch", {"hx": "open", "form": {"nonsense": 1}})
    assert fetched["task"]["type"] == "message"
    body = await teams.execute(ALICE, "no.such.action", {"hx": "act", "a": "no.such.action", "r": "1"})
    assert body["statusCode"] == 200
