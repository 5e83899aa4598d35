"""Administration from chat."""

from __future__ import annotations

import asyncio

from bot.tools._plugin import ToolContext, ToolError, tool


@tool(
    permission="norms.reindex",
    confirm=True,
    examples=("Reindexa la normativa, por favor", "Reindex the norms", "actualiza el índice de documentos"),
)
async def reindex_norms(ctx: ToolContext) -> str:
    """Re-read the norms folder and update the search index (unchanged documents are skipped).
    Admins only."""
    if ctx.knowledge is None:
        raise ToolError(
            "No hay base de conocimiento configurada."
            if ctx.lang == "es"
            else "No knowledge base is configured."
        )
    report = await asyncio.to_thread(ctx.knowledge.reindex)
    c = report.counts()
    if ctx.lang == "es":
        return (
            f"Índice actualizado: {c['added']} añadidos, {c['updated']} actualizados, "
            f"{c['removed']} eliminados, {c['unchanged']} sin cambios, {c['failed']} con errores."
        )
    return (
        f"Index updated: {c['added']} added, {c['updated']} updated, {c['removed']} removed, "
        f"{c['unchanged']} unchanged, {c['failed']} failed."
    )
