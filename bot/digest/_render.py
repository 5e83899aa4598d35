"""The digest as people read it: Markdown for chat posts, a JSON object for machines."""

from __future__ import annotations

from typing import Any

from bot.digest._compute import Digest, Headline

_TEXT = {
    "es": {
        "title": "Resumen semanal del back office · {week}",
        "empty": "Sin actividad esta semana.",
        "volume": "Volumen",
        "conversations": "Conversaciones",
        "questions": "Consultas",
        "actions": "Acciones ejecutadas",
        "rate": "Resolución automática",
        "rate_note": (
            "resueltas sin persona = respondidas o acción hecha, sin escalar y sin 👎; "
            "{confirmed} con 👍, {assumed} supuestas"
        ),
        "escalations": "Escalados",
        "median_reply": "Mediana hasta la primera respuesta humana: {value}",
        "median_resolution": "Mediana hasta la resolución: {value}",
        "stale": "Casos abiertos hace más de {days} días",
        "gaps": "Preguntas que la normativa no responde",
        "feedback": "Valoraciones",
        "worst": "Peor valoradas",
        "topics": "Temas",
        "platforms": "Plataformas",
        "none": "—",
    },
    "en": {
        "title": "Back-office weekly digest · {week}",
        "empty": "No activity this week.",
        "volume": "Volume",
        "conversations": "Conversations",
        "questions": "Requests",
        "actions": "Actions executed",
        "rate": "Auto-resolution",
        "rate_note": (
            "resolved without a human = answered or action done, not escalated, no 👎; "
            "{confirmed} confirmed by 👍, {assumed} assumed"
        ),
        "escalations": "Escalations",
        "median_reply": "Median time to first human reply: {value}",
        "median_resolution": "Median time to resolution: {value}",
        "stale": "Cases open for more than {days} days",
        "gaps": "Questions the norms could not answer",
        "feedback": "Feedback",
        "worst": "Worst rated",
        "topics": "Topics",
        "platforms": "Platforms",
        "none": "—",
    },
}


def arrow(now: float, before: float) -> str:
    return "▲" if now > before else "▼" if now < before else "＝"


def headline_rows(digest: Digest, lang: str) -> list[tuple[str, str, str]]:
    """(label, this week, change against last week) for each headline number."""
    t = _TEXT.get(lang, _TEXT["en"])
    n, p = digest.now, digest.previous

    def row(label: str, now: float, before: float, percent: bool = False) -> tuple[str, str, str]:
        shown = f"{now:.0%}" if percent else f"{now:g}"
        was = f"{before:.0%}" if percent else f"{before:g}"
        return label, shown, f"{arrow(now, before)} {was}"

    return [
        row(t["conversations"], n.conversations, p.conversations),
        row(t["questions"], n.questions, p.questions),
        row(t["actions"], n.actions, p.actions),
        row(t["rate"], n.auto_resolution_rate, p.auto_resolution_rate, percent=True),
        row(t["escalations"], n.escalations, p.escalations),
        row("👍", n.thumbs_up, p.thumbs_up),
        row("👎", n.thumbs_down, p.thumbs_down),
    ]


def to_markdown(digest: Digest, lang: str, stale_days: int) -> str:
    t = _TEXT.get(lang, _TEXT["en"])
    lines = [f"*{t['title'].format(week=digest.week)}*"]
    if digest.empty:
        lines.append(t["empty"])
        return "\n".join(lines)
    lines += [f"• {label}: *{value}* ({change})" for label, value, change in headline_rows(digest, lang)]
    n = digest.now
    lines.append(
        "_" + t["rate_note"].format(confirmed=n.confirmed, assumed=n.auto_resolved - n.confirmed) + "_"
    )
    if digest.by_topic:
        lines.append(
            f"*{t['topics']}*: " + ", ".join(f"{topic} ({count})" for topic, count in digest.by_topic)
        )
    if digest.by_platform:
        lines.append(f"*{t['platforms']}*: " + ", ".join(f"{p} ({c})" for p, c in digest.by_platform.items()))
    lines.append(
        f"*{t['escalations']}*: "
        + (", ".join(f"{k} ({v})" for k, v in digest.escalations_by_topic) or t["none"])
    )
    lines.append(t["median_reply"].format(value=_hours(digest.median_first_reply_h, t)))
    lines.append(t["median_resolution"].format(value=_hours(digest.median_resolution_h, t)))
    if digest.stale_cases:
        lines.append(f"*{t['stale'].format(days=stale_days)}*")
        lines += [
            f"• #{case_id} ({age:g} d): {question[:120]}" for case_id, question, age in digest.stale_cases
        ]
    if digest.gaps:
        lines.append(f"*{t['gaps']}*")
        lines += [f"• ×{g.count} “{g.example[:160]}”" for g in digest.gaps]
    if digest.worst_rated:
        lines.append(f"*{t['worst']}*")
        lines += [
            f"• 👎×{down} “{q[:120]}” — {', '.join(s for s in sources if s) or t['none']}"
            for q, down, sources in digest.worst_rated
        ]
    return "\n".join(lines)


def _hours(value: float | None, t: dict[str, str]) -> str:
    return t["none"] if value is None else f"{value:g} h"


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
