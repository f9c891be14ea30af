"""Lesson prose: the Markdown subset of content/FORMAT.md, rendered straight to rich Text.

Why not rich.markdown: importing it (and markdown-it) costs about 65 ms, a quarter of the time
to the first lesson page, for features the content never uses. `eventlesson.markup` parses the
subset (and `content check` reports anything outside it); this module only renders it. Pure:
nothing is printed.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventlesson.markup import BULLET, FENCE, HEADING, paragraphs, runs, spans
from eventlesson.ui import styles as S

STYLES = {"": "", "bold": S.STRONG, "code": S.CODE, "em": S.EMPHASIS}  # by span kind


def inline(text: str, style: str = "") -> Text:
    """One run of prose with its emphasis, code spans and links styled (markers removed).

    The one inline-markup function: lesson pages, checks and the quiz all show text through it.
    """
    out = Text(style=style)
    for kind, part, url in spans(text):
        if kind == "link":
            out.append(part)
            out.append(f" ({url})", style=S.MUTED)
        else:
            out.append(part, style=STYLES[kind])
    return out


def _list(lines: list[str]) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        match = BULLET.match(line)
        if match:
            marker = match.group(1)
            items.append(("•" if marker in "-*+" else marker, [match.group(2).strip()]))
        elif items:  # a continuation line of the previous item
            items[-1][1].append(line.strip())
    for marker, parts in items:
        grid.add_row(Text(" " + marker), inline(" ".join(parts)))
    return grid


def _render(kind: str, lines: list[str]) -> RenderableType:
    if kind == "fence":
        code = [line for line in lines if not line.strip().startswith(FENCE)]
        return Text("\n".join("    " + line for line in code), style=S.CODE)
    if kind == "heading":
        match = HEADING.match(lines[0])
        assert match is not None
        level = len(match.group(1))
        return inline(match.group(2).strip(), style=S.HEADING if level == 1 else S.STRONG)
    if kind == "list":
        return _list(lines)
    return inline(" ".join(line.strip() for line in lines))


def prose(text: str) -> RenderableType:
    """A piece of lesson Markdown as renderables, one blank line between blocks."""
    parts: list[RenderableType] = []
    for lines in paragraphs(text):
        for kind, run in runs(lines):
            if parts:
                parts.append(Text(""))
            parts.append(_render(kind, run))
    return Group(*parts)
