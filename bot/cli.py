"""The `hexitime` command: one entry point for the service, the worker and the admin tasks."""

import argparse
import asyncio
import inspect
import logging
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from bot.config import Settings, load_settings, parse_identity

log = logging.getLogger("hexitime")

NOT_YET = 2
"""Exit code of commands that a later release fills in."""


class _Redact(logging.Filter):
    """Scrubs every configured secret from log records, whichever library wrote them."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg, record.args = self._scrub(record.getMessage()), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._scrub(record.exc_text)
        return True


def configure_logging(settings: Settings) -> None:
    """One line per record on stderr, at HEXITIME_LOG_LEVEL, with secrets scrubbed."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact(settings.secret_values()))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hexitime", description="A time bank for Slack and Teams."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service (Slack, Teams, health)")
    serve.add_argument("--host", default=settings.host, help="address to listen on (%(default)s)")
    serve.add_argument(
        "--port", type=int, default=settings.port, help="port (%(default)s, or PORT)"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="leave scheduled jobs to `hexitime worker`"
    )

    commands.add_parser("worker", help="run the scheduler and deliveries only")

    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--as", dest="as_name", metavar="NAME", help="whom to act as")
    console.add_argument("--demo", action="store_true", help="start with demonstration data")

    db = commands.add_parser("db", help="database tasks").add_subparsers(
        dest="db_command", required=True, metavar="TASK"
    )
    db.add_parser("upgrade", help="migrate the database to the latest schema")

    ledger = commands.add_parser("ledger", help="ledger tasks").add_subparsers(
        dest="ledger_command", required=True, metavar="TASK"
    )
    ledger.add_parser("verify", help="check every ledger invariant; exit 1 if one fails")

    manifests = commands.add_parser("manifests", help="write the Slack and Teams app manifests")
    manifests.add_argument(
        "--base-url", required=True, help="public https URL of this service, e.g. https://hexitime.example.org"
    )
    manifests.add_argument("--teams-app-id", help="the Teams app id (for the Teams package)")
    manifests.add_argument("--out", default=".", help="folder that holds manifests/ (%(default)s)")

    admin = commands.add_parser("admin", help="first admins and campaign leads").add_subparsers(
        dest="admin_command", required=True, metavar="TASK"
    )
    grant = admin.add_parser("grant-role", help="give a platform identity a role")
    grant.add_argument(
        "identity", type=_identity, help="e.g. slack:T123:U456 or teams:TENANT:AADID"
    )
    grant.add_argument("role", help="e.g. admin or lead")
    return parser


def _identity(text: str) -> str:
    try:
        return parse_identity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def _worker(settings: Settings) -> int:
    from bot.bootstrap import bootstrap, close
    from bot.scheduler.runner import running_scheduler
    from bot.server import StopSignals

    with StopSignals() as stop:
        services = await bootstrap(settings)
        try:
            async with running_scheduler(services) as jobs:
                log.info("worker started: scheduler %s (database %s)", jobs.owner, settings.database_url_redacted)
                sig = await stop.wait()
                log.info("received %s; shutting down", sig.name if sig else "stop")
        finally:
            await close(services)
    log.info("stopped")
    return 0


async def _console(settings: Settings, as_name: str | None, demo: bool) -> int:
    try:
        from bot.console.main import run
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("bot.console"):
            raise
        print("hexitime console is not available in this version yet.", file=sys.stderr)
        return NOT_YET
    from bot.bootstrap import bootstrap, close

    services = await bootstrap(settings, front_ends=False)
    try:
        result = run(services, as_name, demo)
        if inspect.isawaitable(result):
            result = await result
    finally:
        await close(services)
    return result if isinstance(result, int) else 0


async def _db_upgrade(settings: Settings) -> int:
    from storage.database import Database

    db = Database(settings.database_url)
    try:
        revision = await db.upgrade()
    finally:
        await db.dispose()
    print(f"database is up to date at {revision or 'head'} ({settings.database_url_redacted})")
    return 0


async def _ledger_verify(settings: Settings) -> int:
    from storage.database import Database
    from storage.verify import verify_ledger

    db = Database(settings.database_url)
    try:
        result = await verify_ledger(db)
    finally:
        await db.dispose()
    for problem in result.problems:
        print(problem)
    if result.problems:
        print(f"ledger FAILED: {len(result.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ledger OK: {result.accounts} accounts, {result.transfers} transfers")
    return 0


def _manifests(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.slack import manifest as slack_manifest

    written = slack_manifest.write(args.base_url, Path(args.out))
    print(f"wrote {written}")
    if args.teams_app_id:
        from bot.teams import manifest as teams_manifest

        try:
            print(f"wrote {teams_manifest.write(args.teams_app_id, args.base_url, Path(args.out))}")
        except ValueError as bad:
            print(f"Teams package not built: {bad}", file=sys.stderr)
    return 0


async def _admin_grant_role(settings: Settings, identity: str, role: str) -> int:
    """The first admins and leads of a deployment, named by platform identity."""
    from core.bank import Bank
    from core.clock import SystemClock
    from core.members import Role
    from core.members import parse_identity as split_identity
    from storage.database import Database

    role = role.strip().lower()
    if role not in set(Role):
        print(f"hexitime admin grant-role: ROLE is one of {', '.join(Role)}, not {role!r}", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        bank = Bank(db.unit_of_work, SystemClock(), settings.rules())
        member = await bank.run(_set_role, *split_identity(identity), role)
    finally:
        await db.dispose()
    print(f"{identity} is now {role}: member #{member.id} ({member.display_name})")
    return 0


async def _set_role(ctx: Any, platform: str, workspace_id: str, user_id: str, role: str) -> Any:
    """Admins via `bootstrap_admin`; leads and members by setting the role of the resolved member."""
    from core import directory

    if role == "admin":
        return await directory.bootstrap_admin(ctx, platform, workspace_id, user_id)
    member, _ = await directory.resolve(ctx, platform, workspace_id, user_id)
    member.role = role
    return member


def _not_yet(what: str, hint: str = "") -> int:
    print(f"hexitime {what} is not available in this version yet.{hint}", file=sys.stderr)
    return NOT_YET


def _run(command: str, job: Coroutine[Any, Any, int]) -> int:
    """Run one async command; failures become one scrubbed log line and exit code 1."""
    try:
        return asyncio.run(job)
    except Exception as exc:
        log.error("hexitime %s failed: %s: %s", command, type(exc).__name__, exc)
        log.debug("traceback", exc_info=True)
        return 1


def _explain(error: ValidationError) -> str:
    lines = ["hexitime: invalid configuration"]
    for problem in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        lines.append(f"  {where}: {problem['msg']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; returns the process exit code."""
    try:
        settings = load_settings()
    except ValidationError as exc:
        print(_explain(exc), file=sys.stderr)
        return 2
    args = _parser(settings).parse_args(argv)
    configure_logging(settings)

    if args.command == "serve":
        from bot.server import run_server

        async def serve() -> int:
            await run_server(settings, args.host, args.port, not args.no_scheduler)
            return 0

        return _run("serve", serve())
    if args.command == "worker":
        return _run("worker", _worker(settings))
    if args.command == "console":
        return _run("console", _console(settings, args.as_name, args.demo))
    if args.command == "db":
        return _run("db upgrade", _db_upgrade(settings))
    if args.command == "ledger":
        return _run("ledger verify", _ledger_verify(settings))
    if args.command == "manifests":
        return _manifests(args)
    if args.command == "admin":
        return _run("admin grant-role", _admin_grant_role(settings, args.identity, args.role))
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
