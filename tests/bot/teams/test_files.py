"""Files for Teams members: a file consent card, then the bytes PUT to their OneDrive and a file info card.

Activities have the shapes Teams sends (`fileConsent/invoke` with `value.action`, `value.context`
— the card's accept/decline context — and `value.uploadInfo`); they go through POST /api/messages.
"""

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.teams.files import CONSENT, DECLINED, GONE, INFO, ON_ITS_WAY, SAVED
from bot.teams.present import FILE_SENT_PRIVATELY, SENT_PRIVATELY
from bot.teams.turns import PLATFORM
from core import statements
from storage.teams_files import FileOfferStore
from tests.bot.teams.fake_onedrive import FakeOneDrive
from tests.bot.teams.harness import TENANT, User, start
from tests.bot.teams.test_channels import CHANNEL_ID, in_channel

ALICE, BOB = User("Alice"), User("Bob")
THREAD = f"{CHANNEL_ID};messageid=1700000000001"
OLD_NOTE = "can't receive files"


@pytest.fixture
async def onedrive():
    drive = FakeOneDrive()
    runner, drive.url = await start(drive.app())
    try:
        yield drive
    finally:
        await runner.cleanup()


def consent_cards(calls) -> list[dict]:
    return [a for call in calls for a in call.attachments(CONSENT)]


def upload_info(onedrive: FakeOneDrive, session: str, name: str = "hexitime-statement.csv") -> dict:
    """What Teams puts in `uploadInfo` once the member accepts: a session URL and where the file will live."""
    return {"contentUrl": f"https://contoso-my.sharepoint.com/personal/alice/Documents/Applications/Hexitime/{name}",
            "name": name, "uploadUrl": onedrive.session(session),
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": name.rsplit(".", 1)[-1]}


async def answer(teams, user: User, action: str, context: dict, upload: dict | None = None,
                 reply_to: str = "m1", **fields) -> tuple[int, object]:
    value = {"type": "fileUpload", "action": action, "context": context}
    if upload is not None:
        value["uploadInfo"] = upload
    activity = teams.envelope(user, type="invoke", name="fileConsent/invoke", value=value, replyToId=reply_to,
                             **fields)
    activity.pop("text", None)
    return await teams.post(activity)


async def statement_bytes(teams, user: User) -> bytes:
    async def read(ctx, key):
        member = await ctx.uow.members.by_identity(PLATFORM, TENANT, key)
        return await statements.export_csv(ctx, member.id)

    return (await teams.services.bank.read(read, user.aad)).encode("utf-8")


async def offered(teams, user: User, command: str = "export") -> dict:
    """Say the command in personal chat; returns the one consent card that came back."""
    await teams.say(user, command)
    [card] = consent_cards(teams.connector.to(user.chat))
    return card


def texts(teams, conversation: str) -> list[str]:
    return [call.body.get("text") or "" for call in teams.connector.to(conversation)]


async def test_export_in_personal_chat_offers_the_file_and_accept_uploads_it(teams, onedrive):
    card = await offered(teams, ALICE)
    expected = await statement_bytes(teams, ALICE)
    replies = teams.connector.to(ALICE.chat)
    assert replies[-1].attachments(CONSENT) == [card]  # after the cards
    assert "Your statement" in replies[-2].titles
    assert not any(OLD_NOTE in text for text in texts(teams, ALICE.chat))
    assert card["name"] == "hexitime-statement.csv"
    content = card["content"]
    assert set(content) == {"description", "sizeInBytes", "acceptContext", "declineContext"}
    assert content["sizeInBytes"] == len(expected) and expected.startswith(b"transfer,date")
    assert content["acceptContext"] == content["declineContext"] and len(content["acceptContext"]["offer"]) >= 32

    status, body = await answer(teams, ALICE, "accept", content["acceptContext"], upload_info(onedrive, "s1"),
                                reply_to=replies[-1].activity_id)
    assert (status, body) == (200, None)
    [upload] = onedrive.uploads
    assert upload.body == expected
    assert upload.content_range == f"bytes 0-{len(expected) - 1}/{len(expected)}"
    assert upload.content_length == str(len(expected))
    last = teams.connector.to(ALICE.chat)[-1]
    [info] = last.attachments(INFO)
    assert info["name"] == "hexitime-statement.csv" and info["contentUrl"].endswith("/hexitime-statement.csv")
    assert info["content"] == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "csv"}
    assert last.body["text"] == SAVED
    store = FileOfferStore(teams.services.db)
    assert await store.get(content["acceptContext"]["offer"], TENANT, ALICE.aad) is None


async def test_the_export_button_offers_the_file_too(teams):
    await teams.say(ALICE, "balance")
    body = await teams.execute(ALICE, "export.csv", {"hx": "act", "a": "export.csv", "r": ""})
    assert body["statusCode"] == 200
    [card] = consent_cards(teams.connector.to(ALICE.chat))
    assert card["name"] == "hexitime-statement.csv"


async def test_decline_forgets_the_file(teams, onedrive):
    card = await offered(teams, ALICE)
    status, _ = await answer(teams, ALICE, "decline", card["content"]["declineContext"])
    assert status == 200
    assert texts(teams, ALICE.chat)[-1] == DECLINED
    assert onedrive.uploads == []
    offer_id = card["content"]["declineContext"]["offer"]
    assert await FileOfferStore(teams.services.db).get(offer_id, TENANT, ALICE.aad) is None
    await answer(teams, ALICE, "accept", card["content"]["acceptContext"], upload_info(onedrive, "late"))
    assert texts(teams, ALICE.chat)[-1] == GONE and onedrive.uploads == []


async def test_an_expired_offer_is_not_uploaded(teams, onedrive, clock):
    card = await offered(teams, ALICE)
    clock.advance(timedelta(hours=24, minutes=1))
    status, _ = await answer(teams, ALICE, "accept", card["content"]["acceptContext"], upload_info(onedrive, "s"))
    assert status == 200
    assert texts(teams, ALICE.chat)[-1] == GONE
    assert onedrive.uploads == [] and not teams.connector.to(ALICE.chat)[-1].attachments(INFO)


@pytest.mark.parametrize("context", [{"offer": "no-such-offer"}, {}, {"offer": 7}, "not a dict"])
async def test_an_unknown_consent_gets_a_friendly_answer(teams, onedrive, context):
    await teams.say(ALICE, "balance")
    status, body = await answer(teams, ALICE, "accept", context, upload_info(onedrive, "s"))
    assert (status, body) == (200, None)
    assert texts(teams, ALICE.chat)[-1] == GONE and onedrive.uploads == []


async def test_someone_elses_consent_neither_uploads_nor_spoils_it(teams, onedrive):
    card = await offered(teams, ALICE)
    await teams.say(BOB, "balance")
    stolen = card["content"]["acceptContext"]
    await answer(teams, BOB, "accept", stolen, upload_info(onedrive, "bob"))
    await answer(teams, BOB, "decline", stolen)
    assert texts(teams, BOB.chat)[-2:] == [GONE, DECLINED] and onedrive.uploads == []
    await answer(teams, ALICE, "accept", stolen, upload_info(onedrive, "alice"))
    assert [u.session for u in onedrive.uploads] == ["alice"]


async def test_a_double_accept_uploads_once(teams, onedrive):
    card = await offered(teams, ALICE)
    accept = card["content"]["acceptContext"]
    await answer(teams, ALICE, "accept", accept, upload_info(onedrive, "first"))
    status, _ = await answer(teams, ALICE, "accept", accept, upload_info(onedrive, "second"))
    assert status == 200
    assert [u.session for u in onedrive.uploads] == ["first"]
    assert texts(teams, ALICE.chat)[-1] == GONE


async def test_two_accepts_at_once_upload_once(teams, onedrive):
    card = await offered(teams, ALICE)
    accept = card["content"]["acceptContext"]
    onedrive.delay = 0.3
    results = await asyncio.gather(answer(teams, ALICE, "accept", accept, upload_info(onedrive, "a")),
                                   answer(teams, ALICE, "accept", accept, upload_info(onedrive, "b")))
    assert [status for status, _ in results] == [200, 200]
    assert len(onedrive.uploads) == 1
    assert ON_ITS_WAY in texts(teams, ALICE.chat)
    assert sum(len(call.attachments(INFO)) for call in teams.connector.to(ALICE.chat)) == 1


async def test_a_failed_upload_says_so_keeps_the_offer_and_can_be_retried(teams, onedrive):
    card = await offered(teams, ALICE)
    accept = card["content"]["acceptContext"]
    onedrive.fail_next(500)
    status, _ = await answer(teams, ALICE, "accept", accept, upload_info(onedrive, "broken"))
    assert status == 200
    assert onedrive.uploads == [] and onedrive.cancelled == ["broken"]
    failed, again = teams.connector.to(ALICE.chat)[-2:]
    assert "couldn't save hexitime-statement.csv" in failed.body["text"]
    assert not any(call.attachments(INFO) for call in teams.connector.to(ALICE.chat))
    [retry] = again.attachments(CONSENT)
    assert retry["content"]["acceptContext"] == accept
    await answer(teams, ALICE, "accept", accept, upload_info(onedrive, "retry"))
    assert [u.session for u in onedrive.uploads] == ["retry"]
    assert onedrive.uploads[0].body == await statement_bytes(teams, ALICE)


async def test_a_slow_upload_is_abandoned_so_the_invoke_is_answered_promptly(teams, onedrive):
    card = await offered(teams, ALICE)
    teams.front.files.upload_seconds, onedrive.delay = 0.3, 2.0
    started = asyncio.get_running_loop().time()
    status, _ = await answer(teams, ALICE, "accept", card["content"]["acceptContext"], upload_info(onedrive, "slow"))
    assert status == 200 and asyncio.get_running_loop().time() - started < 1.5
    assert onedrive.cancelled == ["slow"]
    assert "couldn't save" in teams.connector.to(ALICE.chat)[-2].body["text"]


async def test_an_unreachable_upload_url_is_a_polite_failure(teams, onedrive):
    card = await offered(teams, ALICE)
    upload = upload_info(onedrive, "x") | {"uploadUrl": "http://127.0.0.1:9/closed"}
    status, _ = await answer(teams, ALICE, "accept", card["content"]["acceptContext"], upload)
    assert status == 200
    assert "couldn't save" in teams.connector.to(ALICE.chat)[-2].body["text"]


async def test_a_file_asked_for_in_a_channel_is_offered_in_personal_chat(teams, onedrive):
    status, _ = await teams.post(in_channel(teams, ALICE, "export"))
    assert status == 201
    [note] = teams.connector.to(THREAD, "reply")
    assert note.body["text"] == SENT_PRIVATELY
    assert not consent_cards(teams.connector.to(THREAD))  # Teams has no file consent in channels
    [created] = teams.connector.of("create")
    cards, consent = teams.connector.to(created.conversation_id, "send")
    assert "Your statement" in cards.titles
    [card] = consent.attachments(CONSENT)
    # the member accepts in their personal chat (the one just opened)
    await answer(teams, ALICE, "accept", card["content"]["acceptContext"], upload_info(onedrive, "c"),
                 conversation={"conversationType": "personal", "tenantId": TENANT, "id": created.conversation_id})
    assert onedrive.uploads[0].body == await statement_bytes(teams, ALICE)


async def test_mydata_from_a_group_chat_goes_to_the_existing_personal_chat(teams):
    await teams.say(ALICE, "hello")
    group = in_channel(teams, ALICE, "mydata")
    group["conversation"] = {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT,
                             "id": "19:group-chat@thread.v2"}
    group["channelData"] = {"tenant": {"id": TENANT}}
    await teams.post(group)
    assert texts(teams, "19:group-chat@thread.v2") == [SENT_PRIVATELY]
    assert teams.connector.of("create") == []
    [card] = consent_cards(teams.connector.to(ALICE.chat, "send"))
    assert card["name"].startswith("hexitime-mydata-") and card["name"].endswith(".json")
    offer = await FileOfferStore(teams.services.db).get(card["content"]["acceptContext"]["offer"], TENANT, ALICE.aad)
    assert offer.content_type == "application/json"
    assert json.loads(offer.content)["profile"]["display_name"] == "Alice"


async def test_a_public_answer_with_a_file_sends_only_the_file_to_personal_chat(teams):
    handle = teams.services.conversation.handle

    async def public(turn):  # no handler answers publicly with a file yet; the presenter must cope
        return replace(await handle(turn), private=False)

    teams.services.conversation.handle = public
    await teams.post(in_channel(teams, ALICE, "export"))
    [answered, note] = teams.connector.to(THREAD, "reply")
    assert "Your statement" in answered.titles and note.body["text"] == FILE_SENT_PRIVATELY
    [created] = teams.connector.of("create")
    lead_in, consent = teams.connector.to(created.conversation_id, "send")
    assert "hexitime-statement.csv" in lead_in.texts
    assert consent.attachments(CONSENT)[0]["name"] == "hexitime-statement.csv"


async def test_a_member_who_cannot_be_reached_personally_is_told_in_the_thread(teams):
    teams.connector.fail_next(403, code="BotNotInConversationRoster")
    await teams.post(in_channel(teams, ALICE, "export"))
    [note] = teams.connector.to(THREAD, "reply")
    assert "couldn't message you personally" in note.body["text"]
    assert consent_cards(teams.connector.calls) == []
