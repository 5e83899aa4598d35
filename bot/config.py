"""Typed settings, read once at the edge (the CLI) from `backoffice.yaml` and `BACKOFFICE_*` variables.

Nothing below the CLI reads the environment: code takes the small value objects defined here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from knowledge import KnowledgeSettings

__all__ = [
    "AgentSettings",
    "ConfigError",
    "DigestSettings",
    "RateLimitSettings",
    "ServerSettings",
    "SlackSettings",
    "TeamsSettings",
    "LLMSettings",
    "Settings",
    "load_settings",
]

# Kept here rather than imported from bot.tools so that reading config never imports the tools.
DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "employee": ["*"],
    "time_off.decide": ["managers"],
    "norms.reindex": ["admins"],
    "status.read": ["admins"],
    "digest.read": ["managers", "admins"],
}


class ConfigError(Exception):
    """The configuration file or environment cannot be turned into settings."""


class LLMSettings(BaseModel):
    """Which language model drives the agent; `offline` needs no network."""

    provider: Literal["offline", "openai", "azure-openai", "ollama", "openai-like"] = "offline"
    model: str = ""
    base_url: str = ""
    api_key: str = ""
    api_version: str = ""
    deployment: str = ""  # Azure OpenAI deployment name
    context_window: int = 8192
    timeout_s: float = 60.0


class AgentSettings(BaseModel):
    """How the agent decides: the evidence it needs before answering, how long a proposal waits."""

    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)  # the fitted gate decides at 0.5
    # from this estimate up to `min_confidence` the closest passages are suggested; below it a person takes
    # over. None: the floor fitted with the gate.
    suggest_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    confirmation_ttl_minutes: int = Field(default=30, ge=1)
    history_turns: int = Field(default=4, ge=0, le=20)
    max_message_chars: int = Field(default=4000, ge=100)
    timezone: str = "Europe/Madrid"  # the company's clock: "today", "el viernes"


class DigestSettings(BaseModel):
    """When the weekly digest is posted and what counts as a stale case."""

    weekday: int = Field(default=0, ge=0, le=6)  # Monday
    time: str = Field(default="09:00", pattern=r"^\d{2}:\d{2}$")
    timezone: str = "Europe/Madrid"
    stale_after_days: int = Field(default=3, ge=1)


class SlackSettings(BaseModel):
    """Slack: Socket Mode (no public URL) or HTTP (events, commands and interactivity on one path)."""

    # auto: Socket Mode with an app token and no signing secret, HTTP with a signing secret and no app token
    mode: Literal["auto", "http", "socket"] = "auto"
    bot_token: str = ""  # xoxb-…
    signing_secret: str = ""  # HTTP mode
    app_token: str = ""  # xapp-…, Socket Mode
    human_channel: str = ""  # channel id where cases are posted for the human team
    digest_channel: str = ""  # channel id for the managers' weekly digest
    docs_url: str = ""  # where the norms can be browsed, for citation links
    # Slack's AI surface (status while working, streamed answers, native feedback, suggested prompts):
    # auto tries it and keeps to plain messages in a workspace that refuses it (no paid plan, no scope)
    agent_view: Literal["auto", "on", "off"] = "auto"
    api_url: str = "https://slack.com/api/"
    path: str = "/slack/events"

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token)


class TeamsSettings(BaseModel):
    """Microsoft Teams through the Bot Framework; without an app id it accepts unauthenticated local calls."""

    app_id: str = ""
    app_password: str = ""
    # certificate authentication instead of a password: the thumbprint and a PEM file with the private key
    certificate_thumbprint: str = ""
    certificate_key_file: str = ""
    tenant_id: str = ""
    app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "MultiTenant"
    enabled: bool = False
    human_team_channel: str = ""  # conversation id of the channel where cases are posted
    digest_channel: str = ""  # conversation id for the managers' weekly digest
    path: str = "/api/messages"


class ServerSettings(BaseModel):
    host: str = "0.0.0.0"
    port: int = Field(default=3978, ge=1, le=65535)
    outbox_interval_s: float = Field(default=5.0, gt=0)
    # How long a worker's claim on the outbox items it is sending lasts: a killed worker's items wait
    # this long before another worker sends them.
    outbox_lease_s: float = Field(default=60.0, gt=0)
    # json: one object a line with the turn's correlation id, for a log store; text: for a person reading
    log_format: Literal["json", "text"] = "json"
    # Turns a worker runs at once per adapter; the rest wait in arrival order. Turns share the CPU, so
    # running them all at once makes a burst's first askers wait as long as its last.
    max_turns_in_flight: int = Field(default=4, ge=1)
    # On SIGTERM a worker stops taking requests and gives the turns it already accepted this long to
    # finish and post their replies before it exits.
    drain_s: float = Field(default=30.0, ge=0)


class RateLimitSettings(BaseModel):
    """How many messages a user may send a minute, counted across every worker (0: no limit)."""

    per_minute: int = Field(default=20, ge=0)
    redis_prefix: str = "backoffice:ratelimit:"  # keys in Redis, when `redis_url` is set


class Settings(BaseSettings):
    """Everything the product can be told, with the embedded default for every value."""

    model_config = SettingsConfigDict(
        env_prefix="BACKOFFICE_",
        env_nested_delimiter="__",
        # Secret files (Docker or Kubernetes secrets): one file per setting, named like the variable
        # without its prefix (`slack__bot_token`), in BACKOFFICE_SECRETS_DIR (default /run/secrets).
        secrets_nested_delimiter="__",
        secrets_dir_missing="ok",
        extra="forbid",
    )

    home: Path = Path(".backoffice")
    database_url: str = ""
    language: Literal["es", "en"] = "en"
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    teams: TeamsSettings = Field(default_factory=TeamsSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    redis_url: str = ""  # redis://host:6379/0: rate limits counted there rather than in the database
    # group name -> user ids ("slack:U123", "teams:29:abc", "console:alice")
    groups: dict[str, list[str]] = Field(default_factory=dict)
    # permission -> groups that hold it ("*" is everyone); plugin tools name the permission they need
    permissions: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    # extra plugin tools: "package.module" (its TOOLS) or "package.module:attribute"
    plugins: list[str] = Field(default_factory=list)
    # options for plugin tools, by section, e.g. {"time_off": {"balance": {"vacation": 23, "personal": 3}}}
    tool_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init kwargs; the environment, then secret files, win over it.
        return (
            env_settings,
            NestedSecretsSettingsSource(file_secret_settings, secrets_prefix=""),
            init_settings,
        )

    @model_validator(mode="after")
    def _access_groups(self) -> Settings:
        """Access rules may only name groups this configuration knows, once it names any."""
        if self.groups and self.knowledge.access_groups is None:
            named = set(self.groups) | {g for gs in self.permissions.values() for g in gs if g != "*"}
            self.knowledge.access_groups = sorted(named)
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'backoffice.db'}"


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def secrets_dir() -> Path:
    """Where secret files are read from: BACKOFFICE_SECRETS_DIR, else /run/secrets (Docker's place)."""
    return Path(os.environ.get("BACKOFFICE_SECRETS_DIR") or "/run/secrets")


def load_settings(config_file: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build the settings from an optional YAML file, the environment, then explicit overrides."""
    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {config_file} must hold a mapping at the top level")
        data.update(loaded)
    try:
        settings = Settings(**data, _secrets_dir=secrets_dir())  # type: ignore[call-arg]
        if overrides:
            # model_validate skips the environment, so explicit overrides (flags, tests) win over it.
            settings = Settings.model_validate(_merge(settings.model_dump(), overrides))
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc
    return settings
