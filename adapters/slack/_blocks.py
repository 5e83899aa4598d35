"""Our `Reply` as Block Kit, within Slack's limits (50 blocks, 3,000 characters per section text)."""

from __future__ import annotations

from typing import Any

from bot import Button, ButtonKind, Reply, messages
from bot.relay import CaseAction

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 40_000
_SECTION_BUDGET = 2900  # room for the continuation mark


def reply_blocks(reply: Reply, source_url: str = "") -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [_section(part) for part in split_text(to_mrkdwn(reply.text))]
    if reply.citations:
        lines = [
            f"[{n}] {' › '.join((c.title, *c.section))} — {_link(c.source, source_url)}"
            for n, c in enumerate(reply.citations, 1)
        ]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut("\n".join(lines), MAX_SECTION)}]}
        )
    if reply.buttons:
        blocks.append(
            {"type": "actions", "block_id": "reply_actions", "elements": [_button(b) for b in reply.buttons]}
        )
    if len(blocks) > MAX_BLOCKS:
        keep = blocks[: MAX_BLOCKS - 2]
        keep.append(_section("…"))
        keep.append(blocks[-1])
        blocks = keep
    return blocks


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
