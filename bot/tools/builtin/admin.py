"""Administration from chat."""

from __future__ import annotations

import asyncio

from bot import messages
from bot.fleet.leases import LeaseHeld
from bot.fleet.snapshots import reindex_running
from bot.tools._plugin import ToolContext, ToolError, tool


@tool(
    permission="norms.reindex",
    confirm=True,
    examples=(
        "Reindexa la normativa, por favor",
        "Reindex the norms",
        "actualiza el índice de documentos",
        "rebuild the search index, the policies changed",
        "vuelve a cargar los documentos",
    ),
)
async def reindex_norms(ctx: ToolContext) -> str:
    """Re-read the norms folder and update the search index (unchanged documents are skipped).
    Admins only."""
    if ctx.knowledge is None:
        raise ToolError(messages.say("no_knowledge_base", ctx.lang))
    try:
        report = await asyncio.to_thread(ctx.knowledge.reindex)
    except LeaseHeld as exc:  # one reindex at a time across workers
        raise ToolError(reindex_running(exc.holding, ctx.lang, ctx.now.tzinfo)) from exc
    return messages.say("index_updated", ctx.lang, **report.counts())
