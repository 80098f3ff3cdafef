"""The Adaptive Card renderer: valid 1.5 cards, user text inert, forms of every input kind, 28 KB."""

import json

import pytest

from bot.teams import payloads
from bot.teams.cards import inert, render_message, render_one
from bot.teams.forms import form_card, launcher_card, task_continue
from bot.views import DANGER, Button, Card, Field, Form, Image, Input, Message, Option
from tests.bot.teams.harness import CardValidator

HOSTILE = "[click me](https://evil.example) <at>Boss</at> **loud** _it_ `code` # head\n- item\n1. one &amp; ~x~"


@pytest.fixture
def cards() -> CardValidator:
    return CardValidator()


def test_user_text_cannot_become_a_link_mention_or_markup():
    shown = inert(HOSTILE)
    for raw in ("[click me]", "](https", "<at>", "**loud**", "_it_", "`code`", "\n- item", "\n1. one", " &amp;"):
        assert raw not in shown
    assert shown.replace("\\", "") == HOSTILE  # nothing lost, only escaped


def test_every_part_of_a_card_renders_valid_and_inert(cards):
    view = Card(title=HOSTILE, text=HOSTILE, fields=(Field(HOSTILE, HOSTILE),),
                image=Image("https://example.org/chart.png", "a chart"),
                buttons=(Button("Accept", "exchange.accept", "7", "primary"),
                         Button("Withdraw", "need.withdraw", "3", DANGER, confirm="Really?")),
                overflow=(Button("Dismiss", "need.dismiss", "3"),), note=HOSTILE)
    [card] = render_message(Message(cards=(view, Card(text="second"))))
    cards.check(card)
    text = json.dumps(card)
    assert "<at>" not in text and "[click me](" not in text and "msteams" in card
    execute = card["body"][0]["items"][-2]["actions"][0]
    assert execute["type"] == "Action.Execute" and execute["verb"] == "exchange.accept"
    assert execute["data"] == {"hx": "act", "a": "exchange.accept", "r": "7"}
    assert execute["fallback"]["type"] == "Action.Submit" and execute["fallback"]["data"] == execute["data"]
    confirm = card["body"][0]["items"][-2]["actions"][1]
    assert confirm["type"] == "Action.ShowCard" and confirm["card"]["actions"][0]["verb"] == "need.withdraw"


def test_big_messages_split_and_in_place_updates_keep_one_card(cards):
    message = Message(cards=tuple(Card(title=f"#{n}", text="y" * 4000) for n in range(30)))
    rendered = render_message(message)
    assert len(rendered) > 1
    for card in rendered:
        cards.check(card)
    one = render_one(message)
    cards.check(one)
    assert "left out" in json.dumps(one)


def test_forms_of_every_kind_render_inline_in_a_task_module_and_as_a_launcher(cards):
    kinds = {"text": "a", "multiline": "b", "hours": "1h", "number": "3", "select": "2",
             "multiselect": ["1", "2"], "date": "2026-12-24", "checkbox": True}
    options = (Option("One", "1"), Option("Two", "2"))
    form = Form("f.all", "Everything", tuple(
        Input(k, f"Field {k}", kind=k, required=k == "text", value=v, options=options, hint="hint",
              error="bad" if k == "hours" else None, max_length=20, placeholder="p")
        for k, v in kinds.items()), ref="9", intro=HOSTILE)
    for card in (form_card(form, inline=True), form_card(form, inline=False), launcher_card(form),
                 task_continue(form)["task"]["value"]["card"]["content"]):
        cards.check(card)
    inline = form_card(form, inline=True)
    assert inline["actions"][0]["type"] == "Action.Execute" and inline["actions"][0]["verb"] == "hexitime.form"
    data = inline["actions"][0]["data"]
    assert payloads.values({**data, "in:multiselect": "1,2", "in:checkbox": "false", "in:text": "x"}) == {
        "multiselect": ["1", "2"], "checkbox": False, "text": "x"}
    assert payloads.unpack_form(launcher_card(form)["actions"][0]["data"]["form"]) == form


def test_a_confirmation_step_shows_the_values_and_carries_them(cards):
    form = Form("f.sure", "Forget me", (Input("name", "Name", value="Alice"),), confirm="This cannot be undone.")
    card = form_card(form, inline=True)
    cards.check(card)
    assert payloads.values(card["actions"][0]["data"]) == {"name": "Alice"}
