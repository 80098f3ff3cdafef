"""Nudge and digest cards, and the two jobs the scheduler runs: the nudge scan and the digests.

The core decides who is nudged and when; this module only says it, in neutral
cards with snooze and stop buttons, encoded for the outbox.
"""

from datetime import timedelta
from functools import partial

from bot.config import load_settings
from bot.viewcodec import encode
from bot.views import DEFAULT, PRIMARY, Button, Card, Field, Message
from core import nudges
from core.minutes import format_minutes
from core.nudges import CampaignWeek, Nudge, NudgeSettings

SNOOZE = NudgeSettings.snooze

# kind → (title, text); {title} is the need's or exchange's title, {hours} its time, {id} its number.
WORDS = {
    "refine": ("Your need is still looking for a helper",
               "“{title}” has been open a while without a match. Could you refine it: clearer skills, "
               "a smaller ask, or a few more words about what a session would involve?"),
    "help": ("Can you help?",
             "“{title}” ({hours}) in one of your campaigns is looking for a helper, and your offer "
             "looks like a good fit."),
    "proposal": ("A proposal is waiting for your answer",
                 "Exchange #{id}, “{title}” ({hours}), is waiting for you to accept or decline."),
    "session": ("How did the session go?",
                "Exchange #{id}, “{title}”, was agreed a while ago and no time is logged yet. Log the "
                "hours once you've met, or cancel if it's off."),
    "confirm": ("Hours waiting for your confirmation",
                "Time was logged for exchange #{id}, “{title}”. Please confirm it, or adjust it if it's "
                "not right; unanswered logs are confirmed automatically after the deadline."),
    "hold": ("Held hours about to expire",
             "The {hours} held for exchange #{id}, “{title}”, expire soon. Log the session, or the "
             "hours go back."),
}
ACTIONS = {
    "refine": (("See matches", "matches.need"),),
    "help": (("I can help", "need.help"),),
    "proposal": (("Accept", "exchange.accept"), ("Decline", "exchange.decline")),
    "session": (("Log hours", "exchange.log"), ("Cancel", "exchange.cancel")),
    "confirm": (("Confirm", "exchange.confirm"), ("Adjust", "exchange.adjust")),
    "hold": (("Log hours", "exchange.log"),),
}


def nudge_card(nudge: Nudge, snooze: timedelta = SNOOZE) -> Card:
    """One nudge: what is waiting, the step that answers it, and snooze/stop."""
    title, text, buttons = _nudge_parts(nudge, snooze)
    return Card(title=title, text=text, buttons=tuple(Button(*parts) for parts in buttons), note=NUDGE_NOTE)


NUDGE_NOTE = "Quiet hours and which nudges you get: `settings`."


def _nudge_parts(nudge: Nudge, snooze: timedelta) -> tuple[str, str, list[tuple[str, str, str, str]]]:
    """Title, text and (label, action, ref, style) per button: what `nudge_card` and `render_nudge` show."""
    title, body = WORDS[nudge.kind]
    text = body.format(title=nudge.title or f"#{nudge.subject_id}", hours=format_minutes(nudge.minutes),
                       id=nudge.subject_id)
    ref = str(nudge.subject_id)
    buttons = [(label, action, ref, PRIMARY if i == 0 else DEFAULT)
               for i, (label, action) in enumerate(ACTIONS[nudge.kind])]
    buttons += [(snooze_label(snooze), "nudge.snooze", f"{nudge.kind}:{nudge.item}", DEFAULT),
                ("Stop these nudges", "nudge.stop", nudges.PREFERENCE.get(nudge.kind, nudge.kind), DEFAULT)]
    return ("Reminder: " if nudge.n > 1 else "") + title, text, buttons


def digest_card(weeks: tuple[CampaignWeek, ...]) -> Card:
    """The week in each of the member's campaigns, in one card."""
    fields = tuple(Field(week.title, _week_line(week)) for week in weeks)
    return Card(title="Your campaigns this week", fields=fields,
                buttons=(Button("See open needs", "needs.page", "0", PRIMARY),
                         Button("Stop the digest", "nudge.stop", "digest")),
                note="Sent on Monday mornings. Change it in `settings`.")


def _week_line(week: CampaignWeek) -> str:
    needs = f"{week.new_needs} new need{'s' if week.new_needs != 1 else ''}"
    thanks = f"{week.thanks} thank-you note{'s' if week.thanks != 1 else ''}"
    return f"{needs} · {format_minutes(week.minutes)} exchanged · {thanks}"


def snooze_label(snooze: timedelta) -> str:
    """The button says how long it holds the reminder back (HEXITIME_NUDGE_SNOOZE)."""
    hours = round(snooze.total_seconds() / 3600)
    if hours % 24 == 0:
        return f"Snooze {hours // 24} day{'s' if hours != 24 else ''}"
    return f"Snooze {hours} hour{'s' if hours != 1 else ''}"


def render_nudge(nudge: Nudge, snooze: timedelta = SNOOZE) -> dict:
    """`plain_encode(nudge_card(nudge))` without building the card: a backlog scan renders thousands."""
    title, text, buttons = _nudge_parts(nudge, snooze)
    return {"cards": [{
        "title": title, "text": text, "fields": [], "image": None,
        "buttons": [{"label": label, "action": action, "ref": ref, "style": style, "confirm": None}
                    for label, action, ref, style in buttons],
        "overflow": [], "note": NUDGE_NOTE,
    }]}


def plain_encode(card: Card) -> dict:
    """`viewcodec.encode` of a one-card message with no image or file, without `asdict`'s deep copies.

    A first scan renders tens of thousands of cards; this is ten times quicker (tests check both agree).
    """
    return {"cards": [{
        "title": card.title, "text": card.text,
        "fields": [{"label": f.label, "value": f.value} for f in card.fields], "image": None,
        "buttons": [_button(b) for b in card.buttons], "overflow": [_button(b) for b in card.overflow],
        "note": card.note,
    }]}


def _button(button: Button) -> dict:
    return {"label": button.label, "action": button.action, "ref": button.ref, "style": button.style,
            "confirm": button.confirm}


def render_digest(weeks: tuple[CampaignWeek, ...]) -> dict:
    return encode(Message(cards=(digest_card(weeks),)))


def settings_of(services) -> NudgeSettings:
    """The service's nudge settings (HEXITIME_NUDGE_*, read by `bot.config`); the defaults without any."""
    found = getattr(services.settings, "nudges", None)
    return found if isinstance(found, NudgeSettings) else NudgeSettings()


def current_settings() -> NudgeSettings:
    """For handlers, which see the bank but not the services: HEXITIME_NUDGE_* as `bot.config` reads them."""
    return load_settings().nudges


async def scan(services) -> int:
    """Queue the nudges that are due now; returns how many were queued."""
    settings = settings_of(services)
    return await services.bank.run(nudges.scan, settings, partial(render_nudge, snooze=settings.snooze))


async def digest(services) -> int:
    """Queue this week's digest for members whose Monday morning it is."""
    return await services.bank.run(nudges.digest, settings_of(services), render_digest)
