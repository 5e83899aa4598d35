"""`backoffice teams-package`: the zip to upload to Teams (manifest with the app id, and the two icons)."""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

ACCENT = (29, 79, 145)


def manifest(app_id: str, domain: str = "") -> dict[str, Any]:
    text = resources.files("adapters.teams").joinpath("app/manifest.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text.replace("{{APP_ID}}", app_id))
    if domain:
        data["validDomains"] = [domain]
    return data


def icons() -> dict[str, bytes]:
    """A 192×192 colour icon and a 32×32 transparent outline, as Teams requires."""
    color = Image.new("RGB", (192, 192), ACCENT)
    draw = ImageDraw.Draw(color)
    draw.rounded_rectangle((40, 56, 152, 136), radius=18, outline="white", width=10)
    draw.polygon([(70, 136), (70, 166), (100, 136)], fill="white")
    outline = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(outline).rounded_rectangle((4, 8, 28, 22), radius=4, outline=(255, 255, 255, 255), width=2)
    return {"color.png": _png(color), "outline.png": _png(outline)}


def write_package(target: Path, app_id: str, domain: str = "") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id, domain), indent=2, ensure_ascii=False))
        for name, data in icons().items():
            archive.writestr(name, data)
    return target


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
