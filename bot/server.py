"""The HTTP service: health and metrics here; Slack and Teams mount their own routes."""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot import metrics
from bot.bootstrap import Services, bootstrap, close
from bot.config import Settings
from bot.scheduler.runner import running_scheduler

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
PING_TIMEOUT_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = metrics.counter(
    "hexitime_http_requests_total", "HTTP requests served.", ("method", "route", "status")
)
DURATION = metrics.summary(
    "hexitime_http_request_duration_seconds", "Time spent serving HTTP requests.", ("route",)
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def _measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    started, status = time.perf_counter(), 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = _route_of(request)
        method = request.method if request.method in _METHODS else "OTHER"
        REQUESTS.inc(method=method, route=route, status=str(status))
        DURATION.observe(time.perf_counter() - started, route=route)


class _AccessLogger(AbstractAccessLogger):
    """Logs the path without its query string (OAuth codes travel there); health checks quietly."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        level = logging.DEBUG if request.path == "/healthz" else logging.INFO
        self.logger.log(
            level,
            "%s %s %s %s %.1f ms",
            request.remote,
            request.method,
            request.path,
            response.status,
            time * 1000,
        )


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise, so a load balancer can route around us."""
    db = request.app[SERVICES].db
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            ok = await db.ping()
    except Exception as exc:  # a failed health check must answer, not raise
        log.warning("health check: database did not answer (%s)", type(exc).__name__)
        ok = False
    if ok:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable"}, status=503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus scrapes this; the counters are per process."""
    response = web.Response(text=metrics.render())
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return response


def build_web_app(services: Services) -> web.Application:
    """The aiohttp application: built-in routes, then every front end in services.mounts."""
    app = web.Application(middlewares=[_measure])
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    for mount in services.mounts:
        mount(app)
    return app


class StopSignals:
    """Turns SIGINT and SIGTERM into an awaitable, so shutdown runs our cleanup."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.received: signal.Signals | None = None

    def __enter__(self) -> "StopSignals":
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._stop, sig)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    def _stop(self, sig: signal.Signals) -> None:
        self.received = sig
        self._event.set()

    async def wait(self) -> signal.Signals | None:
        """Return once a stop signal has arrived."""
        await self._event.wait()
        return self.received


async def run_server(settings: Settings, host: str, port: int, with_scheduler: bool) -> None:
    """Serve until SIGINT/SIGTERM, then close the listener and the database and return."""
    with StopSignals() as stop:
        services = await bootstrap(settings)
        runner = web.AppRunner(build_web_app(services), access_log_class=_AccessLogger)
        try:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            bound = runner.addresses[0][1] if runner.addresses else port
            scheduling = running_scheduler(services) if with_scheduler else contextlib.nullcontext()
            async with scheduling:
                log.info(
                    "hexitime serving on http://%s:%s (database %s, scheduler %s)",
                    host,
                    bound,
                    settings.database_url_redacted,
                    "in-process" if with_scheduler else "off",
                )
                sig = await stop.wait()
                log.info("received %s; shutting down", sig.name if sig else "stop")
        finally:
            await runner.cleanup()
            await close(services)
    log.info("stopped")
