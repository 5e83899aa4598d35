"""The deployment files, read as Docker would: two workers on one database and one snapshot volume, the
schema upgraded once before them, and every setting they are given one the product knows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
WORKERS = ("worker-1", "worker-2")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def _resolved(value: str) -> str:
    """`${NAME:-default}` as compose resolves it in an empty shell."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _is_setting(variable: str) -> bool:
    model: type[BaseModel] = Settings
    *parents, leaf = variable.removeprefix("BACKOFFICE_").lower().split("__")
    for name in parents:
        field = model.model_fields.get(name)
        if (
            field is None
            or not isinstance(field.annotation, type)
            or not issubclass(field.annotation, BaseModel)
        ):
            return False
        model = field.annotation
    return leaf in model.model_fields


def test_the_workers_share_the_database_and_the_snapshot_volume() -> None:
    services = _compose()["services"]
    environments = [services[w]["environment"] for w in WORKERS]
    assert environments[0] == environments[1]
    env = environments[0]
    assert _resolved(env["BACKOFFICE_DATABASE_URL"]) == (
        "postgresql+psycopg://backoffice:backoffice@postgres:5432/backoffice"
    )
    assert env["BACKOFFICE_KNOWLEDGE__SNAPSHOT_DIR"] == "/snapshots"
    for worker in WORKERS:
        assert "snapshots:/snapshots" in services[worker]["volumes"]
        assert services[worker]["hostname"] == worker  # distinct names in leases and claims
    assert "snapshots" in _compose()["volumes"]
    assert services["worker-1"]["ports"] != services["worker-2"]["ports"]


def test_the_schema_is_upgraded_once_before_the_workers_start() -> None:
    services = _compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["backoffice", "db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert _resolved(migrate["environment"]["BACKOFFICE_DATABASE_URL"]) == _resolved(
        services["worker-1"]["environment"]["BACKOFFICE_DATABASE_URL"]
    )
    for worker in WORKERS:
        assert services[worker]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["redis"]["profiles"] == ["redis"]  # optional
    assert all("profiles" not in services[name] for name in ("postgres", "migrate", *WORKERS))


def test_every_variable_given_to_a_worker_is_a_setting_and_takes_effect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _compose()["services"]["worker-1"]["environment"]
    assert [name for name in env if not _is_setting(name)] == []
    for name, value in env.items():
        if value is not None:  # a bare name passes the shell's value on, or nothing
            monkeypatch.setenv(name, _resolved(value))
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg://backoffice:")
    assert settings.knowledge.snapshot_dir == Path("/snapshots") and settings.redis_url == ""


def test_the_image_installs_cpu_torch_first_and_serves_as_a_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    steps = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]
    assert steps[0] == "FROM python:3.11-slim"
    torch = next(i for i, s in enumerate(steps) if "download.pytorch.org/whl/cpu" in s)
    project = next(i for i, s in enumerate(steps) if s.startswith("RUN pip install ."))
    assert torch < project and '"torch==${TORCH_VERSION}"' in steps[torch]
    assert "ARG TORCH_VERSION=2.13.0" in steps
    user = next(s for s in steps if s.startswith("USER "))
    assert user != "USER root" and steps.index(user) > project
    assert "HF_HUB_OFFLINE=1" in dockerfile and "/healthz" in next(s for s in steps if "CMD [" in s)
    assert steps[-1] == 'CMD ["backoffice", "serve"]'
    # The context holds the package and its metadata only: no .venv, data directory or .git.
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    kept = {line for line in ignored if line.startswith("!")}
    assert "*" in ignored and kept == {"!pyproject.toml", "!README.md", "!bot/", "!knowledge/", "!adapters/"}
