"""The platform-neutral bot: an `IncomingMessage` in, a `Reply` out, everything stored and audited.

`Bot` orchestrates; the conversation store (`_conversations`), the reply builder (`_replies`) and the
confirmation state machine (`_confirmations`) each live in their own module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from llama_index.core.agent.workflow import AgentOutput, FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import BaseTool
from sqlmodel import col, select

from bot import audit, messages
from bot.agent import IntentReader, Router, TurnFacts, TurnPolicy, TurnState, TurnTools, build_llm
from bot.audit import AuditEvent
from bot.config import Settings
from bot.conversation import escalation
from bot.conversation._confirmations import Confirmations
from bot.conversation._conversations import ConversationStore
from bot.conversation._live_policy import LivePolicy
from bot.conversation._noise import is_noise
from bot.conversation._replies import build_reply, buttons, plain_reply
from bot.fleet._logging import correlated, log_turn
from bot.fleet.metrics import Metrics
from bot.fleet.ratelimit import rate_limit
from bot.fleet.snapshots import RecordedSnapshots
from bot.store import Case, Database, DatabaseUnavailable, Feedback, Turn
from bot.tools import Policy, ToolContext, ToolRegistry
from bot.types import Action, IncomingMessage, Outcome, Reply, new_correlation_id, utcnow
from knowledge import KnowledgeBase, Language, detect_language, shared_encoder

log = logging.getLogger(__name__)


class Bot:
    """Owns the agent's model, the tool registry, the permission policy, the store and the escalations."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        knowledge: KnowledgeBase | None,
        registry: ToolRegistry,
        llm: FunctionCallingLLM,
        live_policy: LivePolicy | None = None,
    ) -> None:
        self.settings, self.db, self.knowledge, self.registry, self.llm = (
            settings,
            db,
            knowledge,
            registry,
            llm,
        )
        self._live_policy = live_policy or LivePolicy(settings)
        self._turn_policy = TurnPolicy(
            settings.agent.min_confidence,
            timedelta(minutes=settings.agent.confirmation_ttl_minutes),
            settings.agent.suggest_confidence,
        )
        self._zone = ZoneInfo(settings.agent.timezone)
        self.turns = ConversationStore(db, settings.agent.history_turns, settings.agent.max_message_chars)
        self.confirmations = Confirmations(
            db,
            registry,
            lambda: self.policy,
            self.turns,
            self._context,
            lambda: datetime.now(self._zone).date(),
        )
        self.metrics = Metrics(db, knowledge)
        limits = settings.rate_limit
        self.rate_limit = rate_limit(db, limits.per_minute, settings.redis_url, limits.redis_prefix)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        knowledge: KnowledgeBase | None = None,
        llm: FunctionCallingLLM | None = None,
        live_policy: LivePolicy | None = None,
        migrate: bool = True,
    ) -> Bot:
        """With `migrate` false the schema must already be the newest (SchemaOutdated otherwise): a shared
        database changes only by `backoffice db upgrade`, never because a worker started."""
        db = Database(settings.effective_database_url)
        try:
            db.prepare(migrate)
        except Exception:
            db.dispose()
            raise
        # Workers sharing the database follow the snapshot it records and reindex one at a time.
        ledger = RecordedSnapshots(db, timedelta(seconds=settings.knowledge.reindex_lease_s))
        kb = knowledge or KnowledgeBase(settings.home, settings.knowledge, ledger=ledger)
        registry = ToolRegistry.load(settings.plugins, settings.permissions)
        # Requests are read by the multilingual encoder, whatever model the index uses: its thresholds
        # were measured on it (benchmarks/intent.py), and it reads Spanish as well as English.
        intents = IntentReader(shared_encoder().encode)
        model = llm or build_llm(settings.llm, Router(kb.analyzer, intents))
        return cls(settings, db, kb, registry, model, live_policy)

    @property
    def policy(self) -> Policy:
        """Groups and permissions as configured now: a change to the config file applies without a restart."""
        return self._live_policy.current()

    async def aclose(self) -> None:
        """Release connections: the model's HTTP client (hosted providers) and the database pool."""
        client = getattr(self.llm, "_aclient", None)
        if client is not None and hasattr(client, "close"):
            await client.close()
        if self.rate_limit is not None:
            self.rate_limit.close()
        self.db.dispose()

    # --- one message ----------------------------------------------------------------------------------

    async def ahandle(self, message: IncomingMessage) -> Reply | None:
        """The reply to `message`, or None when the platform delivered the same event again."""
        with correlated(message.correlation_id):
            started = time.perf_counter()
            reply = await self._ahandle(message, started)
            if reply is None:
                self.metrics.duplicate(message.platform)
                return None
            reply.correlation_id = message.correlation_id
            seconds = time.perf_counter() - started
            self.metrics.turn(message.platform, reply.outcome, seconds, reply.actions, reply.escalated)
            log_turn(message.platform, reply, seconds)
            return reply

    def language_of(self, message: IncomingMessage) -> Language:
        """The language the reply to `message` will be in (so an adapter can say it is working in it)."""
        return detect_language(message.text.strip(), self._default_lang(message))

    def usual_language(self, platform: str, user_id: str) -> str:
        """The language of the person's latest question; the company's for someone new."""
        with self.db.session() as s:
            latest = s.exec(
                select(Turn.lang).where(Turn.user_id == f"{platform}:{user_id}").order_by(col(Turn.id).desc())
            ).first()
        return latest or self.settings.language

    async def _ahandle(self, message: IncomingMessage, started: float) -> Reply | None:
        text = message.text.strip()
        lang = self.language_of(message)
        try:
            # A retry is recognised before anything else, so even an empty message is answered once.
            if message.event_id and not self.turns.first_delivery(message):
                return None
            if not text:
                return plain_reply("empty_message", lang, Outcome.CLARIFY)
            limit = self.settings.agent.max_message_chars
            if len(text) > limit:
                return plain_reply("too_long", lang, Outcome.CLARIFY, length=len(text), limit=limit)
            if self.rate_limit is not None and not self.rate_limit.allow(message.requester):
                per_minute = self.settings.rate_limit.per_minute
                limited = plain_reply("rate_limited", lang, Outcome.RATE_LIMITED, limit=per_minute)
                return self._stored(message, limited, started)
            if is_noise(text):
                # Code and emoji have no language of their own: the user's locale or the company's decides.
                noise = plain_reply("what_do_you_need", self._default_lang(message), Outcome.CLARIFY)
                return self._stored(message, noise, started)
            return await self._answer(message, text, lang, started)
        except DatabaseUnavailable as exc:
            log.error("database unavailable while handling %s: %s", message.requester, exc)
            return plain_reply("database_down", lang, Outcome.ERROR)

    async def _answer(self, message: IncomingMessage, text: str, lang: str, started: float) -> Reply:
        conversation_id, history = self.turns.conversation(message)
        policy = self.policy
        groups = policy.groups_of(message.requester)
        allowed, denied = policy.split(self.registry, groups)
        state = TurnState(message=message, lang=lang, groups=groups)
        today = self._today(message)
        ctx = self._context(message.requester, groups, lang, today)
        tools: list[BaseTool | Callable[..., Any]] = list(
            TurnTools(state, ctx, self.knowledge, allowed, denied, self._turn_policy).build()
        )
        audit.record(
            self.db, message.requester, "*", AuditEvent.OFFERED, {"tools": [t.name for t in allowed]}
        )
        answer = await self._run_agent(state, tools, text, history, today)
        reply = build_reply(state, answer or messages.say("internal_error", lang))
        reply.turn_id = self.turns.store_turn(conversation_id, message, reply, state, started)
        reply.buttons = buttons(reply)
        return reply

    async def _run_agent(
        self,
        state: TurnState,
        tools: list[BaseTool | Callable[..., Any]],
        text: str,
        history: list[ChatMessage],
        today: date,
    ) -> str:
        """The one place the agent runs: the model sees the tools, the system prompt and the history."""
        facts = TurnFacts(lang=state.lang, today=today)
        agent = FunctionAgent(tools=tools, llm=self.llm, system_prompt=facts.system_prompt(), streaming=False)
        try:
            with facts.applied():
                output: AgentOutput = await agent.run(user_msg=text, chat_history=history, max_iterations=6)
            return str(output.response.content or "").strip()
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("the agent failed on a message from %s", state.message.requester)
            state.actions.append(Action(tool="agent", status="failed"))
            return messages.say("internal_error", state.lang)

    def _stored(self, message: IncomingMessage, reply: Reply, started: float) -> Reply:
        """`reply` to `message`, with its turn written first (a reply never tells of an unrecorded turn)."""
        conversation_id, _ = self.turns.conversation(message)
        reply.turn_id = self.turns.store_turn(conversation_id, message, reply, None, started)
        reply.buttons = buttons(reply)
        return reply

    # --- buttons pressed ------------------------------------------------------------------------------

    async def aconfirm(self, platform: str, user_id: str, confirmation_id: str, accept: bool) -> Reply:
        """The user's answer to a proposed action: run it (once, even if pressed twice) or drop it."""
        requester = f"{platform}:{user_id}"
        with correlated(new_correlation_id()):
            try:
                default = self.settings.language
                reply = await self.confirmations.aanswer(requester, confirmation_id, accept, default)
            except DatabaseUnavailable as exc:
                log.error("database unavailable while confirming for %s: %s", requester, exc)
                return plain_reply("database_down", self.settings.language, Outcome.ERROR)
            self.metrics.actions(reply.actions)
            return reply

    async def afeedback(self, platform: str, user_id: str, turn_id: int, value: int) -> None:
        """👍 (+1) or 👎 (-1) on a reply; pressing again changes the vote rather than adding one."""
        voter = f"{platform}:{user_id}"
        with correlated(new_correlation_id()):
            audit.record(
                self.db, voter, "feedback", AuditEvent.FEEDBACK, {"turn_id": turn_id, "value": value}
            )
        vote = 1 if value > 0 else -1
        with self.db.session() as s:
            existing = s.exec(
                select(Feedback).where(Feedback.turn_id == turn_id, Feedback.user_id == voter)
            ).first()
            if existing is not None:
                existing.value, existing.at = vote, utcnow()
            elif s.get(Turn, turn_id) is not None:
                s.add(Feedback(turn_id=turn_id, user_id=voter, value=vote))

    async def arequest_human(self, platform: str, user_id: str, turn_id: int) -> Reply:
        """The "talk to a human" button: a case for the question of that turn."""
        turn = self.turns.turn(turn_id)
        lang = turn.lang if turn else self.settings.language
        if turn is None or turn.user_id != f"{platform}:{user_id}":
            return plain_reply("confirmation_not_yours", lang, Outcome.REFUSED)
        # The case is about that turn: its audit entries carry the turn's correlation id.
        with correlated(turn.correlation_id or new_correlation_id()):
            case_id = self._case_for(turn, platform, user_id, lang)
        reply = plain_reply("case_opened", lang, Outcome.ESCALATED, case_id=case_id)
        reply.escalated, reply.case_id = True, case_id
        return reply

    def _case_for(self, turn: Turn, platform: str, user_id: str, lang: str) -> int:
        """The case already opened for `turn`, or a new one (pressing twice opens one case)."""
        assert turn.id is not None
        turn_id, case_id = turn.id, turn.case_id
        if case_id is None:
            channel_id, thread_id = self.turns.thread_of(turn)
            case_id = escalation.open_case(
                self.db,
                platform=platform,
                user_id=user_id,
                channel_id=channel_id,
                thread_id=thread_id,
                question=turn.question,
                summary=_case_summary(turn, lang),
                lang=lang,
                topic=turn.topic,
                turn_id=turn.id,
            )
            self.turns.set_case(turn_id, case_id)
            self.metrics.escalation(platform)
        return case_id

    def close_case(self, human: str, case_id: int) -> tuple[Case, Path | None] | None:
        """A human resolves a case; their last answer becomes a proposed norm in `<home>/proposed-norms`."""
        return escalation.close(self.db, case_id, human, self.settings.home / "proposed-norms")

    # --- helpers --------------------------------------------------------------------------------------

    def _context(self, requester: str, groups: frozenset[str], lang: str, today: date) -> ToolContext:
        return ToolContext(
            requester=requester,
            groups=groups,
            lang=lang,
            today=today,
            now=utcnow(),
            db=self.db,
            knowledge=self.knowledge,
            options=self.settings.tool_options,
        )

    def _today(self, message: IncomingMessage) -> date:
        at = message.received_at if message.received_at.tzinfo else message.received_at.replace(tzinfo=UTC)
        return at.astimezone(self._zone).date()

    def _default_lang(self, message: IncomingMessage) -> Language:
        hint = message.lang_hint[:2].lower()
        if hint == "es":
            return "es"
        if hint == "en":
            return "en"
        return self.settings.language


def _case_summary(turn: Turn, lang: str) -> str:
    """What the person taking the case sees of the turn. A suggestion that did not help names the
    passages it showed, so the team sees what was tried; a restricted one is named by number only, and
    an answer may quote documents the team may not read, so the case points to the turn."""
    if turn.outcome != Outcome.SUGGESTED or turn.id is None:
        return messages.say("case_after_turn", lang, turn_id=turn.id)
    shown = [
        f"[{n}] —"
        if c.get("restricted")
        else f"[{n}] {' › '.join((str(c.get('title', '')), *map(str, c.get('section') or [])))} "
        f"({c.get('source', '')})"
        for n, c in enumerate(turn.citations, 1)
    ]
    return messages.say("case_after_suggestion", lang, turn_id=turn.id, sources="; ".join(shown))
