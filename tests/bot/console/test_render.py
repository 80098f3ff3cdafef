"""The console renderer: cards as text, buttons as numbers, user text never obeyed by the terminal."""

from bot.console import render
from bot.views import Button, Card, Field, Form, Image, Input, Message, Option


def test_cards_become_titled_text_with_buttons_numbered_across_the_message():
    msg = Message(cards=(
        Card(title="Need #3: Compost", text="Two lines\nof text", fields=(Field("Asked by", "Alice"),),
             buttons=(Button("I can help", "need.help", "3"), Button("Not for me", "need.dismiss", "3")),
             note="Posted today"),
        Card(title="Offer #4", buttons=(Button("Request", "offer.request", "4"),),
             overflow=(Button("Report", "offer.report", "4"),), image=Image("https://x.test/a.png", "chart")),
    ))
    shown = render.message(msg)
    assert shown.lines[:2] == ["Need #3: Compost", "─" * len("Need #3: Compost")]
    assert "Two lines" in shown.lines and "of text" in shown.lines
    assert "  Asked by: Alice" in shown.lines
    assert "  [1] I can help  [2] Not for me" in shown.lines
    assert "  (Posted today)" in shown.lines
    assert "  [3] Request" in shown.lines
    assert "  More: [4] Report" in shown.lines
    assert "  [image: chart] https://x.test/a.png" in shown.lines
    assert [b.action for b in shown.choices] == ["need.help", "need.dismiss", "offer.request", "offer.report"]


def test_numbering_can_continue_from_buttons_already_on_screen():
    shown = render.message(Message(cards=(Card(buttons=(Button("Accept", "x.accept", "1"),)),)), first=5)
    assert shown.lines == ["  [5] Accept"]


def test_escape_sequences_and_control_characters_are_inert():
    hostile = "Hi\x1b[2J\x1b[H\x1b]0;pwned\x07 there\x9b31m\r\x00\x08!\u202egnp.exe"
    shown = render.inert(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\r" not in shown and "\x00" not in shown and "\x08" not in shown and "\u202e" not in shown
    assert shown.startswith("Hi there")
    assert "␍" in shown and "␀" in shown and "␈" in shown  # visible, not obeyed


def test_titles_labels_and_buttons_stay_on_one_line():
    card = Card(title="Evil\ntitle\x1b[31m", fields=(Field("a\nb", "v1\nv2"),),
                buttons=(Button("Go\r\nnow", "x"),))
    lines = render.card(card, 1, [])
    assert lines[0] == "Evil title"
    assert lines[2:] == ["  a b: v1", "    v2", "  [1] Go now"]


def test_emoji_and_accents_survive():
    assert render.inert("Café 🌱 ✓ — “quotes” 👩‍⚕️") == "Café 🌱 ✓ — “quotes” 👩‍⚕️"


def test_prompts_show_hint_default_and_required_mark():
    hours = Input("hours", "Estimated hours", kind="hours", required=True, value="1h", hint="e.g. 90m")
    assert render.prompt(hours) == "Estimated hours * (e.g. 90m) [1h]: "
    pick = Input("campaign", "Campaign", kind="select", value="2",
                 options=(Option("Greener surgery", "1"), Option("Biodiversity", "2")))
    assert render.prompt(pick) == "Campaign (a number) [2]: "
    assert render.options(pick) == ["    1) Greener surgery", "    2) Biodiversity ✓"]
    tick = Input("digest", "Weekly digest", kind="checkbox", value=True)
    assert render.prompt(tick) == "Weekly digest (y/n) [y]: "
    many = Input("c", "Campaigns", kind="multiselect", value=["1", "2"], options=pick.options)
    assert render.prompt(many) == "Campaigns (numbers separated by commas) [1, 2]: "


def test_form_header_shows_the_confirmation_of_an_irreversible_step():
    form = Form("x.forget", "Forget me", confirm="This can't be undone.", intro="We keep the ledger.")
    assert render.form_header(form)[1:] == ["Forget me", "─────────", "We keep the ledger.",
                                            "This can't be undone."]


def test_notice_line_names_the_recipient_and_summarises():
    msg = Message(cards=(Card(title="Alice proposes\x1b[2J an exchange\nsecond line"),))
    assert render.notice("Bob", msg) == "📨 to Bob: Alice proposes an exchange"


def test_attachment_names_cannot_leave_the_folder():
    assert render.safe_filename("../../etc/passwd") == "passwd"
    assert render.safe_filename("C:\\Windows\\evil.bat") == "evil.bat"
    assert render.safe_filename("my statement (1).csv") == "my-statement-1-.csv"
    assert render.safe_filename("..") == "hexitime-file"
    assert render.safe_filename("") == "hexitime-file"
