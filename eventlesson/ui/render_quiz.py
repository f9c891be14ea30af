"""Pure rich renderables for the quiz: score table, answer key (and, from `render_question`, the
question header and feedback a lesson's checks share).

Every function returns a renderable and prints nothing. Content text is wrapped in `rich.text.Text`
so square brackets in a question are shown as written, never read as markup. Right and wrong are
said in words, not only in colour. Imports rich and the quiz core; never questionary or typer.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from eventlesson.models import Lesson, Question, letter
from eventlesson.quiz import Run
from eventlesson.ui import styles as S
from eventlesson.ui.render_question import inline, render_feedback, render_question

__all__ = [
    "render_all_right",
    "render_feedback",
    "render_key",
    "render_question",
    "render_score",
]


def render_score(
    run: Run,
    *,
    retry: bool = False,
    lesson: Lesson | None = None,
    plain: bool = False,
    rule: bool = True,
) -> RenderableType:
    """The end of a round: the score in words and a table of each question's result.

    `plain` (TERM=dumb): no rule and no table lines, one line per question. `rule`: a rule
    above it, parting it from the round printed before; not on a fresh screen whose header
    already ends in one (the lesson's).
    """
    if retry:
        headline = f"Retry: {run.score} of {run.total} right this time."
    else:
        headline = f"Score: {run.score} of {run.total}."
    if plain:
        lines: list[RenderableType] = [Text(headline, style=S.TITLE)]
        for number, result in enumerate(run.results, start=1):
            word = "right" if result.is_correct else "missed"
            line = Text(f"{number}. {word}: ").append_text(inline(result.question.prompt))
            if lesson is not None and not result.is_correct:
                line.append(f" (see: {lesson.section_title(result.question.section)})")
            lines.append(line)
        return Group(*lines)
    table = Table(box=box.SIMPLE_HEAD, header_style=S.TITLE, pad_edge=False, show_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Question", ratio=1, overflow="fold")
    table.add_column("Result", no_wrap=True)
    for number, result in enumerate(run.results, start=1):
        outcome = Text("right", style=S.GOOD) if result.is_correct else Text("missed", style=S.BAD)
        prompt = inline(result.question.prompt)
        if lesson is not None and not result.is_correct:
            prompt.append(f"\nsee: {lesson.section_title(result.question.section)}", style=S.MUTED)
        table.add_row(Text(str(number)), prompt, outcome)
    head = [Rule(style=S.MUTED)] if rule else []
    return Group(*head, Text(headline, style=S.TITLE), table)


def render_all_right(retries: int) -> RenderableType:
    """The closing line once every question has been answered right."""
    if retries == 0:
        return Text("All right on the first try.", style=S.GOOD)
    tries = "retry" if retries == 1 else "retries"
    return Text(f"All right now, after {retries} {tries}.", style=S.GOOD)


def render_key(lesson: Lesson, questions: Sequence[Question], set_name: str) -> RenderableType:
    """The answer key: every question, every option in authored order, each with its explanation."""
    parts: list[RenderableType] = [
        Text(
            f"Answer key: {lesson.title}, {set_name} ({len(questions)} questions)",
            style=S.TITLE,
        ),
    ]
    for number, question in enumerate(questions, start=1):
        # Plain lines rather than a rule title: a long id must wrap at 40 columns, not be cut.
        kind = ", predict what happens" if question.kind == "predict" else ""
        parts.append(Rule(style=S.MUTED))
        parts.append(inline(f"{number}. {question.prompt}", S.TITLE))
        section = lesson.section_title(question.section)
        parts.append(Text(f"id {question.id}{kind}; tests: {section}", style=S.MUTED))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for index, option in enumerate(question.options):
            line = inline(option.text)
            if question.is_correct(index):
                line.append("  (correct)", style=S.GOOD)
            grid.add_row(
                Text(f"{letter(index)})", style=S.KEY),
                Group(line, Padding(inline(option.explanation), (0, 0, 0, 2))),
            )
        parts.append(grid)
        parts.append(Text(f"Answer: {question.answer_letter}", style=S.GOOD))
    return Group(*parts)
