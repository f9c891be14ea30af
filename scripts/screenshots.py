"""Regenerate the README's pictures from the tool's own render functions (rich's SVG export).

Usage: python scripts/screenshots.py [OUT_DIR]   (default docs/img; --help says so)

Each picture is a real screen at 80 columns: a lesson page as the pager draws it, the end of a
quiz run, and the final frame of a seeded `simulate` run (via its own `--svg` option).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console, Group
from rich.text import Text

from eventlesson.content import load_lesson
from eventlesson.lesson import LessonSession
from eventlesson.progress import LessonProgress
from eventlesson.quiz import grade_answers, parse_answers, questions_for
from eventlesson.ui import render_lesson as view
from eventlesson.ui import render_quiz
from eventlesson.ui.console import THEME

REPO = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 80, 24


def recorder() -> Console:
    """A console that only records (for save_svg); what it prints goes nowhere."""
    return Console(
        record=True,
        width=WIDTH,
        force_terminal=True,
        color_system="truecolor",
        theme=THEME,
        file=io.StringIO(),
    )


def lesson_page(out: Path) -> None:
    """Page 7 of the lesson, cut to one 80x24 screen exactly as the pager shows it."""
    lesson = load_lesson("day-089")
    session = LessonSession.start(lesson, LessonProgress())
    session.jump("concept-2")
    scratch = recorder()
    head = scratch.render_lines(view.header(lesson, session.section, session.position), pad=False)
    keys = [("Enter", "more"), ("b", "back"), ("m", "menu"), ("s", "simulate"), ("q", "quit")]
    foot = scratch.render_lines(view.footer(keys, "space/arrows scroll"), pad=False)
    body = scratch.render_lines(view.body(lesson, session.section), pad=False)
    skip = 4  # start just above the fan-out tree, the page's picture
    room = HEIGHT - len(head) - len(foot)
    console = recorder()
    for line in [*head, *body[skip : skip + room], *foot]:
        console.print(Text.assemble(*((seg.text, seg.style) for seg in line)), soft_wrap=True)
    console.save_svg(str(out / "learn.svg"), title="eventlesson learn")


def quiz_result(out: Path) -> None:
    """The feedback on a missed question and the score table of a knowledge-check run."""
    lesson = load_lesson("day-089")
    questions = questions_for(lesson, "knowledge-check")
    run = grade_answers(lesson.id, "knowledge-check", questions, parse_answers("A,B,A", questions))
    console = recorder()
    missed = run.results[1]
    console.print(
        Group(
            render_quiz.render_question(2, run.total, missed.question),
            render_quiz.render_feedback(missed, lesson=lesson),
            Text(""),
            render_quiz.render_score(run, lesson=lesson),
        )
    )
    console.save_svg(str(out / "quiz.svg"), title="eventlesson quiz")


def simulation(out: Path) -> None:
    """The last frame of a seeded publish-before-commit run: ghost events on screen."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "eventlesson",
            "simulate",
            "publish-before-commit",
            "--seed",
            "7",
            "--purchases",
            "12",
            "--fast",
            "--svg",
            str(out / "simulate.svg"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=REPO,
    )


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: one optional folder; --help, or an unknown option, is not a folder."""
    parser = argparse.ArgumentParser(
        prog="screenshots.py",
        description="Regenerate the README's pictures (SVG, 80x24) from the tool's own screens.",
    )
    parser.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=REPO / "docs" / "img",
        metavar="OUT_DIR",
        help="folder to write learn.svg, quiz.svg and simulate.svg into (default: docs/img)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    out: Path = arguments(argv).out
    out.mkdir(parents=True, exist_ok=True)
    lesson_page(out)
    quiz_result(out)
    simulation(out)
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.svg')))} to {out}")


if __name__ == "__main__":
    main()
