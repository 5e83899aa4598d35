"""Template noise out, text kept: Liquid/Jinja tags, mkdocs admonitions and tabs, inline HTML, icons."""

from __future__ import annotations

import re

_COMMENT_BLOCK = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_RAW_TAGS = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
# A tag whose arguments are what a reader sees: {% slack_channel "x" %} -> #x, {% page "/a/" %} -> /a/
_SLACK_TAG = re.compile(r"\{%-?\s*slack_channel\s+[\"']([^\"']+)[\"'][^%]*-?%\}")
_QUOTED_ARG_TAG = re.compile(r"\{%-?\s*(?:page|link|url)\s+[\"']([^\"']+)[\"'][^%]*-?%\}")
_ANY_TAG = re.compile(r"\{%-?.*?-?%\}", re.S)
_OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_ADMONITION = re.compile(r'^(\s*)(?:!!!|\?\?\?\+?)\s*[\w-]+(?:\s+"([^"]*)")?\s*$')
_TAB = re.compile(r'^(\s*)===\+?\s*"([^"]*)"\s*$')
_ICON = re.compile(r":(?:material|fontawesome|octicons|simple)-[\w-]+:(?:\{[^}]*\})?")
_HTML_TAG = re.compile(r"</?[a-zA-Z][\w-]*(?:\s[^<>]*)?/?>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


def strip_template_noise(text: str) -> str:
    text = _COMMENT_BLOCK.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _RAW_TAGS.sub("", text)
    text = _SLACK_TAG.sub(r"#\1", text)
    text = _QUOTED_ARG_TAG.sub(r"\1", text)
    text = _ANY_TAG.sub("", text)
    text = _OUTPUT.sub(_output_text, text)
    text = _ICON.sub("", text)
    text = _HTML_TAG.sub("", text)
    return _unwrap_blocks(text)


def _output_text(match: re.Match[str]) -> str:
    # {{ "text" | filter }} keeps the literal; a bare variable has nothing a reader would see.
    literal = re.match(r"[\"']([^\"']*)[\"']", match.group(1))
    return literal.group(1) if literal else ""


def _unwrap_blocks(text: str) -> str:
    """Admonition and tab markers become a plain title line and their indented body is dedented."""
    out: list[str] = []
    indent_stack: list[int] = []
    for line in text.split("\n"):
        stripped_len = len(line) - len(line.lstrip(" "))
        while indent_stack and line.strip() and stripped_len < indent_stack[-1]:
            indent_stack.pop()
        marker = _ADMONITION.match(line) or _TAB.match(line)
        if marker:
            base = len(marker.group(1))
            title = marker.group(2) or ""
            depth = base - 4 * len(indent_stack)
            out.append(" " * max(depth, 0) + title)
            indent_stack.append(base + 4)
            continue
        remove = 4 * len(indent_stack)
        out.append(line[remove:] if line[:remove].strip() == "" else line.lstrip())
    return "\n".join(out)
