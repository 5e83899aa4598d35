"""The platform-neutral core of Backoffice Bot: configuration, command line, and (soon) the agent."""

__all__: list[str] = []
