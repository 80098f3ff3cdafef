"""Channels and group chats: @mention commands, private answers, install welcome, stored references."""

import copy

from bot.teams.references import CHANNEL, MEMBER
from storage.teams_store import TeamsStore
from tests.bot.teams.harness import BOT, TENANT, User, fixture

ALICE, BOB = User("Alice"), User("Bob")
CHANNEL_ID = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"


def in_channel(teams, user: User, text: str, *mentions: User) -> dict:
    entities = [{"type": "mention", "text": "<at>Hexitime</at>", "mentioned": dict(BOT)}]
    entities += [{"type": "mention", "text": f"<at>{m.name}</at>", "mentioned": {"id": m.bf_id, "name": m.name}}
                 for m in mentions]
    return teams.envelope(
        user, text=f"<at>Hexitime</at> {text}", entities=entities,
        conversation={"isGroup": True, "conversationType": "channel", "tenantId": TENANT,
                      "id": f"{CHANNEL_ID};messageid=1700000000001"},
        channelData={"team": {"id": "19:team@thread.tacv2"}, "channel": {"id": CHANNEL_ID},
                     "tenant": {"id": TENANT}})


async def test_channel_mention_answers_privately_with_a_note_in_the_thread(teams):
    status, _ = await teams.post(in_channel(teams, ALICE, "balance"))
    assert status == 201
    [note] = teams.connector.to(f"{CHANNEL_ID};messageid=1700000000001", "reply")
    assert "personal chat" in note.body["text"]
    [created] = teams.connector.of("create")  # no 1:1 chat yet: one is opened in Alice's tenant
    assert created.body["members"] == [{"id": ALICE.bf_id}]
    assert created.body["channelData"] == {"tenant": {"id": TENANT}}
    [answer] = teams.connector.to(created.conversation_id, "send")
    assert answer.titles == ["Welcome to Hexitime", "Your hours"]

    store = TeamsStore(teams.services.db)
    channel = await store.get(CHANNEL, TENANT, CHANNEL_ID)
    assert channel.reference["conversation"]["id"] == CHANNEL_ID  # top level, not the thread
    member = await store.get(MEMBER, TENANT, ALICE.aad)
    assert member.reference["conversation"]["id"] == created.conversation_id


async def test_mention_text_is_stripped_and_other_mentions_become_member_keys(teams):
    await teams.say(BOB, "hello")
    captured = []
    handle = teams.services.conversation.handle

    async def spy(turn):
        captured.append(turn)
        return await handle(turn)

    teams.services.conversation.handle = spy
    await teams.post(in_channel(teams, ALICE, "help   balance", BOB))
    await teams.post(in_channel(teams, ALICE, "thank <at>Bob</at> for the audit", BOB))
    assert (captured[0].command, captured[0].text, captured[0].personal) == ("help", "balance", False)
    assert captured[1].text == "Bob for the audit" and captured[1].mentions == (BOB.aad,)
    assert captured[1].channel_id == CHANNEL_ID


async def test_bot_added_to_a_team_welcomes_the_channel_and_remembers_it(teams):
    activity = copy.deepcopy(fixture("msteamsdocs_conversationUpdate_bot_added_to_team.json"))
    activity["serviceUrl"] = teams.connector.url
    status, _ = await teams.post(activity)
    assert status == 201
    [welcome] = teams.connector.to(activity["conversation"]["id"])
    assert welcome.titles == ["Hexitime is here"]
    tenant = activity["conversation"]["tenantId"]
    assert await TeamsStore(teams.services.db).get(CHANNEL, tenant, activity["conversation"]["id"])


async def test_personal_install_starts_onboarding_once(teams):
    added = teams.envelope(ALICE, type="conversationUpdate", membersAdded=[dict(BOT)])
    added.pop("text")
    await teams.post(added)
    [welcome] = teams.connector.to(ALICE.chat)
    assert welcome.titles == ["Welcome to Hexitime", "How Hexitime works"]
    assert ("profile.edit", {"hx": "act", "a": "profile.edit", "r": ""}) in welcome.buttons()
    installed = teams.envelope(ALICE, type="installationUpdate", action="add")
    installed.pop("text")
    status, _ = await teams.post(installed)
    assert status == 201 and len(teams.connector.to(ALICE.chat)) == 1
