"""Which Slack transport the configuration asks for: Socket Mode needs the app-level token, HTTP the
signing secret. Following the README (manifest with Socket Mode on, bot and app tokens set) must give
Socket Mode, not an HTTP endpoint nobody calls."""

from __future__ import annotations

from typing import Literal

from bot.config import ConfigError, SlackSettings

Mode = Literal["http", "socket"]


def slack_mode(settings: SlackSettings) -> Mode:
    """The transport to run, or ConfigError with what to change when the settings contradict each other."""
    has_app_token, has_secret = bool(settings.app_token), bool(settings.signing_secret)
    if settings.mode == "socket" and not has_app_token:
        raise ConfigError("slack.mode is 'socket' but slack.app_token (xapp-…) is not set")
    if settings.mode == "http" and not has_secret:
        raise ConfigError(
            "slack.mode is 'http' but slack.signing_secret is not set: requests could not be verified"
        )
    if settings.mode != "auto":
        return settings.mode
    if has_app_token and not has_secret:
        return "socket"
    if has_secret and not has_app_token:
        return "http"
    if has_secret:
        raise ConfigError(
            "both slack.app_token (Socket Mode) and slack.signing_secret (HTTP) are set: "
            "choose one with slack.mode: socket or http"
        )
    raise ConfigError("set slack.app_token (xapp-…) for Socket Mode or slack.signing_secret for HTTP mode")
