"""One module per command: typer signatures whose bodies import their flows lazily.

These modules (and cli.py) deliberately avoid `from __future__ import annotations`: typer would
then have to eval every annotation string on each start, which doubled the cost of `--help`.
"""

from typing import Annotated

import typer

# The optional LESSON argument that learn, quiz and progress share.
LessonArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[LESSON]",
        help="Lesson id, e.g. day-089 (default: the one content/course.toml names).",
    ),
]
