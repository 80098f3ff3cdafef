"""Typed answers to form prompts: defaults, clearing, options by number or name, y/n."""

import pytest

from bot.console.forms import FormFiller, Invalid, parse
from bot.views import Form, Input, Option

CAMPAIGNS = (Option("Greener surgery", "1"), Option("Biodiversity", "2"), Option("Waste management", "3"))


def test_enter_keeps_the_current_value_and_dash_clears_it():
    hours = Input("hours", "Hours", kind="hours", value="1h")
    assert parse(hours, "") == "1h"
    assert parse(hours, "  90m ") == "90m"
    assert parse(Input("skills", "Skills", value="x"), "-") is None


def test_required_fields_refuse_an_empty_answer():
    with pytest.raises(Invalid):
        parse(Input("title", "Title", required=True), "   ")
    with pytest.raises(Invalid):
        parse(Input("title", "Title", required=True, value="old"), "-")


def test_select_takes_a_number_a_label_or_a_value():
    pick = Input("campaign", "Campaign", kind="select", options=CAMPAIGNS)
    assert parse(pick, "2") == "2"
    assert parse(pick, "waste management") == "3"
    for wrong in ("4", "0", "compost"):
        with pytest.raises(Invalid, match="1 to 3"):
            parse(pick, wrong)


def test_multiselect_takes_numbers_or_names_each_once():
    many = Input("campaigns", "Campaigns", kind="multiselect", options=CAMPAIGNS)
    assert parse(many, "1, 3") == ["1", "3"]
    assert parse(many, "3 1 3") == ["3", "1"]
    assert parse(many, "Waste management, Biodiversity") == ["3", "2"]
    assert parse(many, "-") == []
    with pytest.raises(Invalid):
        parse(many, "1, 9")


def test_checkbox_is_yes_or_no():
    tick = Input("digest", "Digest", kind="checkbox", value=True)
    assert parse(tick, "") is True
    assert parse(tick, "n") is False
    assert parse(tick, "YES") is True
    with pytest.raises(Invalid):
        parse(tick, "maybe")


def test_multiline_reads_until_an_empty_line():
    answers = iter(["First line", "second line", ""])
    screen: list[str] = []
    filler = FormFiller(lambda prompt: next(answers), screen.append)
    form = Form("x", "X", inputs=(Input("details", "Details", kind="multiline"),))
    assert filler.fill(form) == {"details": "First line\nsecond line"}


def test_a_confirmation_step_submits_only_on_yes():
    form = Form("x.forget", "Forget me", inputs=(Input("who", "Who", value="me"),),
                confirm="This can't be undone.", submit_label="Forget me")
    prompts: list[str] = []

    def say(answer):
        def read(prompt):
            prompts.append(prompt)
            return answer
        return read

    assert FormFiller(say("y"), lambda _: None).fill(form) == {"who": "me"}
    assert FormFiller(say(""), lambda _: None).fill(form) is None
    assert prompts == ["Forget me? [y/N]: ", "Forget me? [y/N]: "]
