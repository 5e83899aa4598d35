"""The plugin API: a tool is a typed function plus the data the core needs to offer it safely."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

if TYPE_CHECKING:
    from bot.store import Database
    from knowledge import KnowledgeBase

__all__ = ["PluginTool", "ToolContext", "ToolError", "tool"]

_MAX_DESCRIPTION = 1024


class ToolError(Exception):
    """A failure the user should hear about in plain words (a ticket that does not exist, a bad range)."""


@dataclass(frozen=True)
class ToolContext:
    """Trusted values the core injects into every call; the model never chooses them."""

    requester: str  # platform:user
    groups: frozenset[str]
    lang: str
    today: date
    now: datetime
    db: Database
    knowledge: KnowledgeBase | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # the plugin's own config section


ToolFunction = Callable[..., str | Awaitable[str]]


@dataclass(frozen=True)
class PluginTool:
    name: str
    description: str  # written for the model: what it does, and when not to use it
    fn: ToolFunction
    args: type[BaseModel]
    permission: str
    confirm: bool = False  # changes something: runs only after the user says yes
    examples: tuple[str, ...] = ()  # requests that should call it, in the languages users write
    summarize: Callable[[BaseModel, str], str] | None = None  # the confirmation question's text

    def describe(self, arguments: BaseModel, lang: str) -> str:
        if self.summarize is not None:
            return self.summarize(arguments, lang)
        shown = ", ".join(f"{k}={v}" for k, v in arguments.model_dump(mode="json").items())
        return f"{self.name}({shown})"

    async def run(self, ctx: ToolContext, arguments: BaseModel) -> str:
        result = self.fn(ctx, **dict(arguments))
        if inspect.isawaitable(result):
            return str(await result)
        return str(result)


def tool(
    *,
    permission: str,
    confirm: bool = False,
    examples: tuple[str, ...] = (),
    name: str | None = None,
    summarize: Callable[[Any, str], str] | None = None,
) -> Callable[[ToolFunction], PluginTool]:
    """Declare a plugin tool. The function's first parameter receives the `ToolContext`; the others
    become the argument schema the model fills; its docstring is the model-facing description."""

    def build(fn: ToolFunction) -> PluginTool:
        description = inspect.cleandoc(fn.__doc__ or "")
        if not description or len(description) > _MAX_DESCRIPTION:
            raise ValueError(f"tool {fn.__name__}: the docstring must describe it in 1..1024 characters")
        return PluginTool(
            name=name or fn.__name__,
            description=description,
            fn=fn,
            args=_arguments_model(fn, examples),
            permission=permission,
            confirm=confirm,
            examples=examples,
            summarize=summarize,
        )

    return build


EXAMPLES_KEY = "x-example-requests"  # in the argument schema, where any model (and the offline one) sees them


def _arguments_model(fn: ToolFunction, examples: tuple[str, ...]) -> type[BaseModel]:
    hints = get_type_hints(fn, include_extras=True)
    params = list(inspect.signature(fn).parameters.values())[1:]  # the first one is the context
    fields: dict[str, Any] = {}
    for p in params:
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints[p.name], default)
    model_name = "".join(part.title() for part in getattr(fn, "__name__", "tool").split("_")) + "Args"
    config = ConfigDict(extra="forbid", json_schema_extra={EXAMPLES_KEY: list(examples)})
    model: type[BaseModel] = create_model(model_name, __config__=config, **fields)
    return model
