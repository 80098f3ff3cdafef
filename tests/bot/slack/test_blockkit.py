"""The renderer keeps Slack's limits by paging and trimming, and every string inert."""

from bot.slack import blockkit, forms, turns
from bot.views import Button, Card, Field, Form, Input, Message, Option
from tests.bot.slack.fake_slack import check_blocks, check_view, texts


def test_long_messages_page_within_fifty_blocks():
    cards = tuple(Card(title=f"Card {i}", text="x", buttons=(Button("Go", "a.b", str(i)),)) for i in range(40))
    pages = blockkit.pages(Message(cards=cards))
    assert len(pages) > 1
    for page in pages:
        assert check_blocks(page, 50) == []
        assert page[0]["type"] != "divider"
    shown = [t for page in pages for t in texts(page)]
    assert "Card 39" in shown


def test_oversized_pieces_are_split_or_trimmed():
    huge = "<" * 5000 + "\n" + "word " * 2000
    card = Card(title="T" * 400, text=huge, fields=tuple(Field(f"f{i}", "v" * 3000) for i in range(23)),
                buttons=tuple(Button("B" * 200, "same", "r" * 3000) for i in range(30)))
    blocks = blockkit.message_blocks(Message(cards=(card,)))
    for page in blockkit.pages(Message(cards=(card,))):
        assert check_blocks(page, 50) == []
    assert sum(1 for b in blocks if b["type"] == "actions") == 2
    assert sum(len(b.get("fields", [])) for b in blocks) == 23


def test_duplicate_actions_get_unique_ids_and_come_back_as_the_same_action():
    blocks = blockkit.card_blocks(Card(buttons=page_buttons()))
    ids = [e["action_id"] for e in blocks[0]["elements"]]
    assert len(set(ids)) == 2 and {blockkit.action_name(i) for i in ids} == {"needs.page"}
    assert turns.action_of({"type": "button", "action_id": ids[1], "value": "2"}) == ("needs.page", "2")


def page_buttons() -> tuple[Button, ...]:
    return Button("Previous", "needs.page", "0"), Button("Next", "needs.page", "2")


def test_overflow_menus_carry_action_and_ref():
    card = Card(overflow=(Button("Pause", "offer.pause", "7"), Button("Close", "offer.close", "7")))
    element = blockkit.card_blocks(card)[0]["elements"][0]
    assert element["type"] == "overflow"
    chosen = {**element, "selected_option": element["options"][1]}
    assert turns.action_of(chosen) == ("offer.close", "7")


def test_mentions_links_and_entities_in_user_text_stay_text():
    evil = "<!channel> <!here|here> <@U123> <https://x.example|y> &amp; >"
    blocks = blockkit.message_blocks(Message(cards=(Card(title=evil, text=evil, fields=(Field(evil, evil),),
                                                         buttons=(Button(evil, "a"),), note=evil),)))
    for text in texts(blocks):
        assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in texts(blocks)[0]
    assert "&amp;amp;" in texts(blocks)[0]
    assert all(text["type"] == "plain_text" for text in _text_objects(blocks))


def _text_objects(node):
    if isinstance(node, dict):
        own = [node] if node.get("type") in ("plain_text", "mrkdwn") else []
        return own + [t for v in node.values() for t in _text_objects(v)]
    if isinstance(node, list):
        return [t for item in node for t in _text_objects(item)]
    return []


def test_wire_text_from_slack_becomes_plain_text_with_mentions():
    text, mentions = turns.plain_text("ask <@U1|ann> and <@W2> in <#C3|general>: <https://a.example|docs> &amp; &lt;")
    assert text == "ask @ann and @W2 in #general: docs (https://a.example) & <"
    assert mentions == ("U1", "W2")


def test_every_input_kind_renders_and_reads_back():
    form = Form("f.id", "A very long form title that Slack would refuse", ref="12", inputs=(
        Input("t", "Text", value="hi", max_length=50), Input("m", "Multi", kind="multiline"),
        Input("h", "Hours", kind="hours", value="1h"), Input("n", "Number", kind="number", value="3"),
        Input("s", "Select", kind="select", options=(Option("A", "a"), Option("B", "b")), value="b"),
        Input("ms", "Multi select", kind="multiselect", options=(Option("A", "a"),), value=["a"]),
        Input("d", "Date", kind="date", value="2026-01-31"), Input("c", "Check", kind="checkbox", value=True),
    ))
    view = forms.modal(form, "C9")
    assert check_view(view) == []
    assert len(view["title"]["text"]) <= 24
    state = {"values": {
        "t": {"t": {"type": "plain_text_input", "value": "typed"}},
        "s": {"s": {"type": "static_select", "selected_option": {"value": "a"}}},
        "ms": {"ms": {"type": "multi_static_select", "selected_options": [{"value": "a"}]}},
        "d": {"d": {"type": "datepicker", "selected_date": "2026-02-01"}},
        "c": {"c": {"type": "checkboxes", "selected_options": []}},
    }}
    values, ref, channel = forms.submitted({**view, "state": state})
    assert values == {"t": "typed", "s": "a", "ms": ["a"], "d": "2026-02-01", "c": False}
    assert (ref, channel) == ("12", "C9")


def test_confirm_step_carries_the_values_and_errors_sit_beside_fields():
    form = Form("x.send", "Send?", confirm="This can't be undone.", inputs=(Input("note", "Note", value="hello"),))
    view = forms.modal(form)
    assert check_view(view) == [] and not any(b["type"] == "input" for b in view["blocks"])
    assert forms.submitted(view)[0] == {"note": "hello"}
    plain = Form("x.send", "Send", inputs=(Input("note", "Note"),)).with_errors({"note": "Too long"}, {})
    shown = forms.modal(plain)
    assert forms.errors(plain, shown) == {"response_action": "errors", "errors": {"note": "Too long"}}
