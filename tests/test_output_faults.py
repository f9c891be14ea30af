"""Output under faults (issue 14): what the program says about saving, files it must not overwrite,
closed and full outputs, hostile text in messages, encodings that cannot draw boxes.
"""

from __future__ import annotations

import io
from pathlib import Path

from eventlesson.app import App
from eventlesson.environment import Environment
from eventlesson.flows.quiz import run_quiz
from eventlesson.ui.console import make_console
from eventlesson.ui.prompts import ScriptedPrompter

from .support import FIXTURE_COURSE


def app_in(home: Path, prompter: ScriptedPrompter) -> tuple[App, io.StringIO]:
    errors = io.StringIO()
    app = App(
        console=make_console(io.StringIO(), width=80),
        err=make_console(errors, width=80),
        stdin_tty=True,
        stdout_tty=True,
        env=Environment(home=home, content_dir=str(FIXTURE_COURSE)),
        prompter_override=prompter,
    )
    return app, errors


# -- "Your progress is saved" only when it is ----------------------------------------------------


def test_stopping_where_nothing_can_be_saved_does_not_say_it_was(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app, errors = app_in(blocker / "home", ScriptedPrompter([]))  # Ctrl-D at the first question
    assert run_quiz(app, "mini", set_name="knowledge-check") == 130
    said = errors.getvalue()
    assert "Your progress is saved" not in said
    assert "Stopped. Your progress could not be saved." in said
    assert said.count("progress will not be kept") == 1  # the store's warning, once


def test_stopping_where_progress_is_kept_says_so(tmp_path: Path) -> None:
    app, errors = app_in(tmp_path / "home", ScriptedPrompter([]))
    assert run_quiz(app, "mini", set_name="knowledge-check") == 130
    assert "Stopped. Your progress is saved." in errors.getvalue()
    assert (tmp_path / "home" / "progress.json").exists()
