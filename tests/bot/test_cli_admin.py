"""`hexitime admin grant-role IDENTITY ROLE`: the first admins and leads, on a real database."""

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.conversation import Conversation
from bot.turns import Turn
from core import directory
from core.members import Role


def hexitime(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    names = {str(f.validation_alias) for f in Settings.model_fields.values()}
    environ = {k: v for k, v in os.environ.items() if k not in names}
    environ["DATABASE_URL"] = url
    script = Path(sys.executable).with_name("hexitime")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(command + list(args), cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


async def test_grant_role_makes_a_new_identity_an_admin_who_can_use_admin_commands(bank, db, tmp_path):
    done = hexitime("admin", "grant-role", "slack:T1:UBOSS", "admin", cwd=tmp_path, url=db.url)
    assert done.returncode == 0, done.stderr
    assert "slack:T1:UBOSS is now admin" in done.stdout
    boss, created = await bank.run(directory.resolve, "slack", "T1", "UBOSS")
    assert not created and boss.role == Role.ADMIN
    reply = await Conversation(bank).handle(Turn(platform="slack", workspace_id="T1", user_id="UBOSS",
                                                 command="help"))
    assert "grant" in {f.label.split()[0] for f in reply.cards[-1].fields}


async def test_grant_role_changes_an_existing_member_without_making_another(bank, db, tmp_path):
    alice, _ = await bank.run(directory.resolve, "teams", "TEN", "AAD1", "Alice")
    lead = hexitime("admin", "grant-role", "teams:TEN:AAD1", "Lead", cwd=tmp_path, url=db.url)
    assert lead.returncode == 0, lead.stderr
    again, created = await bank.run(directory.resolve, "teams", "TEN", "AAD1")
    assert not created and again.id == alice.id and again.role == Role.LEAD
    back = hexitime("admin", "grant-role", "teams:TEN:AAD1", "member", cwd=tmp_path, url=db.url)
    assert back.returncode == 0
    assert (await bank.run(directory.resolve, "teams", "TEN", "AAD1"))[0].role == Role.MEMBER


async def test_grant_role_refuses_unknown_roles_and_identities(bank, db, tmp_path):
    bad_role = hexitime("admin", "grant-role", "slack:T1:U2", "king", cwd=tmp_path, url=db.url)
    assert bad_role.returncode == 2 and "'king'" in bad_role.stderr
    assert all(role in bad_role.stderr for role in ("admin", "lead", "member"))
    bad_identity = hexitime("admin", "grant-role", "slack:T1", "admin", cwd=tmp_path, url=db.url)
    assert bad_identity.returncode == 2 and "platform identity" in bad_identity.stderr
    assert await bank.read(lambda ctx: ctx.uow.members.by_identity("slack", "T1", "U2")) is None
