"""The Teams app icons, drawn with the standard library: a 192x192 colour icon, a 32x32 white outline.

Run `python -m bot.teams.icons manifests/teams` to (re)write color.png and outline.png.
"""

import math
import struct
import sys
import zlib
from pathlib import Path

ACCENT = (0x1F, 0x7A, 0x5C)  # NHS-adjacent green
COLOR_SIZE, OUTLINE_SIZE = 192, 32
Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixels: list[list[Pixel]]) -> bytes:
    """An RGBA PNG: signature, IHDR, one zlib IDAT, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _in_hexagon(x: float, y: float, radius: float) -> bool:
    """A flat-topped hexagon centred on the origin."""
    x, y = abs(x), abs(y)
    return y <= radius * math.sqrt(3) / 2 and math.sqrt(3) * x + y <= math.sqrt(3) * radius


def color_icon(size: int = COLOR_SIZE) -> bytes:
    """A white hexagon ring on the accent colour, full bleed (Teams rounds the corners)."""
    c = size / 2
    rows = []
    for j in range(size):
        row = []
        for i in range(size):
            x, y = i + 0.5 - c, j + 0.5 - c
            ring = _in_hexagon(x, y, size * 0.36) and not _in_hexagon(x, y, size * 0.24)
            row.append((255, 255, 255, 255) if ring else (*ACCENT, 255))
        rows.append(row)
    return png(size, size, rows)


def outline_icon(size: int = OUTLINE_SIZE) -> bytes:
    """The same hexagon ring in white on a transparent background."""
    c = size / 2
    rows = [[(255, 255, 255, 255) if _in_hexagon(i + 0.5 - c, j + 0.5 - c, size * 0.45)
             and not _in_hexagon(i + 0.5 - c, j + 0.5 - c, size * 0.28) else (0, 0, 0, 0)
             for i in range(size)] for j in range(size)]
    return png(size, size, rows)


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "color.png").write_bytes(color_icon())
    (folder / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "manifests/teams"))
