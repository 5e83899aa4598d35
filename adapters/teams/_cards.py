"""Our `Reply` as an Adaptive Card 1.5 with `Action.Execute` buttons, kept under Teams' message size."""

from __future__ import annotations

import json
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment, ClientCitation
from microsoft_agents.activity.entity.ai_entity import ClientCitationAppearance

from bot import Button, ButtonKind, Reply
from bot.conversation.relay import CaseAction
from bot.types import Citation, Outcome

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_BYTES = 28_000  # Teams rejects larger messages; stay under with the envelope
_TEXT_BUDGET = 20_000


def reply_card(reply: Reply, docs_url: str = "", *, with_text: bool = True) -> dict[str, Any]:
    """`with_text=False`: only the sources and the buttons, for a reply whose words travel as the message's
    own text (a streamed answer)."""
    body: list[dict[str, Any]] = [_text(part) for part in _paragraphs(reply.text)] if with_text else []
    if reply.citations:
        lines = [
            f"[{n}] {' › '.join((c.title, *c.section))} — {_link(c.source, docs_url)}"
            for n, c in enumerate(reply.citations, 1)
        ]
        body.append({**_text("\n\n".join(lines)), "isSubtle": True, "size": "Small", "separator": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "actions": [_action(b) for b in reply.buttons],
    }
    return fit(card)


def card_message(card: dict[str, Any]) -> Activity:
    return Activity(
        type=ActivityTypes.message, attachments=[Attachment(content_type=CARD_TYPE, content=card)]
    )


def from_the_norms(reply: Reply) -> bool:
    """An answer or a suggestion composed from the norms: Teams labels it AI generated and offers its
    own 👍/👎 on it."""
    return reply.outcome in (Outcome.ANSWERED, Outcome.SUGGESTED)


def reply_message(reply: Reply, docs_url: str = "") -> Activity:
    """The reply's card; one from the norms also carries the AI label, its sources as citation entities
    (positions match the card's [n] markers) and Teams' feedback loop."""
    message = card_message(reply_card(with_native_feedback(reply), docs_url))
    if from_the_norms(reply):
        message.add_ai_metadata([client_citation(n, c, docs_url) for n, c in enumerate(reply.citations, 1)])
        message.channel_data = {"feedbackLoop": {"type": "default"}}
    return message


def with_native_feedback(reply: Reply) -> Reply:
    """An answer without its 👍/👎 buttons: Teams' feedback loop shows them (a suggestion keeps its "this
    helps" / "a person, please", which say more than a vote)."""
    if reply.outcome != Outcome.ANSWERED:
        return reply
    votes = (ButtonKind.FEEDBACK_UP, ButtonKind.FEEDBACK_DOWN)
    return reply.model_copy(update={"buttons": [b for b in reply.buttons if b.kind not in votes]})


def client_citation(position: int, citation: Citation, docs_url: str = "") -> ClientCitation:
    """A source as Teams shows it on hover: its heading path, an abstract (160 characters at most), a link."""
    return ClientCitation(
        position=position,
        appearance=ClientCitationAppearance(
            name=" › ".join((citation.title, *citation.section))[:80],
            abstract=" ".join(citation.snippet.split())[:160],
            url=_url(citation.source, docs_url) or None,
        ),
    )


def text_card(text: str, buttons: list[Button] | None = None) -> dict[str, Any]:
    return reply_card(Reply(text=text, buttons=buttons or []))


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD_TYPE, "content": card}


def fit(card: dict[str, Any]) -> dict[str, Any]:
    """Drop answer blocks from the end (keeping the first, the citations and the actions) until the card
    fits in one Teams message; a final "…" says something was cut."""
    body = card["body"]
    answer_end = len(body) - (1 if len(body) > 1 and body[-1].get("isSubtle") else 0)
    cut = False
    while _size(card) > MAX_BYTES - 2000 and answer_end > 1:
        body.pop(answer_end - 1)
        answer_end -= 1
        cut = True
    if _size(card) > MAX_BYTES - 2000:
        body[0]["text"] = body[0]["text"][: _TEXT_BUDGET // 4]
        cut = True
    if cut:
        body.insert(answer_end, _text("…"))
    return card


def _size(card: dict[str, Any]) -> int:
    return len(json.dumps(card).encode())


def _paragraphs(text: str) -> list[str]:
    budget, parts, current = 3000, [], ""
    for paragraph in text.split("\n\n"):
        if current and len(current) + len(paragraph) > budget:
            parts.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        parts.append(current)
    total, kept = 0, []
    for part in parts:
        total += len(part)
        if total > _TEXT_BUDGET:
            kept.append(part[: max(0, _TEXT_BUDGET - (total - len(part)))] + "…")
            break
        kept.append(part)
    return kept or [" "]


def _text(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}


def _action(button: Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": str(button.kind),
        "data": {"value": button.value},
    }
    if button.kind == ButtonKind.CONFIRM:
        action["style"] = "positive"
    elif button.kind == ButtonKind.CANCEL:
        action["style"] = "destructive"
    return action


def case_card(case_id: int, text: str, claim: str, resolve: str) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [_text(text[:3000])],
        "actions": [
            {
                "type": "Action.Execute",
                "title": claim,
                "verb": CaseAction.CLAIM,
                "data": {"value": str(case_id)},
            },
            {
                "type": "Action.Execute",
                "title": resolve,
                "verb": CaseAction.RESOLVE,
                "style": "positive",
                "data": {"value": str(case_id)},
            },
        ],
    }


def digest_card(markdown: str, chart_data_uri: str, title: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    body += [_text(p) for p in _paragraphs(markdown.replace("*", "**"))[:4]]
    body.append({"type": "Image", "url": chart_data_uri, "altText": title})
    return fit(
        {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": body,
        }
    )


def _link(source: str, base_url: str) -> str:
    url = _url(source, base_url)
    return f"[{source}]({url})" if url else source


def _url(source: str, base_url: str) -> str:
    if source.startswith(("http://", "https://")):
        return source
    if base_url:
        return f"{base_url.rstrip('/')}/{source}"
    return ""
