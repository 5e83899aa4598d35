"""Which tools exist (built-ins, entry points, config) and who may use each one."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from bot.config import DEFAULT_PERMISSIONS
from bot.tools._plugin import PluginTool

__all__ = [
    "ENTRY_POINT_GROUP",
    "CORE_TOOLS",
    "DEFAULT_PERMISSIONS",
    "Policy",
    "RegistryError",
    "ToolRegistry",
]

ENTRY_POINT_GROUP = "backoffice.tools"
CORE_TOOLS = frozenset({"search_norms", "escalate_to_human"})  # offered to everyone, owned by the core
EVERYONE = "*"


class RegistryError(Exception):
    """A plugin cannot be loaded or clashes with another: start-up stops and says which."""


class ToolRegistry:
    def __init__(self, tools: Iterable[PluginTool], permissions: Mapping[str, Sequence[str]]) -> None:
        self._tools: dict[str, PluginTool] = {}
        for t in tools:
            if t.name in CORE_TOOLS or t.name in self._tools:
                raise RegistryError(f"two tools are named {t.name!r}; rename one of them")
            if t.permission not in permissions:
                raise RegistryError(
                    f"tool {t.name!r} requires permission {t.permission!r}, which the configuration does "
                    f"not define (known: {', '.join(sorted(permissions))})"
                )
            self._tools[t.name] = t

    @classmethod
    def load(
        cls, plugins: Sequence[str], permissions: Mapping[str, Sequence[str]], *, discover: bool = True
    ) -> ToolRegistry:
        """Built-ins, then every `backoffice.tools` entry point, then the `plugins` named in config."""
        from bot.tools.builtin import TOOLS

        found: list[PluginTool] = list(TOOLS)
        if discover:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    found.extend(_tools_in(ep.load(), ep.value))
                except RegistryError:
                    raise
                except Exception as exc:
                    raise RegistryError(
                        f"plugin entry point {ep.name} ({ep.value}) failed to load: {exc}"
                    ) from exc
        for spec in plugins:
            found.extend(_tools_in(_import(spec), spec))
        return cls(_unique_objects(found), permissions)

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def get(self, name: str) -> PluginTool | None:
        return self._tools.get(name)


class Policy:
    """The one place that decides who may do what: groups from config, permissions mapped to groups."""

    def __init__(self, groups: Mapping[str, Sequence[str]], permissions: Mapping[str, Sequence[str]]) -> None:
        self._members = {g: frozenset(ids) for g, ids in groups.items()}
        self._permissions = {p: frozenset(gs) for p, gs in permissions.items()}

    def groups_of(self, requester: str) -> frozenset[str]:
        return frozenset(g for g, ids in self._members.items() if requester in ids)

    def may(self, groups: frozenset[str], permission: str) -> bool:
        allowed = self._permissions.get(permission, frozenset())
        return EVERYONE in allowed or bool(allowed & groups)

    def split(
        self, registry: ToolRegistry, groups: frozenset[str]
    ) -> tuple[list[PluginTool], list[PluginTool]]:
        """(tools the requester may run, tools they may not)."""
        allowed: list[PluginTool] = []
        denied: list[PluginTool] = []
        for t in registry:
            (allowed if self.may(groups, t.permission) else denied).append(t)
        return allowed, denied


def _import(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr) if attr else module
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"plugin {spec!r} cannot be imported: {exc}") from exc


def _tools_in(obj: Any, origin: str) -> list[PluginTool]:
    if isinstance(obj, ModuleType):
        obj = getattr(obj, "TOOLS", None)
    if isinstance(obj, PluginTool):
        return [obj]
    if isinstance(obj, list | tuple) and all(isinstance(t, PluginTool) for t in obj):
        return list(obj)
    raise RegistryError(f"plugin {origin!r} is not a tool, a list of tools, or a module with TOOLS")


def _unique_objects(tools: list[PluginTool]) -> list[PluginTool]:
    # The same object reached twice (an entry point also listed in config) is one tool, not a clash.
    seen: set[int] = set()
    out = []
    for t in tools:
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out
