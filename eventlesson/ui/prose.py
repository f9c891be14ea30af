"""Lesson prose: the small Markdown subset our content uses, rendered straight to rich Text.

Why not rich.markdown: importing it (and markdown-it) costs about 65 ms, a quarter of the time
to the first lesson page, for features the content never uses. This covers what it does use —
paragraphs, `#`-`###` headings, `-`/`*`/`1.` lists, **bold**, *italic*, `code` and
[links](url) — and shows anything else as the plain text it is. Pure: nothing is printed.
"""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventlesson.ui import styles as S

_INLINE = re.compile(
    r"\*\*(?P<bold>[^*\n]+)\*\*"
    r"|`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|(?<![\w*])[*_](?P<em>[^*_\n]+)[*_](?![\w*])"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+(.*)$")
_FENCE = "```"


def inline(text: str, style: str = "") -> Text:
    """One run of prose with its emphasis, code spans and links styled (markers removed)."""
    out = Text(style=style)
    position = 0
    for match in _INLINE.finditer(text):
        out.append(text[position : match.start()])
        if match.group("bold") is not None:
            out.append(match.group("bold"), style=S.STRONG)
        elif match.group("code") is not None:
            out.append(match.group("code"), style=S.CODE)
        elif match.group("label") is not None:
            out.append(match.group("label"))
            out.append(f" ({match.group('url')})", style=S.MUTED)
        else:
            out.append(match.group("em"), style=S.EMPHASIS)
        position = match.end()
    out.append(text[position:])
    return out


def _paragraphs(text: str) -> list[list[str]]:
    """Blocks of lines separated by blank lines; a fenced code block is one block."""
    blocks: list[list[str]] = []
    current: list[str] = []
    fenced = False
    for line in text.strip("\n").split("\n"):
        if line.strip().startswith(_FENCE):
            current.append(line)
            fenced = not fenced
            continue
        if not fenced and not line.strip():
            if current:
                blocks.append(current)
            current = []
            continue
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _list(lines: list[str]) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _BULLET.match(line)
        if match:
            marker = match.group(1)
            items.append(("•" if marker in "-*+" else marker, [match.group(2).strip()]))
        elif items:  # a continuation line of the previous item
            items[-1][1].append(line.strip())
    for marker, parts in items:
        grid.add_row(Text(" " + marker), inline(" ".join(parts)))
    return grid


def _runs(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split a block into runs of one kind: a heading line, a list, a paragraph."""
    runs: list[tuple[str, list[str]]] = []
    for line in lines:
        kind = "heading" if _HEADING.match(line) else "list" if _BULLET.match(line) else "text"
        if kind == "text" and runs and runs[-1][0] in ("list", "text"):
            runs[-1][1].append(line)  # a paragraph line, or a list item's continuation
        elif kind == "list" and runs and runs[-1][0] == "list":
            runs[-1][1].append(line)
        else:
            runs.append((kind, [line]))
    return runs


def _render(kind: str, lines: list[str]) -> RenderableType:
    if kind == "fence":
        code = [line for line in lines if not line.strip().startswith(_FENCE)]
        return Text("\n".join("    " + line for line in code), style=S.CODE)
    if kind == "heading":
        match = _HEADING.match(lines[0])
        assert match is not None
        level = len(match.group(1))
        return inline(match.group(2).strip(), style=S.HEADING if level == 1 else S.STRONG)
    if kind == "list":
        return _list(lines)
    return inline(" ".join(line.strip() for line in lines))


def prose(text: str) -> RenderableType:
    """A piece of lesson Markdown as renderables, one blank line between blocks."""
    parts: list[RenderableType] = []
    for lines in _paragraphs(text):
        fenced = lines[0].strip().startswith(_FENCE)
        for kind, run in [("fence", lines)] if fenced else _runs(lines):
            if parts:
                parts.append(Text(""))
            parts.append(_render(kind, run))
    return Group(*parts)
