from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
from PIL import Image
from typer.testing import CliRunner

from adapters.teams import COMMAND_NAMES
from adapters.teams.package import manifest
from bot.cli import app
from tests.conftest import shared_or_skip

APP_ID = "6f0c8a4e-2b1d-4c3e-9f7a-0e5d4c3b2a19"


def test_the_manifest_validates_against_the_teams_schema_and_lists_our_commands() -> None:
    schema = json.loads(
        shared_or_skip("teams-manifest-schema", "v1.30", "MicrosoftTeams.schema.json").read_text()
    )
    data = manifest(APP_ID, "bot.example.org")
    jsonschema.Draft4Validator(schema).validate(data)
    (bot,) = data["bots"]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert [c["title"] for c in bot["commandLists"][0]["commands"]] == list(COMMAND_NAMES)
    # draft-04 has no "const": the schema's pinned version is checked by hand
    assert data["manifestVersion"] == schema["properties"]["manifestVersion"]["const"]
    broken = {key: value for key, value in data.items() if key != "accentColor"}
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_teams_package_writes_the_zip_with_icons_of_the_required_sizes(tmp_path: Path) -> None:
    target = tmp_path / "pkg.zip"
    result = CliRunner().invoke(
        app, ["teams-package", "--output", str(target)], env={"BACKOFFICE_TEAMS__APP_ID": APP_ID}
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID
        assert Image.open(io.BytesIO(archive.read("color.png"))).size == (192, 192)
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
        assert outline.size == (32, 32) and outline.mode == "RGBA"


def test_without_an_app_id_the_package_is_refused() -> None:
    result = CliRunner().invoke(app, ["teams-package"])
    assert result.exit_code == 2 and "app id" in result.stderr
