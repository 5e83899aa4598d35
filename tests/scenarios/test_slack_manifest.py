"""manifest.yaml is valid against Slack's schema and declares exactly what the code registers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from adapters.slack import ACTIONS, COMMAND, EVENTS
from tests.conftest import shared_or_skip

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_validates_against_the_official_schema() -> None:
    schema = json.loads(
        shared_or_skip("slack-manifest-schema", "schemas", "manifest.schema.1.0.0.json").read_text()
    )
    jsonschema.Draft7Validator(schema).validate(_manifest())
    invalid = json.loads(
        shared_or_skip("slack-manifest-schema", "examples", "v1.manifest.invalid.json").read_text()
    )
    assert list(jsonschema.Draft7Validator(schema).iter_errors(invalid))  # the validator does reject


def test_the_manifest_matches_what_the_app_registers() -> None:
    manifest = _manifest()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {e.split(".")[0] for e in events} == set(EVENTS)
    assert {"message.im", "message.channels"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True and ACTIONS
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # the Web API methods the adapter calls, and the scope each needs
    needed = {"chat:write", "reactions:write", "commands", "files:write", "app_mentions:read", "im:history"}
    assert needed <= scopes


def test_the_manifest_declares_the_agent_view_slack_asks_of_new_apps() -> None:
    manifest = _manifest()
    features = manifest["features"]
    assert "assistant_view" not in features  # the legacy view: new apps use the agent view
    agent = features["agent_view"]
    assert 0 < len(agent["agent_description"]) <= 300
    assert 1 <= len(agent["suggested_prompts"]) <= 4
    assert all(set(p) == {"title", "message"} and p["message"] for p in agent["suggested_prompts"])
    assert features["app_home"]["messages_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "assistant:write",
        "chat:write",
        "im:history",
        "app_mentions:read",
        "im:read",
        "im:write",
    } <= scopes
    assert {"app_home_opened", "message.im", "app_mention"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
