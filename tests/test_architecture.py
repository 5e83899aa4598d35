"""The core stays platform-neutral and reads no environment: adapters and the CLI are the only edges."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "bot" / "cli"  # the command line: the composition root
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "microsoft_agents")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _sources(*packages: str) -> list[Path]:
    files = [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]
    assert files, "no sources found: the test would pass vacuously"
    return files


def test_core_imports_no_platform_sdk() -> None:
    for path in _sources("bot", "knowledge"):
        leaked = {name for name in _imports(path) if name.split(".")[0] in PLATFORM_SDKS}
        assert not leaked, f"{path.relative_to(ROOT)} imports {leaked}"


def test_only_the_edges_touch_the_environment() -> None:
    for path in _sources("bot", "knowledge", "adapters"):
        if path.name == "config.py" or CLI in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "os.getenv" not in text, path.relative_to(ROOT)


def test_only_the_command_line_reaches_into_the_adapters() -> None:
    """The CLI is the composition root (`serve` starts the adapters); the rest of the core never does."""
    for path in _sources("bot"):
        uses = {name for name in _imports(path) if name.split(".")[0] == "adapters"}
        assert not uses or CLI in path.parents, f"{path.relative_to(ROOT)} imports {uses}"
