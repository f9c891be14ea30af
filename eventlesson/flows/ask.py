"""Asking one single-choice question: the same for a lesson's practice check and for the quiz.

The header and the prompt go to the console, the options to the prompter. The arrow-key picker
gives every option one line: when it must cut one, the options are listed in full above it. The
line prompter (TERM=dumb) lists every option in full itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlesson.ui.prompts import fit_choices

if TYPE_CHECKING:
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
    from eventlesson.ui.render_question import plain, render_question

    texts = [plain(text) for text in shown.choices]
    choices = texts if app.dumb else fit_choices(texts, app.console.width, ASK)
    app.console.print()
    app.console.print(
        render_question(
            number,
            total,
            shown.question,
            retry=retry,
            practice=practice,
            options=shown.options if choices != texts else None,
            plain=app.dumb,
        )
    )
    footer = leave_footer(len(choices)) if leave and not app.dumb else ""  # dumb: the prompt says
    return prompter.select(ASK, choices, hint=HINT, footer=footer, leave=leave)


def leave_footer(count: int) -> str:
    """The key line under a question that may be left: how to answer, how to leave."""
    last = chr(ord("A") + count - 1)
    return f"A-{last} or arrows+Enter answer   Esc/q leave (answers so far are kept)"
