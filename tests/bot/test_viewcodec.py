"""A message survives the outbox's JSON unchanged."""

from bot.viewcodec import decode, encode
from bot.views import Attachment, Button, Card, Field, Image, Message


def test_round_trip_keeps_every_part():
    message = Message(
        cards=(Card(title="t <!channel>", text="x", fields=(Field("a", "b"),), image=Image("http://i", "alt"),
                    buttons=(Button("Go", "exchange.accept", "12", "primary", "Sure?"),),
                    overflow=(Button("More", "m"),), note="n"),),
        attachment=Attachment("s.csv", b"a,b\n", "text/csv"),
    )
    assert decode(encode(message)) == message
