"""The command line: the composition root, the one place that wires the adapters to the core.

One module per group of commands; each adds its commands to the app in `register`.
"""

from __future__ import annotations

import typer

from bot.cli import _audit, _chat, _db, _digest, _knowledge, _serve

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Backoffice Bot: norms, actions, people.")
for _group in (_knowledge, _chat, _digest, _serve, _db, _audit):
    _group.register(app)


def main() -> None:
    app()
