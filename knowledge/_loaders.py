"""Folder tree in, parsed documents out. A file that cannot be parsed is reported and skipped."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge._cleaning import strip_template_noise
from knowledge._documents import Document

ACCESS_FILE = ".access.yaml"
SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"})
MAX_FILE_BYTES = 50 * 1024 * 1024

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


class DocumentError(Exception):
    """A source file that cannot be turned into text; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    """A file found under the corpus root, hashed but not yet parsed."""

    path: str
    absolute: Path
    content_hash: str
    folder_audience: frozenset[str]


def scan_corpus(root: Path, exclude: Sequence[str] = ()) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Every supported file under `root` with its hash; unreadable access rules are reported."""
    if not root.is_dir():
        raise DocumentError(f"corpus folder not found: {root}")
    files: list[SourceFile] = []
    problems: list[tuple[str, str]] = []
    audiences: dict[Path, frozenset[str]] = {}
    for path in sorted(root.rglob("*")):
        rel_parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel_parts) or not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        rel = "/".join(rel_parts)
        if any(fnmatch.fnmatch(rel, pattern) for pattern in exclude):
            continue
        try:
            audience = _folder_audience(root, path.parent, audiences)
            raw = path.read_bytes()
        except (OSError, DocumentError) as exc:
            problems.append((rel, str(exc)))
            continue
        digest = hashlib.sha256(raw)
        digest.update(",".join(sorted(audience)).encode())
        files.append(SourceFile(rel, path, digest.hexdigest(), audience))
    return files, problems


def _folder_audience(root: Path, folder: Path, cache: dict[Path, frozenset[str]]) -> frozenset[str]:
    """The nearest `.access.yaml` at or above `folder` decides; none means public to employees."""
    if folder in cache:
        return cache[folder]
    rule = folder / ACCESS_FILE
    if rule.is_file():
        try:
            data = yaml.safe_load(rule.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise DocumentError(f"{rule.relative_to(root)} is not valid YAML: {exc}") from exc
        result = _audience_of(data, str(rule.relative_to(root)))
    elif folder == root or root not in folder.parents:
        result = frozenset()
    else:
        result = _folder_audience(root, folder.parent, cache)
    cache[folder] = result
    return result


def _audience_of(data: Any, where: str) -> frozenset[str]:
    if not isinstance(data, dict):
        raise DocumentError(f"{where}: expected a mapping with an `audience` list")
    audience = data.get("audience", [])
    if isinstance(audience, str):
        audience = [audience]
    if not isinstance(audience, list) or not all(isinstance(g, str) for g in audience):
        raise DocumentError(f"{where}: `audience` must be a list of group names")
    return frozenset(g.strip().lower() for g in audience if g.strip())


def load_document(source: SourceFile) -> Document:
    """Parse one file; raises DocumentError with a reason a person can act on."""
    if source.absolute.stat().st_size > MAX_FILE_BYTES:
        raise DocumentError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    parser = _PARSERS[source.absolute.suffix.lower()]
    try:
        title, text, meta = parser(source.absolute)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on broken files; all mean "cannot read"
        raise DocumentError(f"cannot be parsed ({type(exc).__name__}: {exc})") from exc
    audience = source.folder_audience
    if "audience" in meta:
        audience = _audience_of(meta, source.path)
    text = strip_template_noise(text).strip()
    if not text:
        raise DocumentError("has no text")
    title = title or _title_from_name(source.absolute)
    return Document(source.path, title.strip(), text, source.content_hash, audience)


def _title_from_name(path: Path) -> str:
    stem = path.stem if path.stem.lower() != "index" else path.parent.name or path.stem
    return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _parse_markdown(path: Path) -> tuple[str, str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise DocumentError(f"front matter is not valid YAML: {exc}") from exc
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[match.end() :]
    title = str(meta.get("title") or "")
    if not title:
        h1 = _H1.search(text)
        title = h1.group(1) if h1 else ""
    return title, text, meta


def _parse_text(path: Path) -> tuple[str, str, dict[str, Any]]:
    return "", path.read_text(encoding="utf-8"), {}


def _parse_html(path: Path) -> tuple[str, str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for block in soup.find_all(["p", "li", "tr", "div", "br"]):
        block.insert_after("\n")
    text = re.sub(r"\n\s*\n\s*", "\n\n", soup.get_text())
    return title, text, {}


def _parse_pdf(path: Path) -> tuple[str, str, dict[str, Any]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    # Page numbers become headings so that citations can point at a page.
    text = "\n\n".join(f"# p. {n}\n\n{body}" for n, body in enumerate(pages, 1) if body)
    metadata = reader.metadata
    title = str(metadata.get("/Title") or "") if metadata is not None else ""
    return title, text, {}


def _parse_docx(path: Path) -> tuple[str, str, dict[str, Any]]:
    import docx

    document = docx.Document(str(path))
    lines: list[str] = []
    title = document.core_properties.title or ""
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        content = paragraph.text.strip()
        if not content:
            continue
        if style == "Title":
            title = title or content
        elif style.startswith("Heading") and style[-1:].isdigit():
            lines.append(f"{'#' * min(int(style[-1]), 6)} {content}")
        else:
            lines.append(content)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return title, "\n\n".join(lines), {}


_PARSERS: dict[str, Callable[[Path], tuple[str, str, dict[str, Any]]]] = {
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".txt": _parse_text,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".docx": _parse_docx,
}
