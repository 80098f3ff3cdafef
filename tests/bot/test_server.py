"""The HTTP service: health, metrics, mounts, and clean start and stop as a real process."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import Services, bootstrap, close
from bot.config import Settings
from bot.server import build_web_app
from core.clock import ManualClock

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@pytest.fixture
async def services(sqlite_url: str) -> AsyncIterator[Services]:
    services = await bootstrap(Settings(database_url=sqlite_url), clock=ManualClock())
    yield services
    await close(services)


async def client_for(app: web.Application) -> TestClient:
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_the_first_start_seeds_the_four_net_zero_campaigns_once(sqlite_url: str) -> None:
    for _ in range(2):  # a restart seeds nothing twice
        services = await bootstrap(Settings(database_url=sqlite_url), clock=ManualClock(), front_ends=False)
        found = await services.bank.read(_campaigns)
        await close(services)
    assert sorted(c.slug for c in found) == ["biodiversity", "greener-surgery", "sustainable-food",
                                              "waste-management"]
    assert all(c.description and c.skills for c in found)


async def _campaigns(ctx):
    return await ctx.uow.campaigns.all()


async def test_healthz_is_ok_when_the_database_answers(services: Services) -> None:
    client = await client_for(build_web_app(services))
    try:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
    finally:
        await client.close()


class _SilentDatabase:
    def __init__(self, fails: bool) -> None:
        self.fails = fails

    async def ping(self) -> bool:
        if self.fails:
            raise ConnectionRefusedError("database is down")
        return False


@pytest.mark.parametrize("fails", [False, True])
async def test_healthz_is_503_when_the_database_does_not_answer(
    services: Services, fails: bool
) -> None:
    broken = dataclasses.replace(services, db=_SilentDatabase(fails))
    client = await client_for(build_web_app(broken))
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "unavailable"}
    finally:
        await client.close()


async def test_metrics_are_prometheus_text(services: Services) -> None:
    client = await client_for(build_web_app(services))
    try:
        await client.get("/healthz")
        await client.get("/no-such-page")
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    finally:
        await client.close()
    assert "# TYPE hexitime_http_requests_total counter" in text
    assert 'hexitime_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "hexitime_http_request_duration_seconds_count" in text


async def test_front_ends_mount_their_routes(services: Services) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello from a front end")

    services.mounts.append(lambda app: app.router.add_post("/slack/events", hello))
    client = await client_for(build_web_app(services))
    try:
        response = await client.post("/slack/events")
        assert await response.text() == "hello from a front end"
    finally:
        await client.close()


# The real process, as the Procfile runs it.


def hexitime_command() -> list[str]:
    script = Path(sys.executable).with_name("hexitime")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def clean_env(database_url: str | None) -> dict[str, str]:
    """This environment less every Hexitime variable, plus the given database."""
    names = {str(f.validation_alias) for f in Settings.model_fields.values()}
    env = {k: v for k, v in os.environ.items() if k not in names}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


class Process:
    """A hexitime process whose log goes to a file that the test can read as it grows."""

    def __init__(self, args: list[str], cwd: Path, database_url: str | None) -> None:
        self.log_path = cwd / f"{args[0]}.log"
        self._log = self.log_path.open("w")
        self.popen = subprocess.Popen(
            hexitime_command() + args,
            cwd=cwd,
            env=clean_env(database_url),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"exited early while waiting for {what}:\n{self.log}"
            if ready():
                return
            time.sleep(0.1)
        pytest.fail(f"no {what} within {START_TIMEOUT} s:\n{self.log}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOP_TIMEOUT} s after {sig.name}:\n{self.log}")

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._log.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.close()


def healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_healthz_and_stops_cleanly(
    tmp_path: Path, free_port: int, sqlite_url: str, processes: list[Process], sig: signal.Signals
) -> None:
    server = Process(
        ["serve", "--host", "127.0.0.1", "--port", str(free_port)], tmp_path, sqlite_url
    )
    processes.append(server)

    server.wait_for(lambda: healthz(free_port) == 200, "healthy /healthz")

    assert server.stop(sig) == 0, server.log
    log = server.log
    assert f"serving on http://127.0.0.1:{free_port}" in log
    assert "Traceback" not in log
    assert healthz(free_port) is None


def test_serve_works_with_no_configuration(
    tmp_path: Path, free_port: int, processes: list[Process]
) -> None:
    server = Process(["serve", "--port", str(free_port)], tmp_path, None)
    processes.append(server)
    server.wait_for(lambda: healthz(free_port) == 200, "healthy /healthz")
    assert server.stop() == 0, server.log
    assert (tmp_path / "hexitime.db").exists()


def test_worker_starts_and_stops_cleanly(
    tmp_path: Path, sqlite_url: str, processes: list[Process]
) -> None:
    worker = Process(["worker"], tmp_path, sqlite_url)
    processes.append(worker)

    worker.wait_for(lambda: "worker started: scheduler" in worker.log, "worker start line")

    assert worker.stop() == 0, worker.log
    assert "Traceback" not in worker.log


@pytest.mark.postgres
async def test_healthz_on_postgresql() -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    services = await bootstrap(Settings(database_url=plain))
    try:
        assert services.settings.database_url.startswith("postgresql+asyncpg://")
        client = await client_for(build_web_app(services))
        try:
            response = await client.get("/healthz")
            assert response.status == 200
        finally:
            await client.close()
    finally:
        await close(services)
