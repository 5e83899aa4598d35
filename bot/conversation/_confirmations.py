"""The confirmation state machine: a proposed action is confirmed, cancelled or expires, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import update
from sqlmodel import col

from bot import audit
from bot.agent import run_tool
from bot.audit import AuditEvent
from bot.conversation._conversations import ConversationStore
from bot.conversation._replies import plain_reply
from bot.store import Database, PendingConfirmation
from bot.tools import Policy, ToolContext, ToolRegistry
from bot.types import Outcome, Reply, utcnow

__all__ = ["Confirmations"]

ContextFor = Callable[[str, frozenset[str], str, date], ToolContext]


class Confirmations:
    """pending → confirmed (the tool runs) | cancelled | expired; a second press finds it settled."""

    def __init__(
        self,
        db: Database,
        registry: ToolRegistry,
        policy: Callable[[], Policy],
        turns: ConversationStore,
        context_for: ContextFor,
        today: Callable[[], date],
    ) -> None:
        self.db, self.registry, self._policy, self.turns = db, registry, policy, turns
        self._context_for, self._today = context_for, today

    async def aanswer(self, requester: str, confirmation_id: str, accept: bool, default_lang: str) -> Reply:
        with self.db.session() as s:
            pending = s.get(PendingConfirmation, confirmation_id)
        lang = pending.lang if pending else default_lang
        if pending is None or pending.status != "pending":
            return plain_reply("confirmation_expired", lang, Outcome.CLARIFY)
        if pending.user_id != requester:
            audit.record(
                self.db, requester, pending.tool, AuditEvent.DENIED, pending.arguments, "not the requester"
            )
            return plain_reply("confirmation_not_yours", lang, Outcome.REFUSED)
        expired = pending.expires_at < utcnow()
        status = "expired" if expired else ("confirmed" if accept else "cancelled")
        if not self._settle(confirmation_id, status):
            return plain_reply("confirmation_expired", lang, Outcome.CLARIFY)
        if expired:
            audit.record(self.db, requester, pending.tool, AuditEvent.EXPIRED, pending.arguments)
            return plain_reply("confirmation_expired", lang, Outcome.CLARIFY)
        if not accept:
            audit.record(self.db, requester, pending.tool, AuditEvent.CANCELLED, pending.arguments)
            self.turns.set_outcome(pending.turn_id, Outcome.CANCELLED)
            return plain_reply("cancelled", lang, Outcome.CANCELLED)
        return await self._run(pending, requester, lang)

    async def _run(self, pending: PendingConfirmation, requester: str, lang: str) -> Reply:
        plugin = self.registry.get(pending.tool)
        policy = self._policy()
        groups = policy.groups_of(requester)
        # Permissions are checked again: they may have changed since the proposal.
        if plugin is None or not policy.may(groups, plugin.permission):
            audit.record(
                self.db, requester, pending.tool, AuditEvent.DENIED, pending.arguments, "at confirmation"
            )
            return plain_reply("denied", lang, Outcome.REFUSED, tool=pending.tool)
        audit.record(self.db, requester, plugin.name, AuditEvent.CONFIRMED, pending.arguments, pending.id)
        ctx = self._context_for(requester, groups, lang, self._today())
        action = await run_tool(plugin, ctx, plugin.args(**pending.arguments))
        action.confirmation_id = pending.id
        outcome = Outcome.ACTION_DONE if action.status == "succeeded" else Outcome.ACTION_FAILED
        self.turns.set_outcome(pending.turn_id, outcome)
        return Reply(text=action.result, lang=lang, outcome=outcome, actions=[action], confidence=1.0)

    def _settle(self, confirmation_id: str, status: str) -> bool:
        """Move a pending confirmation to its final status; False if another press got there first."""
        with self.db.session() as s:
            result = s.exec(
                update(PendingConfirmation)
                .where(
                    col(PendingConfirmation.id) == confirmation_id,
                    col(PendingConfirmation.status) == "pending",
                )
                .values(status=status)
            )
            return bool(result.rowcount)
