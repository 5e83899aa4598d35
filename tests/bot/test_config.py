from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_need_no_file() -> None:
    settings = load_settings()
    assert settings.home == Path(".backoffice")
    assert settings.effective_database_url == "sqlite:///.backoffice/backoffice.db"
    assert settings.llm.provider == "offline"
    assert settings.knowledge.embedding_model == "bundled"
    assert settings.agent.suggest_confidence is None  # the floor fitted with the gate


def test_yaml_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "backoffice.yaml"
    config.write_text(
        "home: /srv/bot\nlanguage: es\nknowledge:\n  top_k: 8\n  thesaurus: [[guardia, on call]]\n"
        "groups:\n  hr: ['slack:U1']\n"
    )
    monkeypatch.setenv("BACKOFFICE_HOME", "/data/bot")
    monkeypatch.setenv("BACKOFFICE_KNOWLEDGE__TOP_K", "3")
    settings = load_settings(config)
    assert settings.home == Path("/data/bot")  # environment wins over the file
    assert settings.language == "es"
    assert settings.knowledge.top_k == 3
    assert settings.knowledge.thesaurus == [["guardia", "on call"]]
    assert settings.groups == {"hr": ["slack:U1"]}


def test_secrets_come_from_files_under_the_environment_and_over_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docker and Kubernetes hand secrets over as files: one per setting, named like the variable."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "slack__bot_token").write_text("xoxb-from-a-file\n")
    (secrets / "slack__signing_secret").write_text("signing-from-a-file")
    (secrets / "teams__app_password").write_text("password-from-a-file")
    config = tmp_path / "backoffice.yaml"
    config.write_text("slack:\n  bot_token: xoxb-in-yaml\n  human_channel: CHUMAN\n")
    monkeypatch.setenv("BACKOFFICE_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("BACKOFFICE_SLACK__SIGNING_SECRET", "signing-from-the-environment")
    settings = load_settings(config)
    assert settings.slack.bot_token == "xoxb-from-a-file"  # the file wins over the YAML
    assert settings.slack.signing_secret == "signing-from-the-environment"  # the environment over both
    assert settings.teams.app_password == "password-from-a-file"
    assert settings.slack.human_channel == "CHUMAN"  # the rest of the YAML still applies


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("home: [unclosed", "cannot read config file"),
        ("- just\n- a list\n", "mapping"),
        ("knowledge:\n  top_k: many\n", "top_k"),
        ("unknown_key: 1\n", "unknown_key"),
        ("agent:\n  suggest_confidence: 1.5\n", "suggest_confidence"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "backoffice.yaml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)
