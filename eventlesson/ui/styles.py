"""The one palette: every style the program uses, by name.

Render functions use the constants (concrete style strings, so a renderable looks the same on any
Console, themed or not); console markup uses the same names (`[muted]…[/]`) through the theme that
`eventlesson.ui.console` builds from `PALETTE`. Colour is never the only signal: every state also
has a word or a symbol. Imports nothing.
"""

from __future__ import annotations

PALETTE: dict[str, str] = {
    "title": "bold",  # page, section and summary titles
    "strong": "bold",  # emphasis: **bold** prose, panel titles, a table's header
    "emphasis": "italic",  # *emphasised* prose
    "heading": "bold underline",  # a top-level heading inside prose
    "muted": "dim",  # secondary text: positions, captions, hints, rules
    "key": "bold cyan",  # keys to press, letters of options, commands to type
    "code": "bold cyan",  # `inline code` and code blocks (bold still marks it without colour)
    "good": "bold green",  # right, holds, done
    "bad": "bold red",  # wrong, broken, failed
    "warn": "yellow",  # waiting, retrying, warnings
    "accent": "cyan",  # callouts, numbering, links
    "event": "magenta",  # event names and the simulation's panels
}

TITLE = PALETTE["title"]
STRONG = PALETTE["strong"]
EMPHASIS = PALETTE["emphasis"]
HEADING = PALETTE["heading"]
MUTED = PALETTE["muted"]
KEY = PALETTE["key"]
CODE = PALETTE["code"]
GOOD = PALETTE["good"]
BAD = PALETTE["bad"]
WARN = PALETTE["warn"]
ACCENT = PALETTE["accent"]
EVENT = PALETTE["event"]
