"""Plugin tools the tests load through the `plugins` config list."""

from __future__ import annotations

from dataclasses import replace

from bot.tools import ToolContext, tool


@tool(permission="employee", examples=("Run the broken diagnostics tool", "lanza el diagnóstico roto"))
def broken_diagnostics(ctx: ToolContext) -> str:
    """Run the laptop diagnostics (this one always fails: it stands for a plugin with a bug)."""
    raise RuntimeError("diagnostics backend exploded")


@tool(permission="payroll.read", examples=("show the payroll",))
def payroll_report(ctx: ToolContext) -> str:
    """Show the payroll report."""
    return "payroll"


TOOLS = [broken_diagnostics]
UNKNOWN_PERMISSION = [payroll_report]
DUPLICATE = [replace(broken_diagnostics, name="open_ticket")]
