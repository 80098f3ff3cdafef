"""Fixtures shared by every test package."""

import socket
from pathlib import Path

import pytest


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An async SQLite URL for a fresh database file in this test's own folder."""
    return f"sqlite+aiosqlite:///{tmp_path / 'hexitime.db'}"
