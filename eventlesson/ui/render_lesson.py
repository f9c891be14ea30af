"""Pure render functions for the guided lesson: content in, rich renderables out.

Nothing here prints, waits or reads a key. Content text is rendered as Markdown or `Text`, never as
rich markup, so `[bold]` in a lesson shows literally.

Every function that would draw a box, a rule or tree guides takes `plain`: with it (TERM=dumb, a
screen reader) the same content comes out as plain lines in reading order, titles on their own
line and tables as labelled rows, with no box-drawing characters at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from eventlesson import NAME
from eventlesson.models import (
    Block,
    CalloutBlock,
    Check,
    CheckBlock,
    CodeBlock,
    ExerciseBlock,
    Lesson,
    MarkdownBlock,
    PredictCheck,
    Question,
    QuizBlock,
    Section,
    SimulationBlock,
    TableBlock,
    TreeBlock,
    TreeNode,
    letter,
)
from eventlesson.progress import CheckResult, QuizRecord
from eventlesson.text import counted
from eventlesson.ui import styles as S
from eventlesson.ui.prose import inline, prose
from eventlesson.ui.render_question import hang, render_feedback, verdict

if TYPE_CHECKING:
    from eventlesson.quiz import Result

Answers = Mapping[str, CheckResult]  # question id -> the learner's latest answer
Scores = Mapping[str, QuizRecord]  # quiz set name -> the learner's record on it

COMMAND = NAME  # how commands are named when the caller does not say


def md(text: str) -> RenderableType:
    """Lesson prose (the Markdown subset of `ui.prose`)."""
    return prose(text)


def header(
    lesson: Lesson,
    section: Section,
    position: str,
    *,
    plain: bool = False,
    compact: bool = False,
) -> RenderableType:
    """Lesson title and position on one line, the page title under it. `compact`: the page
    title and position on one line (above a question that would push more off the screen)."""
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_column(justify="right", no_wrap=True)
    if compact:
        grid.add_row(Text(section.title, style=S.TITLE), Text(position, style=S.MUTED))
        return grid
    grid.add_row(Text(lesson.title, style=S.MUTED), Text(position, style=S.MUTED))
    if plain:
        return Group(grid, Text(section.title, style=S.TITLE), Text(""))
    return Group(grid, Text(section.title, style=S.TITLE), Rule(style=S.MUTED))


class KeyLine:
    """Key hints laid out greedily: a line breaks between two hints, never inside one."""

    def __init__(self, chunks: list[Text]) -> None:
        self.chunks = chunks

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line = Text()
        for chunk in self.chunks:
            gap = 2 if line else 0
            if line and line.cell_len + gap + chunk.cell_len > width:
                yield line
                line = Text()
                gap = 0
            line.append(" " * gap)
            line.append_text(chunk)
        if line:
            yield line


SCROLL_NOTE = "space/↑↓ scroll"  # the pager's scroll keys; ← and → are back and next in learn


def footer(
    keys: Iterable[tuple[str, str]], note: str = "", *, plain: bool = False
) -> RenderableType:
    """The key line, e.g. `Enter next  b back  m menu  q quit`."""
    chunks = [Text(note, style=S.ACCENT)] if note else []
    for key, action in keys:
        chunk = Text()
        chunk.append(key, style=S.KEY)
        chunk.append(" " + action)
        chunks.append(chunk)
    if plain:
        return KeyLine(chunks)
    return Group(Rule(style=S.MUTED), KeyLine(chunks))


def boxed(
    title: str | Text, body: RenderableType, *, style: str = S.ACCENT, plain: bool = False
) -> RenderableType:
    """A titled panel; plain: the title on its own line, then the body."""
    heading = title if isinstance(title, Text) else Text(title, style=S.STRONG)
    if plain:
        return Group(heading, body) if heading.plain else body
    return Boxed(heading, body, style)


class Boxed:
    """A panel titled in its top border where the whole title fits there; at a width where the
    border would cut it ("Practice: Fact or request? (0/1 rig─╮"), the title is the first line
    inside instead, wrapped like any other."""

    BORDER = 6  # "╭─ " before the title, " ─╮" after it

    def __init__(self, heading: Text, body: RenderableType, style: str) -> None:
        self.heading = heading
        self.body = body
        self.style = style

    def _panel(self, width: int) -> Panel:
        if not self.heading.plain:
            return Panel(self.body, border_style=self.style)
        if self.heading.cell_len + self.BORDER <= width:
            return Panel(self.body, title=self.heading, title_align="left", border_style=self.style)
        return Panel(Group(self.heading, self.body), border_style=self.style)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._panel(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._panel(options.max_width))


def tree(node: TreeNode, caption: str = "", *, plain: bool = False) -> RenderableType:
    """The fan-out picture: a rich Tree, or (plain) indented lines."""
    parts: list[RenderableType] = []
    if plain:
        lines = [Text(node.label, style=S.STRONG)]

        def walk(children: tuple[TreeNode, ...], depth: int) -> None:
            for child in children:
                lines.append(Text(f"{'  ' * depth}- {child.label}"))
                walk(child.children, depth + 1)

        walk(node.children, 1)
        parts.extend(lines)
    else:

        def grow(branch: Tree, children: tuple[TreeNode, ...]) -> None:
            for child in children:
                style = S.EVENT if "." in child.label and " " not in child.label else ""
                grow(branch.add(Text(child.label, style=style)), child.children)

        root = Tree(Text(node.label, style=S.STRONG), guide_style=S.MUTED)
        grow(root, node.children)
        parts.append(root)
    if caption:
        parts.append(Text(caption, style=S.MUTED))
    return Group(*parts)


def table(block: TableBlock, *, plain: bool = False) -> RenderableType:
    """A small grid; plain: one labelled line per cell, a blank line between rows."""
    if plain:
        rows: list[RenderableType] = [Text(block.caption, style=S.MUTED)] if block.caption else []
        for row in block.rows:
            rows.append(Text(""))
            for column, cell in zip(block.columns, row, strict=False):
                line = Text(f"{column}: ", style=S.STRONG)
                rows.append(line.append_text(inline(cell)))
        return Group(*rows)
    grid = Table(show_lines=True, expand=False, header_style=S.STRONG, title_justify="left")
    for column in block.columns:
        grid.add_column(column, overflow="fold")
    for row in block.rows:
        grid.add_row(*(inline(cell) for cell in row))
    if block.caption:
        return Group(Text(block.caption, style=S.MUTED), grid)
    return grid


PANEL_EDGES = 4  # a panel's border and padding, left and right


class Snippet:
    """A snippet in a titled panel; where the panel would cut lines, no panel and folded lines.

    Folding breaks a long line after a comma or an opening bracket (outside strings), with the
    rest indented four more: still valid-looking Python, and no token cut in half.
    """

    def __init__(self, code: str, language: str, *, plain: bool = False) -> None:
        self.code = code.strip("\n")
        self.language = language
        self.plain = plain

    def _syntax(self, code: str) -> Syntax:
        return Syntax(
            code, self.language or "text", theme="ansi_dark", word_wrap=True, line_numbers=False
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        lines = self.code.split("\n")
        if not self.plain and max(cell_len(line) for line in lines) + PANEL_EDGES <= width:
            yield Panel(
                self._syntax(self.code), title=Text(self.language or "code"), title_align="left"
            )
            return
        yield Text(f"{self.language or 'code'}:" if self.plain else self.language or "code")
        yield self._syntax("\n".join(part for line in lines for part in fold(line, width)))


_BREAK = re.compile(r"""\\.|["'(\[{)\]},]""")


def fold(line: str, width: int) -> list[str]:
    """A line of code as lines of at most `width`, broken only inside brackets (see `Snippet`)."""
    if cell_len(line) <= width:
        return [line]
    breaks: list[int] = []  # offsets a continuation line may start at
    depth, quote = 0, ""
    for match in _BREAK.finditer(line):
        token = match.group()
        if quote:
            quote = "" if token == quote else quote
        elif token in "\"'":
            quote = token
        elif token in "([{":
            depth += 1
            breaks.append(match.end())
        elif token in ")]}":
            depth -= 1
        elif token == "," and depth > 0:
            breaks.append(match.end())
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    out, start, prefix = [], 0, ""
    while cell_len(prefix + line[start:]) > width:
        room = width - len(prefix)
        fits = [b for b in breaks if start < b and len(line[start:b].rstrip()) <= room]
        if not fits:
            break
        after_comma = [b for b in fits if line[b - 1] == ","]  # reads better than after "("
        cut = (after_comma or fits)[-1]
        out.append(prefix + line[start:cut].rstrip())
        start = cut
        while start < len(line) and line[start] == " ":
            start += 1
        prefix = indent
    out.append(prefix + line[start:])
    return out


def code(block: CodeBlock, *, plain: bool = False) -> RenderableType:
    snippet = Snippet(block.code, block.language, plain=plain)
    if block.caption:
        return Group(snippet, Text(block.caption, style=S.MUTED))
    return snippet


def callout(title: str, body: str, *, plain: bool = False) -> RenderableType:
    return boxed(title, md(body), style=S.ACCENT, plain=plain)


class Whole:
    """A line of text that is never broken: a web address or a command to copy.

    Rich would fold a word longer than the width into pieces; this yields it whole (the
    terminal wraps it softly, so it still reads, copies and clicks as one). Callers print with
    `crop=False`, and it must not sit inside a panel or padding, which cut their lines. With
    `url`, the text is also a hyperlink where the terminal supports them.
    """

    def __init__(
        self, text: str, indent: int = 0, style: str = S.ACCENT, url: bool = False
    ) -> None:
        self.text = text
        self.indent = indent
        self.style = style
        self.url = url

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.indent:
            yield Segment(" " * self.indent)
        style = console.get_style(self.style)
        yield Segment(self.text, style + Style(link=self.text) if self.url else style)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        size = self.indent + cell_len(self.text)
        return Measurement(size, size)


def simulation_offer(
    block: SimulationBlock, *, interactive: bool, command: str = COMMAND, plain: bool = False
) -> RenderableType:
    how = (
        f"Press s to watch the '{block.scenario}' scenario live, here in the lesson."
        if interactive
        else f"To watch it live: `{command} simulate {block.scenario}`"
    )
    return boxed("Watch it happen", md(f"{block.text}\n\n{how}"), style=S.EVENT, plain=plain)


def exercise_offer(
    lesson: Lesson,
    block: ExerciseBlock,
    *,
    interactive: bool,
    command: str = COMMAND,
    plain: bool = False,
) -> RenderableType:
    """A pointer to the hands-on exercise that practises the page: what it is, how to start it."""
    try:
        exercise = lesson.exercise(block.exercise)
    except KeyError:  # content that skipped `content check`
        return Text(f"(exercise {block.exercise!r} is missing)", style=S.MUTED)
    number = lesson.exercises.index(exercise) + 1
    text = Text()
    text.append(f"Exercise {number}: ", style=S.STRONG)
    text.append(exercise.title, style=S.STRONG)
    text.append("\n")
    text.append_text(inline(exercise.summary))
    text.append("\n\nIn a second terminal: " if interactive else "\n\nRun: ")
    text.append(f"{command} exercise {exercise.id}", style=S.KEY)
    return boxed("Write it yourself", text, style=S.GOOD, plain=plain)


def objectives(lesson: Lesson) -> RenderableType:
    return _numbered_list([(o.title, o.detail) for o in lesson.objectives])


def insights(lesson: Lesson) -> RenderableType:
    return _numbered_list([(o.title, o.detail) for o in lesson.insights])


def _numbered_list(items: Sequence[tuple[str, str]]) -> RenderableType:
    """Numbered titles, each with its detail under it, a blank line between them (not after
    the last: the page puts one between blocks)."""
    parts: list[RenderableType] = []
    for number, (title, detail) in enumerate(items, 1):
        if parts:
            parts.append(Text(""))
        parts.append(_numbered(number, title, detail))
    return Group(*parts)


def _numbered(number: int, title: str, detail: str) -> RenderableType:
    text = Text()
    text.append(f"{number}. ", style=S.ACCENT)
    text.append(title, style=S.STRONG)
    return Group(text, Padding(inline(detail), (0, 0, 0, 3)))


def resources(lesson: Lesson) -> RenderableType:
    """Each resource: kind and title, its address whole on its own line, what to read it for."""
    items: list[RenderableType] = []
    for item in lesson.resources:
        text = Text()
        text.append(f"[{item.kind}] ", style=S.MUTED)
        text.append(item.title, style=S.STRONG)
        if items:
            items.append(Text(""))
        items += [
            text,
            Whole(item.link, indent=2, url=True),
            Padding(Text(item.focus), (0, 0, 0, 2)),
        ]
    return Group(*items)


def glossary(lesson: Lesson) -> RenderableType:
    items: list[RenderableType] = []
    for entry in lesson.glossary:
        if items:
            items.append(Text(""))
        items.append(
            Group(Text(entry.term, style=S.STRONG), Padding(md(entry.meaning), (0, 0, 0, 2)))
        )
    return Group(*items)


def how_to_answer(plain: bool) -> str:
    """The one sentence that says how a question is answered on this terminal."""
    if plain:
        return "Type a letter and Enter to answer; q leaves."
    return "Answer with the arrow keys and Enter, or type the letter; Esc or q leaves."


def check_title(check: Check) -> str:
    """How a check is titled on its page: a practice check, or a prediction."""
    if isinstance(check, PredictCheck):
        return f"Predict, then watch: {check.title}"
    return f"Practice: {check.title}"


def check_pending(check: Check, answered: int, *, plain: bool = False) -> RenderableType:
    """A check not yet (fully) answered: what it is and how to start."""
    if isinstance(check, PredictCheck):
        body = (
            f"{check.intro}\n\nPress Enter to predict what happens; then the "
            f"'{check.scenario}' run plays here, and you see your prediction next to what it "
            f"showed. {how_to_answer(plain)}"
        )
        return boxed(check_title(check), md(body), style=S.EVENT, plain=plain)
    count = len(check.questions)
    status = f"{answered} of {count} answered. " if answered else ""
    questions = "1 question" if count == 1 else f"{count} questions"
    start = "Press Enter to continue" if answered else "Press Enter to start"
    body = f"{check.intro}\n\n{status}{questions}. {start}. {how_to_answer(plain)}"
    return boxed(f"Practice: {check.title}", md(body), plain=plain)


def _prompt(number: int, question: Question) -> RenderableType:
    """A numbered prompt, with the question's context (if any) on a line under it."""
    lines: list[RenderableType] = [inline(question.prompt)]
    if question.context:
        lines.append(inline(f"({question.context})", S.MUTED))
    return hang(f"{number}.", Group(*lines))


def check_review(check: Check, answers: Answers | None, *, plain: bool = False) -> RenderableType:
    """A check the learner has answered: each question, the right answer, theirs, and why."""
    rows: list[RenderableType] = []
    if check.intro:
        rows.append(md(check.intro))
    right = 0
    for number, q in enumerate(check.questions, 1):
        result = answers.get(q.id) if answers else None
        rows.append(Text(""))
        rows.append(_prompt(number, q))
        answer = Text(f"{q.answer_letter}) ", style=S.STRONG)
        answer.append_text(inline(q.options[q.answer].text, S.STRONG))
        rows.append(hang(Text("Answer:", style=S.MUTED), answer, indent=3))  # wraps under itself
        if result is not None:
            right += result.correct
            yours = Text("   You chose ", style=S.MUTED)
            yours.append(f"{letter(result.chosen)}: ")
            rows.append(yours.append_text(verdict(result.correct)))
        rows.append(Padding(md(q.options[q.answer].explanation), (0, 0, 0, 3)))
    title = f"{check_title(check)} ({right}/{len(check.questions)} right)"
    if isinstance(check, PredictCheck):
        rows += [Text(""), Text("Press s to watch the run again.", style=S.MUTED)]
        return boxed(title, Group(*rows), style=S.EVENT, plain=plain)
    return boxed(title, Group(*rows), plain=plain)


def prediction_result(
    result: Result, facts: Sequence[str], *, left_early: bool = False, plain: bool = False
) -> RenderableType:
    """A prediction next to what the run showed (facts from its read-out), then the explanations."""
    parts: list[RenderableType] = [Text("What this run showed", style=S.TITLE)]
    if facts:
        parts.append(bullets(facts))
    elif left_early:
        parts.append(Text("You left the run before it ended; press s to watch it again."))
    parts += [Text(""), render_feedback(result)]
    return Group(*parts)


def questions_list(questions: Sequence[Question], *, title: str = "") -> RenderableType:
    """Questions with their options lettered in authored order and no answer marked (handout)."""
    rows: list[RenderableType] = [Text(title, style=S.TITLE)] if title else []
    for number, q in enumerate(questions, 1):
        if rows:
            rows.append(Text(""))
        rows.append(_prompt(number, q))
        for i, option in enumerate(q.options):
            rows.append(hang(f"{letter(i)})", inline(option.text), indent=3))
    return Group(*rows)


def answers_list(questions: Sequence[Question], *, every_option: bool) -> RenderableType:
    """The answers to `questions_list`: the right letter and why, or every option's explanation."""
    rows: list[RenderableType] = [Text("Answers", style=S.TITLE)]
    for number, q in enumerate(questions, 1):
        rows.append(Text(""))
        right = Text(f"{q.answer_letter}) ", style=S.STRONG)
        right.append_text(inline(q.options[q.answer].text, S.STRONG))
        lines: list[RenderableType] = [right]
        if every_option:
            for i, option in enumerate(q.options):
                mark = f"{letter(i)} ({'right' if i == q.answer else 'wrong'}): "
                lines.append(Text(mark, style=S.MUTED).append_text(inline(option.explanation)))
        else:
            lines.append(md(q.options[q.answer].explanation))
        rows.append(hang(f"{number}.", Group(*lines)))
    return Group(*rows)


def quiz_pending(
    lesson: Lesson, set_name: str, record: QuizRecord | None, *, plain: bool = False
) -> RenderableType:
    """The knowledge check before it has been taken (or finished) in full."""
    count = len(lesson.quiz_questions(set_name))
    answered = len(record.answers) if record is not None and not record.attempts else 0
    status = f"{answered} of {count} answered so far. " if answered else ""
    body = (
        f"{status}{counted(count, 'question')}. Press Enter to start. {how_to_answer(plain)} "
        "Missed ones can be retried, and your score is kept with your progress."
    )
    return boxed(_set_title(set_name), md(body), plain=plain)


def quiz_review(
    lesson: Lesson, set_name: str, record: QuizRecord, *, plain: bool = False
) -> RenderableType:
    """The knowledge check once taken: the scores kept, and each question's latest result."""
    questions = lesson.quiz_questions(set_name)
    rows: list[RenderableType] = [
        Text(
            f"Latest score: {record.last} of {record.total}. Best: {record.best} of {record.total}"
            f" ({record.attempts} {'attempt' if record.attempts == 1 else 'attempts'})."
        )
    ]
    for number, q in enumerate(questions, 1):
        lines: list[RenderableType] = [inline(q.prompt)]
        chosen = record.answers.get(q.id)
        if chosen is not None and 0 <= chosen < len(q.options):  # letters were shuffled: say it
            you = verdict(q.is_correct(chosen)).append(" You chose: ", style="")
            lines.append(you.append_text(inline(q.options[chosen].text)))
        rows += [Text(""), hang(f"{number}.", Group(*lines))]
    rows += [Text(""), Text("Press r to take it again.", style=S.MUTED)]
    title = f"{_set_title(set_name)} ({record.last}/{record.total} right)"
    return boxed(title, Group(*rows), plain=plain)


def _set_title(set_name: str) -> str:
    return set_name.replace("-", " ").capitalize()


def block(
    lesson: Lesson,
    item: Block,
    *,
    answers: Answers | None = None,
    scores: Scores | None = None,
    interactive: bool = True,
    handout: bool = False,
    command: str = COMMAND,
    plain: bool = False,
    page: str = "",
) -> RenderableType:
    """One block of a page (`handout`: checks as questions only, their answers after the page).

    `page`: the title of the page it is on (a check titled like its page is not titled again).
    """
    if isinstance(item, MarkdownBlock):
        return md(item.text)
    if isinstance(item, CodeBlock):
        return code(item, plain=plain)
    if isinstance(item, TreeBlock):
        return tree(item.tree, item.caption, plain=plain)
    if isinstance(item, TableBlock):
        return table(item, plain=plain)
    if isinstance(item, CalloutBlock):
        return callout(item.title, item.text, plain=plain)
    if isinstance(item, SimulationBlock):
        return simulation_offer(item, interactive=interactive, command=command, plain=plain)
    if isinstance(item, ExerciseBlock):
        return exercise_offer(lesson, item, interactive=interactive, command=command, plain=plain)
    if isinstance(item, CheckBlock):
        check = lesson.check(item.check)
        if handout:
            title = check_title(check)
            asked = questions_list(check.questions, title="" if title == page else title)
            if isinstance(check, PredictCheck):
                watch = inline(f"Then watch it: `{command} simulate {check.scenario} --predict`")
                return Group(asked, Padding(watch, (0, 0, 0, 3)))
            return asked
        answered = [q for q in check.questions if answers and q.id in answers]
        if len(answered) == len(check.questions):
            return check_review(check, answers, plain=plain)
        return check_pending(check, len(answered), plain=plain)
    if isinstance(item, QuizBlock):
        questions = lesson.quiz_questions(item.quiz)
        if handout:
            title = _set_title(item.quiz)
            return questions_list(questions, title="" if title == page else title)
        record = scores.get(item.quiz) if scores else None
        if record is not None and record.attempts:
            return quiz_review(lesson, item.quiz, record, plain=plain)
        return quiz_pending(lesson, item.quiz, record, plain=plain)
    if item.kind == "resources":
        return resources(lesson)
    renderers = {"objectives": objectives, "insights": insights, "glossary": glossary}
    if item.kind in renderers:
        return renderers[item.kind](lesson)
    return Text("")


def body(
    lesson: Lesson,
    section: Section,
    *,
    answers: Answers | None = None,
    scores: Scores | None = None,
    interactive: bool = True,
    handout: bool = False,
    command: str = COMMAND,
    plain: bool = False,
) -> RenderableType:
    """Everything on a page between header and footer.

    In a handout the page's checks come first as questions, and their answers follow at the end
    of the page, so a reader can test themselves before looking.
    """
    parts = _parts(
        lesson,
        section,
        answers=answers,
        scores=scores,
        interactive=interactive,
        handout=handout,
        command=command,
        plain=plain,
    )
    if handout:
        checked = [
            q
            for b in section.blocks
            if isinstance(b, CheckBlock)
            for q in lesson.check(b.check).questions
        ]
        if checked:
            parts += [answers_list(checked, every_option=False), Text("")]
        for item in section.blocks:
            if isinstance(item, QuizBlock):
                parts.append(answers_list(lesson.quiz_questions(item.quiz), every_option=True))
                parts.append(Text(""))
    return Group(*parts[:-1]) if parts else Text("")


def _parts(
    lesson: Lesson,
    section: Section,
    *,
    answers: Answers | None,
    scores: Scores | None,
    interactive: bool = True,
    handout: bool = False,
    command: str = COMMAND,
    plain: bool = False,
) -> list[RenderableType]:
    """Each block of a page followed by a blank line."""
    parts: list[RenderableType] = []
    for item in section.blocks:
        parts.append(
            block(
                lesson,
                item,
                answers=answers,
                scores=scores,
                interactive=interactive,
                handout=handout,
                command=command,
                plain=plain,
                page=section.title,
            )
        )
        parts.append(Text(""))
    return parts


def block_on_page(
    lesson: Lesson,
    section: Section,
    index: int,
    *,
    answers: Answers | None = None,
    scores: Scores | None = None,
    plain: bool = False,
) -> tuple[RenderableType, RenderableType]:
    """The page's block `index` as the interactive `body` shows it, and all that comes before it
    there: (above, block), so a pager can bring that block into view."""
    parts = _parts(lesson, section, answers=answers, scores=scores, plain=plain)
    return Group(*parts[: 2 * index]), parts[2 * index]


def bullets(items: Iterable[str], indent: int = 2) -> RenderableType:
    """Short Markdown lines as a list whose wrapped lines hang under their own text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(Text(" " * (indent - 1) + "-"), Glued(inline(item)))
    return grid


class Glued:
    """Text wrapped at its spaces, except between a number and its unit of time: "5.1 s" and
    "20 ms" are never split across two lines (rich breaks at any space, even a no-break one)."""

    UNIT = re.compile(r"(?<=\d) (?=(?:ms|s)\b)")
    HOLD = "\ue000"  # one cell, not a space: stands in for the glued space while wrapping

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.text.copy()
        text.plain = self.UNIT.sub(self.HOLD, text.plain)  # the same length: styles stay put
        lines = text.wrap(console, options.max_width)
        for line in lines:
            line.plain = line.plain.replace(self.HOLD, " ")
        yield lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def welcome(
    lesson: Lesson, *, recap: list[str], position: str, resume_title: str, plain: bool = False
) -> RenderableType:
    """The greeting for a returning learner: two or three lines of what they covered."""
    first = Text()
    first.append("Welcome back. ", style=S.STRONG)
    first.append(f"So far in {lesson.title} you covered:")
    last = Text(f"Picking up at {position}: ")
    last.append(resume_title, style=S.STRONG)
    return boxed("", Group(first, bullets(recap), last), plain=plain)


def finished_greeting(lesson: Lesson, *, when: str, record: QuizRecord | None) -> RenderableType:
    """What a learner who finished the lesson sees on coming back, above the choice of what next."""
    text = Text()
    text.append(f"You finished {lesson.title}", style=S.GOOD)
    text.append(f" on {when}." if when else ".")
    if record is not None and record.attempts:
        text.append(
            f" Knowledge check: best {record.best} of {record.total}, latest {record.last}."
        )
    return text


def finish(
    lesson: Lesson,
    *,
    right: int,
    asked: int,
    record: QuizRecord | None = None,
    unseen: Sequence[str] = (),
    unanswered: Sequence[str] = (),
    command: str = COMMAND,
    plain: bool = False,
) -> RenderableType:
    """The last screen: finished (or what is still open), the take-away, and what next.

    Printed on the normal screen after the lesson closes, with `crop=False`: the commands it
    names stay whole on their own lines, ready to copy.
    """
    parts: list[RenderableType] = [Text("")] if plain else [Rule(style=S.GOOD)]
    if unseen or unanswered:
        parts.append(Text(f"You reached the end of {lesson.title}; it is not finished yet."))
        if unseen:
            parts.append(Text(f"Pages not seen yet ({len(unseen)}): {'; '.join(unseen)}."))
        if unanswered:
            parts.append(
                Text(f"Checks not answered yet ({len(unanswered)}): {'; '.join(unanswered)}.")
            )
        parts += [
            Text("Come back to them (m jumps to any page) with:"),
            Whole(f"{command} learn", 2, S.KEY),
        ]
    else:
        parts.append(Text(f"You finished {lesson.title}.", style=S.GOOD))
    if record is not None and record.attempts:
        parts.append(Text(f"Knowledge check: {record.last} of {record.total} right."))
    if asked:
        parts.append(Text(f"Practice checks: {right} of {asked} right."))
    parts += [Text(""), Text("Take-away", style=S.STRONG), insights(lesson), Text("")]
    practice = lesson.quiz_questions("practice")
    if practice:
        parts += [
            Text(f"The practice set, {counted(len(practice), 'more question')}:"),
            Whole(f"{command} quiz --set practice", 2, S.KEY),
        ]
    parts += [Text("Every simulation scenario:"), Whole(f"{command} simulate --list", 2, S.KEY)]
    return Group(*parts)


def handout(
    lesson: Lesson, *, command: str = COMMAND, plain: bool = False
) -> Iterable[RenderableType]:
    """The whole lesson, linearly: for --print and screen readers.

    Each page's checks are asked as questions, with the answers after the page; a knowledge
    check page ends with "Answers", every option explained. Page titles are wrapped text over a
    plain rule, never cut to fit a rule's title.
    """
    yield Text(lesson.title, style=S.TITLE)
    yield Text(f"{lesson.summary} (about {lesson.minutes} minutes)")
    for number, section in enumerate(lesson.sections, 1):
        yield Text("")
        yield Text(f"{number}/{len(lesson.sections)}  {section.title}", style=S.TITLE)
        yield Text("") if plain else Rule(style=S.MUTED)
        yield body(lesson, section, interactive=False, handout=True, command=command, plain=plain)
    if any(isinstance(b, QuizBlock) for s in lesson.sections for b in s.blocks):
        return  # it ends with the knowledge check and its answers
    yield Text("")
    end = Text(f"End of {lesson.title}.", style=S.TITLE)
    last = " ".join(getattr(b, "text", "") for b in lesson.sections[-1].blocks)
    if f"{COMMAND} quiz" not in last and f"{command} quiz" not in last:  # unless it says so
        end.append(" Test yourself with ", style="")
        end.append_text(inline(f"`{command} quiz`; see every simulation with "))
        end.append_text(inline(f"`{command} simulate --list`."))
    yield end


MENU_INDENT = 9  # "done " and "15. ": where a menu title starts, for wrapped lines to line up


def menu_choices(
    lesson: Lesson,
    done: Iterable[str],
    current: str,
    answers: Answers | None = None,
    scores: Scores | None = None,
) -> list[str]:
    """One label per section for the jump menu: a status word, the page number, the title.

    The marks come first so that they line up; the prompt seam adds no letters to these. A page
    with checks ends with its score once they are answered, e.g. "(3/4 right)".
    """
    finished = set(done)
    labels = []
    for number, section in enumerate(lesson.sections, 1):
        mark = "here" if section.id == current else "done" if section.id in finished else ""
        labels.append(
            f"{mark:<4} {number:>2}. {section.title}{page_score(lesson, section, answers, scores)}"
        )
    return labels


def page_score(
    lesson: Lesson, section: Section, answers: Answers | None, scores: Scores | None
) -> str:
    """ " (3/4 right)" for a page whose checks are all answered, " (1 of 4 answered)" part way."""
    questions = [
        q
        for b in section.blocks
        if isinstance(b, CheckBlock)
        for q in lesson.check(b.check).questions
    ]
    said: list[str] = []
    if questions:
        results = [answers[q.id] for q in questions if answers and q.id in answers]
        if len(results) == len(questions):
            said.append(f"{sum(r.correct for r in results)}/{len(questions)} right")
        elif results:
            said.append(f"{len(results)} of {len(questions)} answered")
    for item in section.blocks:
        record = scores.get(item.quiz) if isinstance(item, QuizBlock) and scores else None
        if record is not None and record.attempts:
            said.append(f"{record.last}/{record.total} right")
    return f" ({', '.join(said)})" if said else ""
