"""The weekly digest: what the back office did, and where the documents fall short."""

from bot.digest._chart import HEIGHT_PX, WIDTH_PX, render_chart
from bot.digest._compute import (
    Digest,
    Gap,
    Headline,
    compute_digest,
    iso_week,
    last_week,
    recent_topics,
    week_bounds,
)
from bot.digest._publish import DigestPublisher, Poster
from bot.digest._render import headline_rows, to_json, to_markdown
from bot.digest._runs import claim_run, mark_posted, missed_week, release_run

__all__ = [
    "HEIGHT_PX",
    "WIDTH_PX",
    "Digest",
    "DigestPublisher",
    "Poster",
    "Gap",
    "Headline",
    "claim_run",
    "compute_digest",
    "headline_rows",
    "iso_week",
    "last_week",
    "mark_posted",
    "missed_week",
    "recent_topics",
    "release_run",
    "render_chart",
    "to_json",
    "to_markdown",
    "week_bounds",
]
