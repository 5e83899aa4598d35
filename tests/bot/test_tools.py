from __future__ import annotations

from datetime import date

import pytest

from bot.config import DEFAULT_PERMISSIONS
from bot.tools import Policy, RegistryError, ToolContext, ToolRegistry, tool
from bot.tools.builtin.time_off import working_days


def test_plugins_come_from_entry_points_and_config() -> None:
    discovered = ToolRegistry.load([], DEFAULT_PERMISSIONS)
    # examples/backoffice-canteen is installed in the test environment and declares the entry point
    assert discovered.get("canteen_menu") is not None
    configured = ToolRegistry.load(["tests.bot.plugins_for_tests"], DEFAULT_PERMISSIONS, discover=False)
    assert configured.get("broken_diagnostics") is not None and configured.get("canteen_menu") is None


def test_a_duplicate_name_or_an_unknown_permission_stops_start_up() -> None:
    with pytest.raises(RegistryError, match="two tools are named 'open_ticket'"):
        ToolRegistry.load(["tests.bot.plugins_for_tests:DUPLICATE"], DEFAULT_PERMISSIONS, discover=False)
    with pytest.raises(RegistryError, match="payroll.read"):
        ToolRegistry.load(
            ["tests.bot.plugins_for_tests:UNKNOWN_PERMISSION"], DEFAULT_PERMISSIONS, discover=False
        )
    with pytest.raises(RegistryError, match="cannot be imported"):
        ToolRegistry.load(["tests.bot.no_such_module"], DEFAULT_PERMISSIONS, discover=False)
    with pytest.raises(RegistryError, match="not a tool"):
        ToolRegistry.load(["tests.bot.plugins_for_tests:replace"], DEFAULT_PERMISSIONS, discover=False)


def test_a_tool_needs_a_description_for_the_model() -> None:
    with pytest.raises(ValueError, match="docstring"):

        @tool(permission="employee")
        def silent(ctx: ToolContext) -> str:
            return ""


def test_the_argument_schema_comes_from_the_signature_and_forbids_extras() -> None:
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    request = registry.get("request_time_off")
    assert request is not None and request.confirm
    schema = request.args.model_json_schema()
    assert schema["required"] == ["start", "end", "kind"]
    assert schema["properties"]["kind"]["enum"] == ["vacation", "sick", "personal", "other"]
    assert schema["x-example-requests"]
    with pytest.raises(ValueError):
        request.args(start="2026-01-01", end="2026-01-02", kind="vacation", requester="someone-else")


def test_the_policy_offers_each_requester_only_what_they_may_do() -> None:
    policy = Policy({"managers": ["slack:U1"], "admins": ["slack:U2"]}, DEFAULT_PERMISSIONS)
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    employee, refused = policy.split(registry, policy.groups_of("slack:U9"))
    assert {t.name for t in refused} == {"decide_time_off", "reindex_norms"}
    manager, _ = policy.split(registry, policy.groups_of("slack:U1"))
    assert "decide_time_off" in {t.name for t in manager} and "reindex_norms" not in {t.name for t in manager}
    assert policy.may(policy.groups_of("slack:U2"), "norms.reindex")


def test_working_days_skip_weekends() -> None:
    assert working_days(date(2026, 12, 14), date(2026, 12, 18)) == 5
    assert working_days(date(2026, 11, 27), date(2026, 11, 30)) == 2  # Friday to Monday
