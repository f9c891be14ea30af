"""Concrete style strings the render functions use, so they render on any Console (no theme needed).

Colour is never the only signal: every state also has a word or a symbol.
"""

from __future__ import annotations

TITLE = "bold"
MUTED = "dim"
KEY = "bold cyan"
GOOD = "bold green"
BAD = "bold red"
WARN = "yellow"
ACCENT = "cyan"
EVENT = "magenta"
