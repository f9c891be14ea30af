"""Asking one single-choice question: the same for a lesson's practice check and for the quiz.

The header and the prompt go to the console, the options to the prompter. The arrow-key picker
gives every option one line: when it must cut one, the options are listed in full above it. The
line prompter (TERM=dumb) lists every option in full itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

    from eventlesson.app import App
    from eventlesson.quiz import Shown
    from eventlesson.ui.prompts import Prompter

ASK = "Your answer"
HINT = "(arrows+Enter or letter)"


def ask(
    app: App,
    prompter: Prompter,
    shown: Shown,
    *,
    number: int,
    total: int,
    retry: bool = False,
    practice: bool = False,
    leave: bool = False,
) -> int:
    """Show question `number` of `total` and return the display index of the option picked.

    `leave`: Esc or q may leave the question (`Left` is raised), and a key line under the
    choices says so.
    """
    question, choices, footer = _parts(
        app, shown, number=number, total=total, retry=retry, practice=practice, leave=leave
    )
    app.console.print()
    app.console.print(question)
    return prompter.select(ASK, choices, hint=HINT, footer=footer, leave=leave)


def height(
    app: App,
    shown: Shown,
    *,
    number: int,
    total: int,
    retry: bool = False,
    practice: bool = False,
    leave: bool = False,
) -> int:
    """The rows `ask` takes with the same arguments, up to the arrow-key picker's key line (so a
    caller can tell whether what it prints above will stay on screen)."""
    question, choices, footer = _parts(
        app, shown, number=number, total=total, retry=retry, practice=practice, leave=leave
    )
    console = app.console
    width = console.width
    rows = 1 + len(console.render_lines(question, console.options, pad=False))  # a blank first
    rows += 1 + sum(len(c.split("\n")) for c in choices)  # "? Your answer", then the choices
    return rows + (-(-len(footer) // width) if footer else 0)


def _parts(
    app: App,
    shown: Shown,
    *,
    number: int,
    total: int,
    retry: bool,
    practice: bool,
    leave: bool,
) -> tuple[RenderableType, list[str], str]:
    """The question as printed above the picker, the picker's choices, and its key line."""
    # imported here, not at the top: `quiz --answers` imports this module but asks nothing
    from eventlesson.ui.prompts import fit_choices
    from eventlesson.ui.render_question import plain, render_question

    texts = [plain(text) for text in shown.choices]
    choices = texts if app.dumb else fit_choices(texts, app.console.width, ASK)
    question = render_question(
        number,
        total,
        shown.question,
        retry=retry,
        practice=practice,
        options=shown.options if choices != texts else None,
        plain=app.dumb,
    )
    footer = ""
    if leave and not app.dumb:  # dumb: the prompt says
        footer = leave_footer(len(choices), app.console.width)
    return question, choices, footer


def leave_footer(count: int, width: int = 80) -> str:
    """The key line under a question that may be left: how to answer, how to leave (shorter
    where the whole of it would take two rows)."""
    from eventlesson.schema import letter

    last = letter(count - 1)
    said = f"A-{last} or arrows+Enter answer   Esc/q leave (answers so far are kept)"
    return said if len(said) < width else f"A-{last} or arrows answer · Esc/q leave"
