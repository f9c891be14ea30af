"""Make untrusted text safe to show on a terminal: no control codes, no bidi tricks.

Core module: standard library only (no rich, questionary or typer). Text that comes from files
(lesson content, progress.json, trace files) or from the command line passes through `clean()`
before it can reach a terminal, so an ESC or a C1 control in a file cannot change the window
title, write the clipboard (OSC 52), hide a hyperlink or clear the screen. Also the few small
wording helpers core and views share (`counted`), so neither copies them.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, the C1 range (U+0080-U+009F, which includes the
# one-character CSI U+009B), the bidirectional overrides and isolates that can make a line
# read differently from what it contains (U+202A-U+202E, U+2066-U+2069), and lone surrogates
# (bytes that were not UTF-8 in a path or argument: written with surrogateescape they would
# reach the terminal as the raw bytes, 0x9B included).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters in `text`, each once, as `U+XXXX` names (for error reports)."""
    seen: dict[str, None] = {}
    for match in _UNSAFE.finditer(text):
        seen.setdefault(f"U+{ord(match.group()):04X}", None)
    return list(seen)


def has_unsafe(text: str) -> bool:
    """Whether `text` holds a control or bidi character that `clean()` would replace."""
    return _UNSAFE.search(text) is not None


def clean(text: str) -> str:
    """`text` with every unsafe character replaced by U+FFFD; newline and tab are kept."""
    return _UNSAFE.sub("\ufffd", text)


def quoted(text: str, limit: int = 80) -> str:
    """`text` cleaned, shortened to `limit` characters and in single quotes, for error lines."""
    safe = clean(text).replace("\n", " ").replace("\t", " ")
    if len(safe) > limit:
        safe = safe[: limit - 1] + "…"
    return f"'{safe}'"


def json_text(data: object, *, indent: int | None = None) -> str:
    """`data` as JSON that keeps readable text readable but escapes every unsafe character.

    The same document to any JSON parser (U+009B is written as the escape \\u009b, U+202E as
    \\u202e); nothing in it a terminal would act on when the JSON is printed.
    """
    import json  # only the --json outputs need it: not imported at start-up

    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def quoted_path(path: object) -> str:
    """A file name for an error line: like `quoted`, but long paths are kept whole."""
    return quoted(str(path), limit=1000)


def hanging(line: str, width: int, indent: int) -> str:
    """`line` for a terminal `width` wide: broken at words (never mid-word, as the terminal
    would), each line after the first `indent` columns in, or 2 where that would leave fewer than
    30 columns; a word longer than a line (a path) is left whole for the terminal to fold."""
    if len(line) <= width:
        return line
    import textwrap

    return "\n".join(
        textwrap.wrap(
            line,
            width,
            subsequent_indent=" " * (indent if width - indent >= 30 else 2),
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def counted(number: int, noun: str) -> str:
    """ "1 question", "12 questions": a count and its noun, plural unless one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
