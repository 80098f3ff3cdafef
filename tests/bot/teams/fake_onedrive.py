"""A stand-in for a OneDrive upload session on 127.0.0.1: records each PUT's bytes and headers, can fail."""

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Upload:
    """One PUT the bot made to an upload session."""

    session: str
    body: bytes
    content_range: str
    content_length: str


@dataclass
class FakeOneDrive:
    """`PUT /upload/{session}` stores the file; `DELETE` cancels the session, as OneDrive's do."""

    uploads: list[Upload] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failures: deque = field(default_factory=deque)
    delay: float = 0.0
    url: str = ""

    def session(self, name: str) -> str:
        return f"{self.url}/upload/{name}"

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        self.failures.extend([status] * times)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/upload/{session}", self._put)
        app.router.add_delete("/upload/{session}", self._delete)
        return app

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            return web.json_response({"error": {"code": "generalException"}}, status=self.failures.popleft())
        self.uploads.append(Upload(request.match_info["session"], body, request.headers.get("Content-Range", ""),
                                   request.headers.get("Content-Length", "")))
        return web.json_response({"id": "01BYE5RZ", "name": "file", "size": len(body)}, status=201)

    async def _delete(self, request: web.Request) -> web.Response:
        self.cancelled.append(request.match_info["session"])
        return web.Response(status=204)
