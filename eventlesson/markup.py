"""The Markdown subset of lesson prose: how it is split up, and what falls outside it.

Core module: standard library only (no rich, questionary or typer). `ui.prose` renders what this
module parses; `content check` reports what it cannot (`unsupported`), so prose never renders as
something other than what its author wrote. The subset is documented in content/FORMAT.md:
paragraphs, `#`-`###` headings, `-`/`*`/`+`/`1.` lists (one level), fenced code blocks, and inline
**bold**, *italic* (or _italic_), `code` and [links](https://...).
"""

from __future__ import annotations

import re

INLINE = re.compile(
    r"\*\*(?P<bold>[^*\n]+)\*\*"
    r"|`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|(?<![\w*])[*_](?P<em>[^*_\n]+)[*_](?![\w*])"
)
HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+(.*)$")
FENCE = "```"

Span = tuple[str, str, str]  # (kind: "", "bold", "code", "link" or "em"; its text; a link's url)


def spans(text: str) -> list[Span]:
    """One run of prose split into plain text and marked-up spans, markers removed."""
    out: list[Span] = []
    position = 0
    for match in INLINE.finditer(text):
        if match.start() > position:
            out.append(("", text[position : match.start()], ""))
        for kind in ("bold", "code", "label", "em"):
            if match.group(kind) is not None:
                url = match.group("url") if kind == "label" else ""
                out.append(("link" if kind == "label" else kind, match.group(kind), url or ""))
                break
        position = match.end()
    if position < len(text):
        out.append(("", text[position:], ""))
    return out


def plain(text: str) -> str:
    """The text a reader sees, markers removed (a link keeps its label)."""
    return "".join(span[1] for span in spans(text))


def paragraphs(text: str) -> list[list[str]]:
    """Blocks of lines separated by blank lines; a fenced code block is one block."""
    blocks: list[list[str]] = []
    current: list[str] = []
    fenced = False
    for line in text.strip("\n").split("\n"):
        if line.strip().startswith(FENCE):
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


def runs(lines: list[str]) -> list[tuple[str, list[str]]]:
    """A block split into runs of one kind: ("fence"|"heading"|"list"|"text", its lines)."""
    if lines and lines[0].strip().startswith(FENCE):
        return [("fence", lines)]
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        kind = "heading" if HEADING.match(line) else "list" if BULLET.match(line) else "text"
        if kind == "text" and found and found[-1][0] in ("list", "text"):
            found[-1][1].append(line)  # a paragraph line, or a list item's continuation
        elif kind == "list" and found and found[-1][0] == "list":
            found[-1][1].append(line)
        else:
            found.append((kind, [line]))
    return found


# What the subset does not have, as (pattern on one line, what it is). Checked outside fences.
_UNSUPPORTED = [
    (re.compile(r"^\s*>"), "a block quote (>)"),
    (re.compile(r"^\s*\|.*\|\s*$"), "a table (| ... |); use a table block"),
    (re.compile(r"!\[[^\]]*\]\("), "an image (![...](...))"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^>]*)?>"), "an HTML tag"),
    (re.compile(r"^#{4,}\s"), "a heading deeper than ###"),
    (re.compile(r"^\s*(-{3,}|\*{3,}|_{3,}|={3,})\s*$"), "a rule or an underlined heading"),
    (re.compile(r"^\s{2,}([-*+]|\d+[.)])\s"), "a nested list (the subset has one level)"),
    (re.compile(r"^ {4,}\S"), "an indented code block; use ``` fences"),
]


def unsupported(text: str) -> list[tuple[int, str]]:
    """(line number, what) for each line that uses Markdown outside the subset."""
    found: list[tuple[int, str]] = []
    fenced = False
    previous_blank = True
    in_list = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip().startswith(FENCE):
            fenced = not fenced
            continue
        if fenced:
            continue
        if not line.strip():
            previous_blank, in_list = True, False
            continue
        in_list = in_list or bool(BULLET.match(line))
        for pattern, what in _UNSUPPORTED:
            if pattern is _UNSUPPORTED[-1][0] and (in_list and not previous_blank):
                continue  # an indented continuation line of a list item is fine
            if pattern.search(line):
                found.append((number, f"unsupported Markdown: {what}"))
                break
        else:
            left = INLINE.sub("", line)
            if "**" in left or left.count("`") % 2:
                found.append((number, "unclosed ** or ` (bold or code)"))
        previous_blank = False
    if fenced:
        found.append((len(text.split("\n")), "a ``` code fence is never closed"))
    return found
