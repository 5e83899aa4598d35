"""Where a turn lives: conversations, their turns, delivered event ids and the links between them."""

from __future__ import annotations

import time

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.agent import TurnState
from bot.conversation import escalation
from bot.store import Conversation, Database, PendingConfirmation, ProcessedEvent, Turn
from bot.types import IncomingMessage, Outcome, Reply

__all__ = ["ConversationStore"]


class ConversationStore:
    """Reads the history an agent needs and writes the turn it produced, one unit of work each."""

    def __init__(self, db: Database, history_turns: int, max_message_chars: int) -> None:
        self.db = db
        self._history_turns = history_turns
        self._max_chars = max_message_chars

    def first_delivery(self, message: IncomingMessage) -> bool:
        """False when the platform already delivered this event (a retry); the unique key decides."""
        try:
            with self.db.session() as s:
                s.add(ProcessedEvent(platform=message.platform, event_id=message.event_id))
        except IntegrityError:
            return False
        return True

    def conversation(self, message: IncomingMessage) -> tuple[int, list[ChatMessage]]:
        """The conversation's id (created on first use) and its last turns as chat history."""
        key = message.conversation_key
        with self.db.session() as s:
            conversation = s.exec(select(Conversation).where(Conversation.key == key)).first()
            if conversation is None:
                conversation = Conversation(
                    key=key,
                    platform=message.platform,
                    channel_id=message.channel_id,
                    thread_id=message.thread_id,
                    user_id=message.requester,
                )
                s.add(conversation)
                s.flush()
            assert conversation.id is not None
            turns = s.exec(
                select(Turn)
                .where(Turn.conversation_id == conversation.id)
                .order_by(col(Turn.id).desc())
                .limit(self._history_turns)
            ).all()
        history: list[ChatMessage] = []
        for turn in reversed(turns):
            history.append(ChatMessage(role=MessageRole.USER, content=turn.question))
            history.append(ChatMessage(role=MessageRole.ASSISTANT, content=turn.answer))
        return conversation.id, history

    def store_turn(
        self,
        conversation_id: int,
        message: IncomingMessage,
        reply: Reply,
        state: TurnState | None,
        started: float,
    ) -> int:
        """Write the turn, then link the case and the confirmations it produced to it."""
        actions = state.actions if state is not None else []
        used = next((a.tool for a in actions if a.status != "denied"), "")
        # The topic reaches the digest, so only a document everyone may read can name it.
        public = [c for c in reply.citations if not c.restricted]
        topic = used or (" › ".join((public[0].title, *public[0].section[:1])) if public else "")
        with self.db.session() as s:
            turn = Turn(
                conversation_id=conversation_id,
                platform=message.platform,
                user_id=message.requester,
                question=message.text[: self._max_chars],
                answer=reply.text,
                lang=reply.lang,
                outcome=str(reply.outcome),
                topic=topic[:200],
                confidence=reply.confidence,
                tool=used,
                case_id=reply.case_id,
                citations=[c.model_dump() for c in reply.citations],
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                correlation_id=message.correlation_id,
            )
            s.add(turn)
            s.flush()
            assert turn.id is not None
            turn_id = turn.id
        if reply.case_id is not None:
            escalation.link_turn(self.db, reply.case_id, turn_id)
        for action in actions:
            if action.confirmation_id:
                self._link_confirmation(action.confirmation_id, turn_id)
        return turn_id

    def turn(self, turn_id: int) -> Turn | None:
        with self.db.session() as s:
            return s.get(Turn, turn_id)

    def set_case(self, turn_id: int, case_id: int) -> None:
        with self.db.session() as s:
            stored = s.get(Turn, turn_id)
            if stored is not None:
                stored.case_id = case_id

    def set_outcome(self, turn_id: int | None, outcome: Outcome) -> None:
        """Settle a proposal's turn; a turn that answered or suggested with an action beside keeps
        its outcome (the digest and a later "No" read it)."""
        if turn_id is None:
            return
        with self.db.session() as s:
            turn = s.get(Turn, turn_id)
            if turn is not None and turn.outcome == str(Outcome.ACTION_PROPOSED):
                turn.outcome = str(outcome)

    def thread_of(self, turn: Turn) -> tuple[str, str]:
        """The channel and thread a turn was asked in, where a case about it is answered."""
        with self.db.session() as s:
            conversation = s.get(Conversation, turn.conversation_id)
        return (conversation.channel_id, conversation.thread_id) if conversation else ("", "")

    def _link_confirmation(self, confirmation_id: str, turn_id: int) -> None:
        with self.db.session() as s:
            pending = s.get(PendingConfirmation, confirmation_id)
            if pending is not None:
                pending.turn_id = turn_id
