"""The digest's picture: daily volume, split into auto-resolved, escalated and the rest."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot import messages  # noqa: E402
from bot.digest._compute import Digest  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 1000, 500, 100


def render_chart(
    digest: Digest, lang: str = "en", width_px: int = WIDTH_PX, height_px: int = HEIGHT_PX
) -> bytes:
    """A PNG of `width_px` × `height_px` (Teams cards want a small one: messages are capped at 28 KB)."""
    auto_label, esc_label, other_label, y_label = (
        messages.say(f"digest_chart_{key}", lang) for key in ("auto", "escalated", "other", "per_day")
    )
    days = [d.strftime("%a %d") for d, *_ in digest.daily]
    auto = [a for _, a, _, _ in digest.daily]
    escalated = [e for _, _, e, _ in digest.daily]
    other = [o for _, _, _, o in digest.daily]
    fig, ax = plt.subplots(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    try:
        ax.bar(days, auto, label=auto_label, color="#2e7d32")
        ax.bar(days, escalated, bottom=auto, label=esc_label, color="#c62828")
        ax.bar(
            days,
            other,
            bottom=[a + e for a, e in zip(auto, escalated, strict=True)],
            label=other_label,
            color="#9e9e9e",
        )
        ax.set_ylabel(y_label)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(messages.say("digest_chart_week", lang, week=digest.week))
        ax.legend(loc="upper right")
        ax.spines[["top", "right"]].set_visible(False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    finally:
        plt.close(fig)
