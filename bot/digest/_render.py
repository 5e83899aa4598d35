"""The digest as people read it: Markdown for chat posts, a JSON object for machines."""

from __future__ import annotations

from typing import Any

from bot import messages
from bot.digest._compute import Digest, Headline


def arrow(now: float, before: float) -> str:
    return "▲" if now > before else "▼" if now < before else "＝"


def headline_rows(digest: Digest, lang: str) -> list[tuple[str, str, str]]:
    """(label, this week, change against last week) for each headline number."""
    n, p = digest.now, digest.previous

    def row(label: str, now: float, before: float, percent: bool = False) -> tuple[str, str, str]:
        shown = f"{now:.0%}" if percent else f"{now:g}"
        was = f"{before:.0%}" if percent else f"{before:g}"
        return label, shown, f"{arrow(now, before)} {was}"

    return [
        row(_say("conversations", lang), n.conversations, p.conversations),
        row(_say("questions", lang), n.questions, p.questions),
        row(_say("actions", lang), n.actions, p.actions),
        row(_say("rate", lang), n.auto_resolution_rate, p.auto_resolution_rate, percent=True),
        row(_say("escalations", lang), n.escalations, p.escalations),
        row("👍", n.thumbs_up, p.thumbs_up),
        row("👎", n.thumbs_down, p.thumbs_down),
    ]


def to_markdown(digest: Digest, lang: str, stale_days: int) -> str:
    lines = [f"*{_say('title', lang, week=digest.week)}*"]
    if digest.empty:
        lines.append(_say("empty", lang))
        return "\n".join(lines)
    lines += [f"• {label}: *{value}* ({change})" for label, value, change in headline_rows(digest, lang)]
    n = digest.now
    lines.append(
        "_" + _say("rate_note", lang, confirmed=n.confirmed, assumed=n.auto_resolved - n.confirmed) + "_"
    )
    if n.answered or n.handed_over or _suggested(n):
        lines.append(_say("outcomes", lang, **_outcome_shares(n)))
    if digest.by_topic:
        lines.append(
            f"*{_say('topics', lang)}*: "
            + ", ".join(f"{topic} ({count})" for topic, count in digest.by_topic)
        )
    if digest.by_platform:
        lines.append(
            f"*{_say('platforms', lang)}*: " + ", ".join(f"{p} ({c})" for p, c in digest.by_platform.items())
        )
    lines.append(
        f"*{_say('escalations', lang)}*: "
        + (", ".join(f"{k} ({v})" for k, v in digest.escalations_by_topic) or _say("none", lang))
    )
    lines.append(_say("median_reply", lang, value=_hours(digest.median_first_reply_h, lang)))
    lines.append(_say("median_resolution", lang, value=_hours(digest.median_resolution_h, lang)))
    if digest.stale_cases:
        lines.append(f"*{_say('stale', lang, days=stale_days)}*")
        lines += [
            f"• #{case_id} ({age:g} d): {question[:120]}" for case_id, question, age in digest.stale_cases
        ]
    if digest.gaps:
        lines.append(f"*{_say('gaps', lang)}*")
        lines += [f"• ×{g.count} “{g.example[:160]}”" for g in digest.gaps]
    if digest.worst_rated:
        lines.append(f"*{_say('worst', lang)}*")
        lines += [
            f"• 👎×{down} “{q[:120]}” — {', '.join(s for s in sources if s) or _say('none', lang)}"
            for q, down, sources in digest.worst_rated
        ]
    return "\n".join(lines)


def _suggested(h: Headline) -> int:
    return h.suggested_accepted + h.suggested_rejected + h.suggested_ignored


def _outcome_shares(h: Headline) -> dict[str, object]:
    """Answered / suggested / handed over as shares of the questions about the norms that ended so."""
    total = h.answered + _suggested(h) + h.handed_over or 1
    return {
        "answered": f"{h.answered / total:.0%}",
        "suggested": f"{_suggested(h) / total:.0%}",
        "accepted": h.suggested_accepted,
        "rejected": h.suggested_rejected,
        "ignored": h.suggested_ignored,
        "handed_over": f"{h.handed_over / total:.0%}",
    }


def _hours(value: float | None, lang: str) -> str:
    return _say("none", lang) if value is None else f"{value:g} h"


def _say(key: str, lang: str, **values: object) -> str:
    return messages.say(f"digest_{key}", lang, **values)


def to_json(digest: Digest) -> dict[str, Any]:
    def headline(h: Headline) -> dict[str, Any]:
        return {
            "conversations": h.conversations,
            "questions": h.questions,
            "actions": h.actions,
            "auto_resolved": h.auto_resolved,
            "auto_resolution_rate": round(h.auto_resolution_rate, 4),
            "confirmed": h.confirmed,
            "escalations": h.escalations,
            "thumbs_up": h.thumbs_up,
            "thumbs_down": h.thumbs_down,
            "outcomes": {
                "answered": h.answered,
                "suggested_accepted": h.suggested_accepted,
                "suggested_rejected": h.suggested_rejected,
                "suggested_ignored": h.suggested_ignored,
                "handed_over": h.handed_over,
            },
        }

    return {
        "week": digest.week,
        "start": digest.start.isoformat(),
        "end": digest.end.isoformat(),
        "empty": digest.empty,
        "headline": headline(digest.now),
        "previous": headline(digest.previous),
        "by_platform": digest.by_platform,
        "by_topic": dict(digest.by_topic),
        "escalations_by_topic": dict(digest.escalations_by_topic),
        "median_first_reply_hours": digest.median_first_reply_h,
        "median_resolution_hours": digest.median_resolution_h,
        "stale_cases": [{"case_id": c, "question": q, "age_days": a} for c, q, a in digest.stale_cases],
        "gaps": [
            {"count": g.count, "example": g.example, "questions": list(g.questions)} for g in digest.gaps
        ],
        "worst_rated": [{"question": q, "thumbs_down": d, "sources": s} for q, d, s in digest.worst_rated],
        "daily": [
            {"day": d.isoformat(), "auto_resolved": a, "escalated": e, "other": o}
            for d, a, e, o in digest.daily
        ],
    }
