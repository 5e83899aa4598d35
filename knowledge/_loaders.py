"""Folder tree in, parsed documents out. A file that cannot be parsed is reported and skipped."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
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
_TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm"})
# PDF and DOCX files carry images and layout besides their text: their files may be this much larger.
_BINARY_FACTOR = 10
_MIB = 1024 * 1024

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


@dataclass(frozen=True)
class CorpusRules:
    """What may be read from a corpus: the groups access rules may name, and how large a document may be."""

    known_groups: frozenset[str] | None = None  # None: any name (no groups are configured)
    max_document_mb: float = 5.0


def scan_corpus(
    root: Path, exclude: Sequence[str] = (), rules: CorpusRules | None = None
) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Every supported file under `root` with its hash, and the problems found (path, reason).

    Nothing outside `root` is read: links are resolved and those that leave it are skipped. A folder whose
    access rules cannot be understood is readable by nobody: none of its documents is indexed.
    """
    if not root.is_dir():
        raise DocumentError(f"corpus folder not found: {root}")
    rules = rules or CorpusRules()
    real_root = root.resolve()
    files: list[SourceFile] = []
    problems: dict[str, str] = {}
    audiences: dict[Path, frozenset[str] | None] = {}
    for path in _walk(root, problems, real_root):
        rel_parts = path.relative_to(root).parts
        rel = "/".join(rel_parts)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if any(fnmatch.fnmatch(rel, pattern) for pattern in exclude):
            continue
        if not _inside(path, real_root):
            problems[rel] = "a link to a file outside the norms folder: not read"
            continue
        audience = _folder_audience(root, path.parent, audiences, problems, rules)
        if audience is None:
            continue  # its folder's rules are broken: reported once, under the rules file
        try:
            raw = path.read_bytes() if _fits(path, rules) else b""
        except OSError as exc:
            problems[rel] = str(exc)
            continue
        digest = hashlib.sha256(raw or str(path.stat().st_size).encode())
        digest.update(",".join(sorted(audience)).encode())
        files.append(SourceFile(rel, path, digest.hexdigest(), audience))
    return files, sorted(problems.items())


def _walk(root: Path, problems: dict[str, str], real_root: Path) -> list[Path]:
    """Files under `root`, hidden ones left out; linked folders are not entered (they may loop or leave)."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in [d for d in dirs if not d.startswith(".")]:
            linked = here / name
            if linked.is_symlink() and not _inside(linked, real_root):
                problems["/".join(linked.relative_to(root).parts)] = (
                    "a link to a folder outside the norms folder: not read"
                )
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        found += [here / n for n in sorted(names) if not n.startswith(".") and (here / n).is_file()]
    return found


def _inside(path: Path, real_root: Path) -> bool:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return real == real_root or real_root in real.parents


def _fits(path: Path, rules: CorpusRules) -> bool:
    """Whether the file is small enough to read at all; the text's own size is checked after parsing."""
    factor = 1 if path.suffix.lower() in _TEXT_SUFFIXES else _BINARY_FACTOR
    return path.stat().st_size <= rules.max_document_mb * _MIB * factor


def _folder_audience(
    root: Path,
    folder: Path,
    cache: dict[Path, frozenset[str] | None],
    problems: dict[str, str],
    rules: CorpusRules,
) -> frozenset[str] | None:
    """The nearest `.access.yaml` at or above `folder` decides; none means public to employees, and a
    broken one (None) means nobody."""
    if folder in cache:
        return cache[folder]
    rule = folder / ACCESS_FILE
    result: frozenset[str] | None
    if rule.exists() or rule.is_symlink():
        where = "/".join(rule.relative_to(root).parts)
        try:
            if not _inside(rule, root.resolve()):
                raise DocumentError(f"{where}: a link outside the norms folder: not read")
            result = read_access_rules(rule.read_text(encoding="utf-8"), where, rules.known_groups)
        except (OSError, UnicodeDecodeError, DocumentError) as exc:
            reason = str(exc) if isinstance(exc, DocumentError) else f"{where}: {exc}"
            problems[where] = f"{reason}; the folder is readable by nobody until this is fixed"
            result = None
    elif folder == root or root not in folder.parents:
        result = frozenset()
    else:
        result = _folder_audience(root, folder.parent, cache, problems, rules)
    cache[folder] = result
    return result


def read_access_rules(text: str, where: str, known_groups: frozenset[str] | None) -> frozenset[str]:
    """The audience an `.access.yaml` names; anything it cannot mean for sure is an error with its line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise DocumentError(f"{where} is not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if node is None:
        raise DocumentError(f"{where}: empty; it must say `audience: [group, …]`")
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise DocumentError(f"{where}:{node.start_mark.line + 1}: expected `audience: [group, …]`")
    for key, _ in node.value:
        if key.value != "audience":
            line = key.start_mark.line + 1
            raise DocumentError(f"{where}:{line}: unknown key `{key.value}` (the only key is `audience`)")
    line = node.value[0][1].start_mark.line + 1 if node.value else 1
    return _audience_of(data, f"{where}:{line}", known_groups, required=True)


def _audience_of(
    data: dict[str, Any], where: str, known_groups: frozenset[str] | None, required: bool = False
) -> frozenset[str]:
    if "audience" not in data:
        if required:
            raise DocumentError(f"{where}: `audience` is missing")
        return frozenset()
    audience = data["audience"]
    if isinstance(audience, str):
        audience = [audience]
    if not isinstance(audience, list) or not all(isinstance(g, str) and g.strip() for g in audience):
        raise DocumentError(f"{where}: `audience` must be a list of group names")
    if not audience:
        raise DocumentError(f"{where}: `audience` is empty; remove the file to make the folder public")
    groups = frozenset(g.strip().lower() for g in audience)
    unknown = sorted(groups - known_groups) if known_groups is not None else []
    if unknown:
        raise DocumentError(f"{where}: unknown group {', '.join(unknown)} (not in the configured groups)")
    return groups


def load_document(source: SourceFile, rules: CorpusRules | None = None) -> Document:
    """Parse one file; raises DocumentError with a reason a person can act on."""
    rules = rules or CorpusRules()
    limit = f"{rules.max_document_mb:g} MiB (knowledge.max_document_mb)"
    if not _fits(source.absolute, rules):
        raise DocumentError(f"larger than {limit}: not indexed")
    parser = _PARSERS[source.absolute.suffix.lower()]
    try:
        title, text, meta = parser(source.absolute)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on broken files; all mean "cannot read"
        raise DocumentError(f"cannot be parsed ({type(exc).__name__}: {exc})") from exc
    if len(text) > rules.max_document_mb * _MIB:
        raise DocumentError(f"its text is larger than {limit}: not indexed")
    audience = source.folder_audience
    if "audience" in meta:
        audience = _audience_of(meta, f"{source.path} (front matter)", rules.known_groups)
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
