"""The canteen's menu of the day, as a Backoffice Bot plugin tool."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from bot.tools import ToolContext, ToolError, tool

Day = Annotated[
    Literal["today", "tomorrow"],
    Field(
        json_schema_extra={
            "x-words": {"tomorrow": ["tomorrow", "manana"], "today": ["today", "hoy"]},
            "x-fallback": "today",
        }
    ),
]
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@tool(
    permission="employee",
    examples=(
        "What's on the canteen menu today?",
        "¿Qué hay de comer hoy en el comedor?",
        "menú del comedor",
    ),
)
def canteen_menu(ctx: ToolContext, day: Day = "today") -> str:
    """Tell the requester what the office canteen serves today or tomorrow. Not for questions about
    meal allowances or per diems: those are norms."""
    when = ctx.today + timedelta(days=1 if day == "tomorrow" else 0)
    menu = ctx.options.get("canteen", {}).get("menu", {})
    dishes = menu.get(_WEEKDAYS[when.weekday()])
    if not dishes:
        raise ToolError(
            "El comedor no tiene menú ese día." if ctx.lang == "es" else "The canteen has no menu that day."
        )
    head = f"Menú del {when:%d/%m}:" if ctx.lang == "es" else f"Menu for {when:%Y-%m-%d}:"
    return "\n".join([head, *(f"- {d}" for d in dishes)])


TOOLS = [canteen_menu]
__all__ = ["TOOLS", "canteen_menu"]
