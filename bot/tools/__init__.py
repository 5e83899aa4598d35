"""Plugin tools: the typed functions the agent may call for a requester, and the policy that decides."""

from bot.tools._plugin import EXAMPLES_KEY, PluginTool, ToolContext, ToolError, tool
from bot.tools._registry import (
    CORE_TOOLS,
    DEFAULT_PERMISSIONS,
    ENTRY_POINT_GROUP,
    Policy,
    RegistryError,
    ToolRegistry,
)

__all__ = [
    "CORE_TOOLS",
    "DEFAULT_PERMISSIONS",
    "ENTRY_POINT_GROUP",
    "EXAMPLES_KEY",
    "PluginTool",
    "Policy",
    "RegistryError",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "tool",
]
