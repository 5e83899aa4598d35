"""The message catalogue: every user-facing sentence exists in Spanish and English with the same blanks."""

from __future__ import annotations

import io
import string
from datetime import date

import pytest
from rich.console import Console

from bot import Citation, Reply, messages


def _blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(messages._USER))
def test_both_languages_have_the_key_with_the_same_placeholders(key: str) -> None:
    texts = messages._USER[key]
    assert set(texts) == {"es", "en"}
    assert _blanks(texts["es"]) == _blanks(texts["en"]), key
    assert all(t.strip() for t in texts.values())


def test_dates_take_each_language_s_format() -> None:
    values = {"kind": "x", "start": date(2026, 3, 3), "end": date(2026, 3, 7), "days": 5}
    assert "03/03/2026" in messages.say("time_off_proposal", "es", **values)
    assert "2026-03-03" in messages.say("time_off_proposal", "en", **values)


@pytest.mark.parametrize(("lang", "header"), [("es", "Fuentes:"), ("en", "Sources:")])
def test_the_console_sources_header_follows_the_reply_language(lang: str, header: str) -> None:
    from adapters.console import render

    shown = io.StringIO()
    citation = Citation(title="Vacaciones", section=["Días"], source="es/vacaciones.md", snippet="25 días")
    render(Reply(text="25 días [1]", lang=lang, citations=[citation]), Console(file=shown, width=120))
    assert header in shown.getvalue() and ("Sources:" not in shown.getvalue() or lang == "en")


def test_tool_replies_and_the_digest_speak_spanish() -> None:
    from bot.digest import render_chart  # noqa: F401  (the chart's labels come from the catalogue too)
    from bot.tools.builtin.time_off import _describe_decision, decide_time_off

    args = decide_time_off.args(request_id=4, approve=True)
    assert _describe_decision(args, "es") == "Aprobar la solicitud de ausencia #4"
    assert _describe_decision(args, "en") == "Approve time-off request #4"
