"""Our `Reply` as Block Kit, within Slack's limits (50 blocks, 3,000 characters per section text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.models.blocks import ContextActionsBlock, FeedbackButtonObject, FeedbackButtonsElement

from bot import Button, ButtonKind, Outcome, Reply, messages
from bot.conversation.relay import CaseAction

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 40_000
_SECTION_BUDGET = 2900  # room for the continuation mark
_STREAM_BUDGET = 11_900  # a streamed chunk's markdown may hold 12,000 characters
NATIVE_FEEDBACK = "feedback"  # the action id of Slack's own 👍/👎 under an agent's answer
_NATIVE_KINDS = (ButtonKind.FEEDBACK_UP, ButtonKind.FEEDBACK_DOWN)


def reply_blocks(reply: Reply, source_url: str = "") -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [_section(part) for part in split_text(to_mrkdwn(reply.text))]
    if reply.citations:
        lines = _citation_lines(reply, lambda source: _link(source, source_url))
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut("\n".join(lines), MAX_SECTION)}]}
        )
    if reply.buttons:
        blocks.append(_actions(reply.buttons))
    if len(blocks) > MAX_BLOCKS:
        keep = blocks[: MAX_BLOCKS - 2]
        keep.append(_section("…"))
        keep.append(blocks[-1])
        blocks = keep
    return blocks


def _citation_lines(reply: Reply, link: Callable[[str], str]) -> list[str]:
    """One line a source, `[n] Title › Section — link`, the link in the surface's own markup."""
    return [
        f"[{n}] {' › '.join((c.title, *c.section))} — {link(c.source)}"
        for n, c in enumerate(reply.citations, 1)
    ]


def _actions(buttons: Sequence[Button]) -> dict[str, Any]:
    return {"type": "actions", "block_id": "reply_actions", "elements": [_button(b) for b in buttons]}


def stream_parts(reply: Reply, source_url: str = "") -> list[str]:
    """The reply as streamed Markdown: up to the first quote, then a paragraph a part, the sources last."""
    paragraphs = reply.text.split("\n\n")
    lead = next((n for n, p in enumerate(paragraphs) if p.startswith(">")), 0) + 1
    parts = ["\n\n".join(paragraphs[:lead]), *("\n\n" + p for p in paragraphs[lead:])]
    if reply.citations:
        lines = _citation_lines(reply, lambda source: _markdown_link(source, source_url))
        parts.append(f"\n\n**{messages.say('sources_header', reply.lang)}**\n" + "\n".join(lines))
    return [piece for part in parts if part.strip() for piece in _pieces(part)]


def _pieces(part: str) -> list[str]:
    return [part] if len(part) <= _STREAM_BUDGET else split_text(part, _STREAM_BUDGET)


def final_blocks(reply: Reply) -> list[dict[str, Any]]:
    """What closes a streamed answer: its buttons (confirm, a suggestion's two, a person) and, under an
    answer or a suggestion, Slack's own feedback buttons in place of ours."""
    native = reply.turn_id is not None and reply.outcome in (Outcome.ANSWERED, Outcome.SUGGESTED)
    # a suggestion keeps its "yes, that helps": it answers the suggestion, not the vote
    replaced = native and reply.outcome == Outcome.ANSWERED
    kept = [b for b in reply.buttons if not (replaced and b.kind in _NATIVE_KINDS)]
    blocks: list[dict[str, Any]] = []
    if kept:
        blocks.append(_actions(kept))
    if native:
        blocks.append(feedback_block(reply.turn_id or 0, reply.lang))
    return blocks


def feedback_block(turn_id: int, lang: str) -> dict[str, Any]:
    """Slack's 👍/👎; each button's value names the vote and the turn, like our own buttons do."""
    element = FeedbackButtonsElement(
        action_id=NATIVE_FEEDBACK,
        positive_button=FeedbackButtonObject(
            text="👍",
            accessibility_label=messages.say("feedback_native_up", lang),
            value=f"{ButtonKind.FEEDBACK_UP}:{turn_id}",
        ),
        negative_button=FeedbackButtonObject(
            text="👎",
            accessibility_label=messages.say("feedback_native_down", lang),
            value=f"{ButtonKind.FEEDBACK_DOWN}:{turn_id}",
        ),
    )
    return ContextActionsBlock(block_id=f"feedback_{turn_id}", elements=[element]).to_dict()


def native_vote(value: str) -> tuple[str, str]:
    """A native feedback click's (vote, turn id). It can only ever be a vote: anything else comes back
    as no kind at all, which the relay answers as a button that does nothing."""
    kind, _, turn = value.partition(":")
    return (kind, turn) if kind in _NATIVE_KINDS else ("", value)


def fallback_text(reply: Reply) -> str:
    """The notification text (and what clients without Block Kit show)."""
    return _cut(to_mrkdwn(reply.text), MAX_TEXT)


def to_mrkdwn(text: str) -> str:
    """The bot's Markdown-ish text in Slack's mrkdwn: bold and links differ, quotes and lists do not."""
    out = text.replace("**", "*")
    return out


def split_text(text: str, budget: int = _SECTION_BUDGET) -> list[str]:
    """Cut at paragraph, then line, then word boundaries so no section exceeds Slack's limit."""
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= budget:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(paragraph) > budget:
            cut = paragraph.rfind(" ", 0, budget)
            cut = cut if cut > budget // 2 else budget
            parts.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip()
        current = paragraph
    if current:
        parts.append(current)
    return parts or [" "]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}}


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": str(button.kind),
        "text": {"type": "plain_text", "text": button.label[:75], "emoji": True},
        "value": button.value,
    }
    if button.kind == ButtonKind.CONFIRM:
        element["style"] = "primary"
    elif button.kind == ButtonKind.CANCEL:
        element["style"] = "danger"
    return element


def _markdown_link(source: str, base_url: str) -> str:
    url = source if source.startswith(("http://", "https://")) else ""
    if not url and base_url:
        url = f"{base_url.rstrip('/')}/{source}"
    return f"[{source}]({url})" if url else f"`{source}`"


def _link(source: str, base_url: str) -> str:
    if source.startswith(("http://", "https://")):
        return f"<{source}|{source}>"
    if base_url:
        return f"<{base_url.rstrip('/')}/{source}|{source}>"
    return f"`{source}`"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_blocks(case_id: int, text: str, lang: str) -> list[dict[str, Any]]:
    """A case announcement in the human channel, with its claim and resolve buttons."""
    claim = {
        "type": "button",
        "action_id": str(CaseAction.CLAIM),
        "text": {"type": "plain_text", "text": messages.say("claim_button", lang)},
        "value": str(case_id),
    }
    resolve = {
        "type": "button",
        "action_id": str(CaseAction.RESOLVE),
        "style": "primary",
        "text": {"type": "plain_text", "text": messages.say("resolve_button", lang)},
        "value": str(case_id),
    }
    return [
        _section(text[:_SECTION_BUDGET]),
        {"type": "actions", "block_id": f"case_{case_id}", "elements": [claim, resolve]},
    ]
