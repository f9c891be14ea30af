"""How any single-choice question looks: a lesson's practice check and the quiz alike.

One header (the number, the prompt, the options in full when the picker must cut them) and one
feedback renderer (right or wrong in words, why, the right answer). Pure: returns renderables,
prints nothing. Content text goes through `Text`, never rich markup; its inline Markdown (code
spans, bold, links) through the one `ui.prose.inline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from eventlesson import markup
from eventlesson.models import Lesson, Option, Question, letter
from eventlesson.ui import styles as S
from eventlesson.ui.prose import inline

if TYPE_CHECKING:
    from eventlesson.quiz import Result

INDENT = 3  # how far explanations sit under the line they explain
RIGHT = "Right."
WRONG = "Not quite."


def plain(text: str) -> str:
    """The same text for a prompt that shows no styles: markup markers removed."""
    return markup.plain(text)


def verdict(correct: bool) -> Text:
    """Right or wrong in words, not only colour."""
    return Text(RIGHT if correct else WRONG, style=S.GOOD if correct else S.BAD)


def options_list(options: Sequence[Option]) -> RenderableType:
    """Options in full, lettered in the order given, wrapped under their own text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for index, option in enumerate(options):
        grid.add_row(Text(f"{letter(index)})", style=S.KEY), inline(option.text))
    return Padding(grid, (0, 0, 0, 1))


def render_question(
    number: int,
    total: int,
    question: Question,
    *,
    retry: bool = False,
    practice: bool = False,
    options: Sequence[Option] | None = None,
    plain: bool = False,
) -> RenderableType:
    """The header above one question: "Question 2 of 3" (or "Retry 1 of 2") and the prompt.

    `practice` marks a lesson's check ("Practice · Question 1 of 8"). With `options` (in display
    order) it also lists them in full, because the arrow-key picker gives each option one line
    and had to cut one short. A question's context line comes before its prompt. `plain`: the
    label is a line of text, not a rule (TERM=dumb: no line-drawing characters).
    """
    label = f"{'Retry' if retry else 'Question'} {number} of {total}"
    if practice:
        label = f"Practice · {label}"
    title = Text(label, style=S.TITLE)
    parts: list[RenderableType] = [title if plain else Rule(title, style=S.MUTED)]
    if question.kind == "predict":  # its own line: a rule title is cut short, not wrapped
        parts.append(Text("Predict what happens.", style=S.MUTED))
    if question.context:
        parts.append(inline(question.context))
    parts.append(inline(question.prompt, S.TITLE))
    if options:
        parts.append(options_list(options))
    return Group(*parts)


def hang(marker: str | Text, content: RenderableType, indent: int = 0) -> RenderableType:
    """`marker` then `content`, whose wrapped lines hang under its own start, not the marker."""
    return Padding(_Hang(marker, content), (0, 0, 0, indent)) if indent else _Hang(marker, content)


class _Hang:
    """A marker with its content beside it; on a narrow screen, where a long marker would leave the
    content a sliver, the content goes on the next lines, indented deeper than an explanation."""

    def __init__(self, marker: str | Text, content: RenderableType) -> None:
        self.marker = marker if isinstance(marker, Text) else Text(marker, style=S.ACCENT)
        self.content = content

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.marker.cell_len + 1 > options.max_width * 2 // 5:
            yield self.marker
            yield Padding(self.content, (0, 0, 0, INDENT + 2))
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(self.marker, self.content)
        yield grid


def _indented(text: str) -> Padding:
    return Padding(inline(text), (0, 0, 0, INDENT), expand=False)


def render_feedback(result: Result, *, lesson: Lesson | None = None) -> RenderableType:
    """After an answer: right or wrong in words, why, and when wrong the right option and why.

    Letters are the ones the learner saw (display order). An explanation shared by the chosen and
    the right option is shown once. With `lesson`, one line points to the page the question
    tests, unless an explanation shown already names a page: never two pointers.
    """
    shown = result.shown
    # the option's text wraps under itself, not back to the margin
    line = verdict(result.is_correct)
    line.append(" You chose ", style="")
    line.append(f"{shown.display_letter(result.chosen)})", style=S.KEY)
    parts: list[RenderableType] = [hang(line, inline(result.chosen_option.text))]
    said = [result.explanation]
    if result.is_correct:
        parts.append(_indented(result.explanation))
    else:
        right = result.correct_option
        if right.explanation != result.explanation:
            parts.append(_indented(result.explanation))
        answer = Text("The right answer is ")
        answer.append(f"{shown.display_letter(result.question.answer)})", style=S.KEY)
        parts += [hang(answer, inline(right.text)), _indented(right.explanation)]
        said.append(right.explanation)
    if lesson is not None and not any(s.title in text for s in lesson.sections for text in said):
        section = lesson.section_title(result.question.section)
        parts.append(Text(f"Lesson section: {section}", style=S.MUTED))
    return Group(*parts)
