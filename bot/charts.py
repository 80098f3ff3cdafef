"""A small PNG chart of a campaign report, light enough to ride inside a Teams card as a data URI."""

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede any pyplot import anywhere

from matplotlib.figure import Figure  # noqa: E402  (no pyplot: no global figure registry to leak)

from core.campaign_flow import Report  # noqa: E402

WIDTH, HEIGHT, DPI = 6, 3, 80
MAX_SECTORS = 8


def report_png(report: Report) -> bytes:
    """Members by sector beside hours exchanged, as a PNG of a few kilobytes."""
    sectors = sorted(report.members_by_sector.items(), key=lambda item: (-item[1], item[0]))[:MAX_SECTORS]
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    try:
        names = [name[:12] for name, _ in sectors] or ["none yet"]
        left.bar(names, [count for _, count in sectors] or [0], color="#2e7d5b")
        left.set_title("Members by sector", fontsize=9)
        left.tick_params(labelsize=7)
        left.tick_params(axis="x", labelrotation=30)
        right.bar(["hours"], [report.minutes_exchanged / 60], color="#1f5fa8")
        right.set_title("Hours exchanged", fontsize=9)
        right.tick_params(labelsize=7)
        for axes in (left, right):
            axes.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI)
        return out.getvalue()
    finally:
        fig.clear()


def data_uri(png: bytes) -> str:
    """The PNG as a data: URL, which Adaptive Card Image elements accept."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
