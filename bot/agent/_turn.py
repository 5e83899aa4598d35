"""The tools one turn offers the agent, bound to the requester: identity is injected here, never chosen
by the model, and every call leaves an audit line."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field, ValidationError

from bot import audit, messages
from bot.audit import AuditEvent
from bot.conversation import escalation
from bot.store import PendingConfirmation
from bot.tools import PluginTool, ToolContext, ToolError
from bot.types import Action, IncomingMessage, utcnow
from knowledge import Chunk, IndexError_, KnowledgeBase, Window

log = logging.getLogger(__name__)

SEARCH_DESCRIPTION = (
    "Search the company's norms (HR, IT, travel, expenses, labour agreement) for passages that answer the "
    "user's question. Always use it before answering a question about rules or procedures, and answer only "
    "from the passages it returns, citing them as [n]. When it reports evidence 'suggest', say in one line "
    "that you are not sure and quote the closest passages with their [n]. When it reports weak evidence, "
    "do not guess: call escalate_to_human."
)
ESCALATE_DESCRIPTION = (
    "Open a case with the human back-office team when the norms do not answer the request, the evidence is "
    "weak, or the user asks for a person. Give a one-line reason. The team replies in this conversation."
)
# Measured on the informal questions (benchmarks/gate.py rows): three quotes with no score cut-off put
# the facts in 82 of 128 answers, against 74 with a cut-off at 60 % of the best; a quote that shares no
# topic word with the question is still left out.
_QUOTES = 3


class SearchArgs(BaseModel):
    query: str = Field(description="The question, in the user's words")
    context: str = Field(
        default="", description="The earlier question this one continues, when it is a follow-up ('and if…')"
    )


class EscalateArgs(BaseModel):
    reason: str = Field(default="", description="Why a person is needed, in one line")


@dataclass(frozen=True)
class Quote:
    ref: int
    chunk: Chunk
    text: str
    see_also: tuple[Chunk, ...] = ()


@dataclass
class TurnState:
    """What happened during one turn, for building the reply and the stored record."""

    message: IncomingMessage
    lang: str
    groups: frozenset[str]
    turn_id: int | None = None
    quotes: dict[int, Quote] = field(default_factory=dict)
    confidence: float | None = None
    actions: list[Action] = field(default_factory=list)
    case_id: int | None = None
    tools_called: list[str] = field(default_factory=list)
    suggested: bool = False  # the evidence was relevant but not convincing: the reply is a suggestion


@dataclass(frozen=True)
class TurnPolicy:
    min_confidence: float  # the gate's estimate from which the bot answers
    confirmation_ttl: timedelta
    # below `min_confidence` and from this on, the closest passages are suggested; below it a person
    # takes over. None: the floor fitted with the gate (`knowledge/data/gate.yaml`).
    suggest_confidence: float | None = None


class TurnTools:
    def __init__(
        self,
        state: TurnState,
        ctx: ToolContext,
        knowledge: KnowledgeBase | None,
        allowed: list[PluginTool],
        denied: list[PluginTool],
        policy: TurnPolicy,
    ) -> None:
        self.state, self.ctx, self.knowledge = state, ctx, knowledge
        self.allowed, self.denied, self.policy = allowed, denied, policy

    def build(self) -> list[FunctionTool]:
        tools = [
            FunctionTool.from_defaults(
                async_fn=self.search_norms,
                name="search_norms",
                description=SEARCH_DESCRIPTION,
                fn_schema=SearchArgs,
            ),
            FunctionTool.from_defaults(
                async_fn=self.escalate_to_human,
                name="escalate_to_human",
                description=ESCALATE_DESCRIPTION,
                fn_schema=EscalateArgs,
            ),
        ]
        tools += [self._permitted(t) for t in self.allowed]
        # Tools the requester may not use are offered as refusals: whatever the model tries, the call is
        # refused and audited, and the user hears why instead of getting a made-up answer.
        tools += [self._refusal(t) for t in self.denied]
        return tools

    async def search_norms(self, query: str, context: str = "") -> str:
        self.state.tools_called.append("search_norms")
        if self.knowledge is None:
            return json.dumps(
                {"evidence": "unavailable", "message": messages.say("index_missing", self.state.lang)}
            )
        try:
            # Off the event loop: embedding takes tens of milliseconds, and the loop must keep acknowledging
            # platform requests meanwhile (Slack wants an answer within 3 s).
            hits, evidence = await asyncio.to_thread(
                self.knowledge.search_with_evidence, query, 5, self.state.groups, context
            )
        except IndexError_ as exc:
            log.error("search failed: %s", exc)
            return json.dumps(
                {"evidence": "unavailable", "message": messages.say("index_missing", self.state.lang)}
            )
        if not evidence.asked:  # "y", "ok": nothing to look up, and nothing for a person either
            return json.dumps(
                {"evidence": "nothing_asked", "message": messages.say("what_do_you_need", self.state.lang)},
                ensure_ascii=False,
            )
        self.state.confidence = evidence.confidence
        passages = []
        for window in _distinct(evidence.windows):
            ref = len(self.state.quotes) + 1
            self.state.quotes[ref] = Quote(ref, window.hit.chunk, window.quote, window.points_to)
            passage = {
                "ref": ref,
                "citation": window.hit.chunk.citation,
                "source": window.hit.chunk.doc_path,
                "quote": window.quote,
            }
            if window.points_to:
                passage["see_also"] = [
                    {"citation": c.citation, "source": c.doc_path} for c in window.points_to
                ]
            passages.append(passage)
        level = self._level(evidence.confidence, evidence.suggest_floor) if passages else "weak"
        self.state.suggested = level == "suggest"
        return json.dumps(
            {
                "evidence": level,
                "confidence": evidence.confidence,
                "not_found": list(evidence.missing),
                "passages": passages,
            },
            ensure_ascii=False,
        )

    def _level(self, confidence: float, fitted_floor: float) -> str:
        """Answer (strong), suggest the closest passages, or hand over (weak)."""
        floor = self.policy.suggest_confidence
        if confidence >= self.policy.min_confidence:
            return "strong"
        return "suggest" if confidence >= (fitted_floor if floor is None else floor) else "weak"

    async def escalate_to_human(self, reason: str = "") -> str:
        self.state.tools_called.append("escalate_to_human")
        self.state.suggested = False
        if self.state.case_id is None:
            m = self.state.message
            # The human channel is not the asker's audience: a restricted passage is named by number only.
            found = "\n".join(
                f"[{q.ref}] {q.chunk.citation}: {q.text[:200]}" if not q.chunk.audience else f"[{q.ref}] —"
                for q in self.state.quotes.values()
            )
            self.state.case_id = escalation.open_case(
                self.ctx.db,
                platform=m.platform,
                user_id=m.user_id,
                channel_id=m.channel_id,
                thread_id=m.thread_id,
                question=m.text,
                summary=f"{reason}\n{found}".strip(),
                lang=self.state.lang,
                topic=_topic(next((q for q in self.state.quotes.values() if not q.chunk.audience), None)),
            )
        return messages.say("case_opened", self.state.lang, case_id=self.state.case_id)

    def _permitted(self, plugin: PluginTool) -> FunctionTool:
        async def call(**kwargs: Any) -> str:
            return await self._call(plugin, kwargs)

        return FunctionTool.from_defaults(
            async_fn=call, name=plugin.name, description=plugin.description, fn_schema=plugin.args
        )

    def _refusal(self, plugin: PluginTool) -> FunctionTool:
        async def refuse(**kwargs: Any) -> str:
            self.state.tools_called.append(plugin.name)
            audit.record(
                self.ctx.db, self.ctx.requester, plugin.name, AuditEvent.DENIED, kwargs, plugin.permission
            )
            self.state.actions.append(Action(tool=plugin.name, arguments=kwargs, status="denied"))
            return messages.say("denied", self.state.lang, tool=plugin.name)

        description = f"{plugin.description}\nThis requester lacks the permission; calling it only refuses."
        return FunctionTool.from_defaults(
            async_fn=refuse, name=plugin.name, description=description[:1024], fn_schema=plugin.args
        )

    async def _call(self, plugin: PluginTool, raw: dict[str, Any]) -> str:
        self.state.tools_called.append(plugin.name)
        db, who = self.ctx.db, self.ctx.requester
        try:
            arguments = plugin.args(**raw)
        except ValidationError as exc:
            audit.record(db, who, plugin.name, AuditEvent.FAILED, raw, f"invalid arguments: {exc}")
            return f"Invalid arguments for {plugin.name}: {exc.errors(include_url=False)}"
        shown = arguments.model_dump(mode="json")
        if plugin.confirm:
            summary = plugin.describe(arguments, self.state.lang)
            confirmation = PendingConfirmation(
                id=uuid.uuid4().hex,
                user_id=who,
                tool=plugin.name,
                arguments=shown,
                lang=self.state.lang,
                summary=summary,
                expires_at=utcnow() + self.policy.confirmation_ttl,
            )
            with db.session() as s:
                s.add(confirmation)
            audit.record(db, who, plugin.name, AuditEvent.PROPOSED, shown, confirmation.id)
            self.state.actions.append(
                Action(
                    tool=plugin.name,
                    arguments=shown,
                    status="proposed",
                    confirmation_id=confirmation.id,
                    result=summary,
                )
            )
            return messages.say("confirm_question", self.state.lang, summary=summary)
        action = await run_tool(plugin, self.ctx, arguments)
        self.state.actions.append(action)
        return action.result


async def run_tool(plugin: PluginTool, ctx: ToolContext, arguments: BaseModel) -> Action:
    """Run a tool the requester may use, audit the outcome, and never let its failure escape."""
    shown = arguments.model_dump(mode="json")
    try:
        result = await plugin.run(ctx, arguments)
    except ToolError as exc:
        audit.record(ctx.db, ctx.requester, plugin.name, AuditEvent.FAILED, shown, str(exc))
        return Action(tool=plugin.name, arguments=shown, status="failed", result=str(exc))
    except Exception as exc:
        log.exception("tool %s failed for %s", plugin.name, ctx.requester)
        audit.record(
            ctx.db, ctx.requester, plugin.name, AuditEvent.FAILED, shown, f"{type(exc).__name__}: {exc}"
        )
        return Action(
            tool=plugin.name, arguments=shown, status="failed", result=messages.say("tool_failed", ctx.lang)
        )
    audit.record(ctx.db, ctx.requester, plugin.name, AuditEvent.SUCCEEDED, shown, result)
    return Action(tool=plugin.name, arguments=shown, status="succeeded", result=result)


def _distinct(windows: tuple[Window, ...]) -> list[Window]:
    """The best windows that speak of the question and do not repeat each other's sentences."""
    chosen: list[Window] = []
    for w in windows:
        if len(chosen) == _QUOTES:
            break
        if w.coverage <= 0.0:
            continue
        if any(w.hit.chunk.doc_path == c.hit.chunk.doc_path and _overlap(w.quote, c.quote) for c in chosen):
            continue
        chosen.append(w)
    return chosen


def _overlap(a: str, b: str) -> bool:
    """Quotes from one document overlap when either holds the other's start or end (chunks overlap too)."""
    return (
        a in b
        or b in a
        or any(piece in other for piece, other in ((a[:40], b), (b[:40], a), (a[-40:], b), (b[-40:], a)))
    )


def _topic(quote: Quote | None) -> str:
    if quote is None:
        return ""
    return " › ".join((quote.chunk.doc_title, *quote.chunk.heading_path[:1]))
