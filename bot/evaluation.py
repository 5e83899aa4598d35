"""`backoffice eval`: every question asked through the same path as `ask`, scored as DESIGN.md defines."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.conversation._bot import Bot
from bot.types import IncomingMessage, Outcome, Reply
from knowledge import fold
from knowledge._evaluation import QAItem, heading_matches, percentile

__all__ = ["EVAL_PLATFORM", "evaluate_answers", "proposed_tool", "user_for"]

EVAL_PLATFORM = "eval"


def user_for(groups: Sequence[str]) -> str:
    """The evaluation's user id for a set of groups ("" is a plain employee)."""
    return "+".join(sorted(groups)) or "employee"


def eval_groups(items: Sequence[QAItem]) -> dict[str, list[str]]:
    """Group membership for the evaluation users, to merge into the settings."""
    members: dict[str, list[str]] = {}
    for item in items:
        for group in item.user_groups:
            members.setdefault(group, []).append(f"{EVAL_PLATFORM}:{user_for(item.user_groups)}")
    return members


def proposed_tool(reply: Reply) -> str | None:
    """The tool the agent chose for the request: an action (proposed or run), a person, or the norms."""
    # an action offered beside an answer counts: the first thing the reply proposes is that tool
    for action in reply.actions:
        if action.status in ("proposed", "succeeded", "failed"):
            return action.tool
    if reply.escalated:
        return "escalate_to_human"
    if reply.citations:
        return "search_norms"
    return None


def _cites_gold(reply: Reply, item: QAItem) -> bool:
    for c in reply.citations:
        if c.source in item.gold_docs and (
            not item.gold_sections
            or any(heading_matches(h, g) for h in c.section for g in item.gold_sections)
        ):
            return True
    return False


def _has_facts(reply: Reply, item: QAItem) -> bool:
    text = fold(reply.text)
    return all(any(fold(alt) in text for alt in group) for group in item.facts)


async def evaluate_answers(bot: Bot, items: Sequence[QAItem]) -> dict[str, Any]:
    questions = [i for i in items if not i.is_action]
    actions = [i for i in items if i.is_action]
    latencies: list[float] = []
    tally: Counter[str] = Counter()
    for item in questions:
        reply, ms = await _ask(bot, item)
        latencies.append(ms)
        tally.update(_score_question(reply, item))
    tool_ok = args_ok = 0
    for item in actions:
        reply, ms = await _ask(bot, item)
        latencies.append(ms)
        chosen = proposed_tool(reply)
        if item.expected_tool is None:
            side_effect = chosen is not None and (p := bot.registry.get(chosen)) is not None and p.confirm
            hit = not side_effect
        else:
            hit = chosen == item.expected_tool
        tool_ok += hit
        args_ok += hit and _args_match(reply, item)
    answerable = sum(1 for i in questions if i.answerable)
    unanswerable = len(questions) - answerable
    return {
        "answers": _answer_metrics(tally, answerable, unanswerable),
        "actions": {
            "n": len(actions),
            "tool_accuracy": _rate(tool_ok, len(actions)),
            "args_accuracy": _rate(args_ok, len(actions)),
        },
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
    }


def outcome_for_question(reply: Reply) -> str:
    """One of DESIGN.md's three outcomes for a question (or "other": a clarification, an error)."""
    if reply.escalated:
        return "escalated"
    if reply.outcome == Outcome.SUGGESTED:
        return "suggested"
    if reply.outcome == Outcome.ANSWERED and reply.citations:
        return "answered"
    return "other"


def _score_question(reply: Reply, item: QAItem) -> list[str]:
    """The counters one question adds to."""
    outcome = outcome_for_question(reply)
    if not item.answerable:
        return [f"unanswerable_{outcome}"]
    useful = _cites_gold(reply, item) and _has_facts(reply, item)
    marks = [f"answerable_{outcome}"]
    if outcome == "answered":
        marks.append("resolved" if useful else "answered_wrong")
        # the answer leads with what answers the question: its first source is a gold document
        if useful and reply.citations[0].source in item.gold_docs:
            marks.append("first_gold")
    if outcome == "suggested" and useful:
        marks.append("suggested_useful")
    return marks


def _answer_metrics(t: Counter[str], answerable: int, unanswerable: int) -> dict[str, Any]:
    resolved, useful = t["resolved"], t["suggested_useful"]
    return {
        "resolved": resolved,
        "resolved_rate": _rate(resolved, answerable),
        # a suggestion says it may not fit: never counted wrong
        "wrong_answers": t["answered_wrong"] + t["unanswerable_answered"],
        "false_escalation_rate": _rate(t["answerable_escalated"], answerable),
        "escalation_recall": _rate(t["unanswerable_escalated"], unanswerable),
        "first_source_gold_rate": _rate(t["first_gold"], resolved),
        "suggested": t["answerable_suggested"] + t["unanswerable_suggested"],
        "suggested_useful": useful,
        "self_served_rate": _rate(resolved + useful, answerable),
        "unanswerable_answered": t["unanswerable_answered"],
        "unanswerable_suggested": t["unanswerable_suggested"],
    }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def _ask(bot: Bot, item: QAItem) -> tuple[Reply, float]:
    message = IncomingMessage(
        platform=EVAL_PLATFORM,
        user_id=user_for(item.user_groups),
        text=item.question,
        thread_id=item.id,  # every question starts its own conversation
        lang_hint=item.lang,
    )
    if item.now:
        message.received_at = datetime.fromisoformat(item.now)
    started = time.perf_counter()
    reply = await bot.ahandle(message)
    elapsed = (time.perf_counter() - started) * 1000
    assert reply is not None  # no event id, so never treated as a duplicate
    return reply, elapsed


def _args_match(reply: Reply, item: QAItem) -> bool:
    action = next((a for a in reply.actions if a.tool == item.expected_tool), None)
    got = action.arguments if action else {}
    for key, want in item.expected_args.items():
        have = got.get(key)
        if isinstance(want, str) and isinstance(have, str):
            if want.lower() != have.lower():
                return False
        elif want != have:
            return False
    return True
