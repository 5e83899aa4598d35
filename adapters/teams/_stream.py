"""Streaming in one-to-one chats (Teams streams nowhere else): an informative update while the agent works,
then the reply's words as the streamed text and its sources and buttons as a card on the final message."""

from __future__ import annotations

from microsoft_agents.activity import Attachment
from microsoft_agents.hosting.core import Citation, StreamingResponse, TurnContext

from adapters.teams._cards import CARD_TYPE, client_citation, from_the_norms, reply_card, with_native_feedback
from bot import Reply, messages


def start(turn_context: TurnContext, lang: str) -> StreamingResponse:
    stream = StreamingResponse(turn_context)
    stream.queue_informative_update(messages.say("working_status", lang))
    return stream


async def finish(stream: StreamingResponse, reply: Reply, docs_url: str = "") -> None:
    card = reply_card(with_native_feedback(reply), docs_url, with_text=False)
    if card["body"] or card["actions"]:
        stream.set_attachments([Attachment(content_type=CARD_TYPE, content=card)])
    text = reply.text
    if from_the_norms(reply):
        stream.set_generated_by_ai_label(True)
        stream.set_feedback_loop(True)
        stream.set_citations([_citation(n, reply, docs_url) for n in range(1, len(reply.citations) + 1)])
        # Teams shows a citation where its [n] stands in the text; the card lists them with the same numbers.
        text += "".join(f" [{n}]" for n in range(1, len(reply.citations) + 1))
    stream.queue_text_chunk(text)
    await stream.end_stream()


async def finish_with_text(stream: StreamingResponse, text: str) -> None:
    stream.queue_text_chunk(text)
    await stream.end_stream()


def _citation(position: int, reply: Reply, docs_url: str) -> Citation:
    appearance = client_citation(position, reply.citations[position - 1], docs_url).appearance
    return Citation(content=appearance.abstract, title=appearance.name, url=appearance.url)
