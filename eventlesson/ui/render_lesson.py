"""Pure render functions for the guided lesson: content in, rich renderables out.

Nothing here prints, waits or reads a key. Content text is rendered as Markdown or `Text`, never as
rich markup, so `[bold]` in a lesson shows literally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from eventlesson.models import Block, Check, Lesson, Question, Section, TreeNode, letter
from eventlesson.progress import CheckResult
from eventlesson.ui import styles as S

Answers = Mapping[str, CheckResult]


def md(text: str) -> Markdown:
    """Lesson prose: Markdown, left-aligned, links left as text."""
    return Markdown(text.strip(), justify="left", hyperlinks=False)


def header(lesson: Lesson, section: Section, position: str) -> RenderableType:
    """Lesson title and position on one line, the page title under it."""
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(Text(lesson.title, style=S.MUTED), Text(position, style=S.MUTED))
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


def footer(keys: Iterable[tuple[str, str]], note: str = "") -> RenderableType:
    """The key line, e.g. `Enter next  b back  m menu  q quit`."""
    chunks = [Text(note, style=S.ACCENT)] if note else []
    for key, action in keys:
        chunk = Text()
        chunk.append(key, style=S.KEY)
        chunk.append(" " + action)
        chunks.append(chunk)
    return Group(Rule(style=S.MUTED), KeyLine(chunks))


def tree(node: TreeNode, caption: str = "") -> RenderableType:
    """The fan-out picture as a rich Tree."""

    def grow(branch: Tree, children: tuple[TreeNode, ...]) -> None:
        for child in children:
            style = S.EVENT if "." in child.label and " " not in child.label else ""
            grow(branch.add(Text(child.label, style=style)), child.children)

    root = Tree(Text(node.label, style="bold"), guide_style=S.MUTED)
    grow(root, node.children)
    parts: list[RenderableType] = [root]
    if caption:
        parts.append(Text(caption, style=S.MUTED))
    return Group(*parts)


def table(block: Block) -> RenderableType:
    grid = Table(show_lines=True, expand=False, header_style="bold", title_justify="left")
    for column in block.columns:
        grid.add_column(column, overflow="fold")
    for row in block.rows:
        grid.add_row(*(Text(cell) for cell in row))
    if block.caption:
        return Group(Text(block.caption, style=S.MUTED), grid)
    return grid


def code(block: Block) -> RenderableType:
    snippet = Syntax(
        block.code, block.language or "text", theme="ansi_dark", word_wrap=True, line_numbers=False
    )
    parts: list[RenderableType] = [
        Panel(snippet, title=Text(block.language or "code"), title_align="left")
    ]
    if block.caption:
        parts.append(Text(block.caption, style=S.MUTED))
    return Group(*parts)


def callout(title: str, body: str, style: str = S.ACCENT) -> RenderableType:
    return Panel(md(body), title=Text(title, style="bold"), title_align="left", border_style=style)


def simulation_offer(block: Block, *, interactive: bool) -> RenderableType:
    how = (
        f"Press s to watch the '{block.scenario}' scenario live, here in the lesson."
        if interactive
        else f"Run `eventlesson simulate {block.scenario}` to watch it live."
    )
    return Panel(
        md(f"{block.text}\n\n{how}"),
        title=Text("Watch it happen", style="bold"),
        border_style=S.EVENT,
    )


def objectives(lesson: Lesson) -> RenderableType:
    return Group(*(_numbered(i, o.title, o.detail) for i, o in enumerate(lesson.objectives, 1)))


def insights(lesson: Lesson) -> RenderableType:
    return Group(*(_numbered(i, o.title, o.detail) for i, o in enumerate(lesson.insights, 1)))


def _numbered(number: int, title: str, detail: str) -> RenderableType:
    text = Text()
    text.append(f"{number}. ", style=S.ACCENT)
    text.append(title, style="bold")
    return Group(text, Padding(Text(detail), (0, 0, 1, 3)))


def resources(lesson: Lesson) -> RenderableType:
    items = []
    for item in lesson.resources:
        text = Text()
        text.append(f"[{item.kind}] ", style=S.MUTED)
        text.append(item.title, style="bold")
        items.append(
            Group(
                text,
                Padding(Group(Text(item.link, style=S.ACCENT), Text(item.focus)), (0, 0, 1, 2)),
            )
        )
    return Group(*items)


def glossary(lesson: Lesson) -> RenderableType:
    items = []
    for entry in lesson.glossary:
        items.append(
            Group(Text(entry.term, style="bold"), Padding(md(entry.meaning), (0, 0, 1, 2)))
        )
    return Group(*items)


def check_pending(check: Check, answered: int) -> RenderableType:
    """A check not yet (fully) answered: what it is and how to start."""
    count = len(check.questions)
    status = f"{answered} of {count} answered. " if answered else ""
    body = f"{check.intro}\n\n{status}{count} question(s). Press Enter to start; use the arrow keys to answer."
    return Panel(
        md(body), title=Text(f"Practice: {check.title}", style="bold"), border_style=S.ACCENT
    )


def verdict(correct: bool) -> Text:
    """Right or wrong in words, not only colour."""
    return Text("Right." if correct else "Not quite.", style=S.GOOD if correct else S.BAD)


def question_text(question: Question, *, with_options: bool = True) -> RenderableType:
    """A check question, and its options in full (lettered, wrapped) when the menu must cut them."""
    lines: list[RenderableType] = [Text(question.prompt, style=S.TITLE)]
    for i, option in enumerate(question.options if with_options else ()):
        line = Text(f"{letter(i)}) ", style=S.ACCENT)
        line.append(option.text)
        lines.append(Padding(line, (0, 0, 0, 1)))
    return Group(*lines)


def question_feedback(question: Question, chosen: int) -> RenderableType:
    """What the learner sees right after answering a check question."""
    right = question.options[question.answer]
    parts: list[RenderableType] = []
    line = verdict(question.is_correct(chosen))
    if not question.is_correct(chosen):
        line.append(f" The answer is {question.answer_letter}) ", style="")
        line.append(right.text, style="bold")
    parts.append(line)
    explanation = question.options[chosen].explanation
    parts.append(md(explanation))
    if not question.is_correct(chosen) and right.explanation != explanation:
        parts.append(md(right.explanation))
    return Panel(Group(*parts), border_style=S.GOOD if question.is_correct(chosen) else S.BAD)


def check_review(check: Check, answers: Answers | None, *, reveal: bool) -> RenderableType:
    """A check with every question and its answer: the learner's results, or the handout's key."""
    rows: list[RenderableType] = []
    if check.intro:
        rows.append(md(check.intro))
    right = 0
    for number, q in enumerate(check.questions, 1):
        result = answers.get(q.id) if answers else None
        head = Text(f"{number}. ", style=S.ACCENT)
        head.append(q.prompt)
        rows.append(Text(""))
        rows.append(head)
        if reveal:
            for i, option in enumerate(q.options):
                mark = "*" if i == q.answer else " "
                rows.append(Text(f"   {mark} {letter(i)}) {option.text}"))
        answer_line = Text("   Answer: ", style=S.MUTED)
        answer_line.append(f"{q.answer_letter}) {q.options[q.answer].text}", style="bold")
        if result is not None:
            right += result.correct
            answer_line.append("  you: ")
            answer_line.append(f"{letter(result.chosen)} ")
            answer_line.append_text(verdict(result.correct))
        rows.append(answer_line)
        rows.append(Padding(md(q.options[q.answer].explanation), (0, 0, 0, 3)))
    title = f"Practice: {check.title}"
    if answers is not None and not reveal:
        title += f" ({right}/{len(check.questions)} right)"
    return Panel(
        Group(*rows), title=Text(title, style="bold"), title_align="left", border_style=S.ACCENT
    )


def block(
    lesson: Lesson,
    item: Block,
    *,
    answers: Answers | None = None,
    interactive: bool = True,
    reveal: bool = False,
) -> RenderableType:
    """One block of a page."""
    if item.kind == "markdown":
        return md(item.text)
    if item.kind == "code":
        return code(item)
    if item.kind == "tree" and item.tree is not None:
        return tree(item.tree, item.caption)
    if item.kind == "table":
        return table(item)
    if item.kind == "callout":
        return callout(item.title, item.text)
    if item.kind == "simulation":
        return simulation_offer(item, interactive=interactive)
    if item.kind == "check":
        check = lesson.check(item.check)
        answered = [q for q in check.questions if answers and q.id in answers]
        if reveal or len(answered) == len(check.questions):
            return check_review(check, answers, reveal=reveal)
        return check_pending(check, len(answered))
    renderers = {
        "objectives": objectives,
        "resources": resources,
        "insights": insights,
        "glossary": glossary,
    }
    if item.kind in renderers:
        return renderers[item.kind](lesson)
    return Text("")


def body(
    lesson: Lesson,
    section: Section,
    *,
    answers: Answers | None = None,
    interactive: bool = True,
    reveal: bool = False,
) -> RenderableType:
    """Everything on a page between header and footer."""
    parts: list[RenderableType] = []
    for item in section.blocks:
        parts.append(block(lesson, item, answers=answers, interactive=interactive, reveal=reveal))
        parts.append(Text(""))
    return Group(*parts[:-1]) if parts else Text("")


def welcome(
    lesson: Lesson, *, recap: list[str], position: str, resume_title: str
) -> RenderableType:
    """The greeting for a returning learner: two or three lines of what they covered."""
    lines = Text()
    lines.append("Welcome back. ", style="bold")
    lines.append(f"So far in {lesson.title} you covered:\n")
    for item in recap:
        lines.append(f"  - {item}\n")
    lines.append(f"Picking up at {position}: ")
    lines.append(resume_title, style="bold")
    return Panel(lines, border_style=S.ACCENT)


def finish(lesson: Lesson, *, right: int, asked: int) -> RenderableType:
    """The last screen: the take-away and where to go next."""
    parts: list[RenderableType] = [Text(f"You finished {lesson.title}.", style=S.GOOD)]
    if asked:
        parts.append(Text(f"Practice checks: {right} of {asked} right."))
    parts.append(Text(""))
    parts.append(Text("Take-away", style="bold"))
    parts.append(insights(lesson))
    nxt = Text()
    nxt.append("Next: ", style="bold")
    nxt.append("eventlesson quiz", style=S.KEY)
    nxt.append(" for the knowledge check, ")
    nxt.append("eventlesson simulate", style=S.KEY)
    nxt.append(" to watch a purchase (", style="")
    nxt.append("--list", style=S.KEY)
    nxt.append(" for what goes wrong).")
    parts.append(nxt)
    return Panel(Group(*parts), border_style=S.GOOD)


def handout(lesson: Lesson) -> Iterable[RenderableType]:
    """The whole lesson, linearly, checks with their answers: for --print and screen readers."""
    yield Text(lesson.title, style=S.TITLE)
    yield Text(f"{lesson.summary} (about {lesson.minutes} minutes)")
    for number, section in enumerate(lesson.sections, 1):
        yield Text("")
        yield Rule(
            Text(f"{number}/{len(lesson.sections)}  {section.title}", style=S.TITLE), align="left"
        )
        yield body(lesson, section, interactive=False, reveal=True)
    yield Text("")
    yield Text(
        "Next: `eventlesson quiz` for the knowledge check; `eventlesson simulate --list` for the simulations."
    )


def menu_choices(lesson: Lesson, done: Iterable[str], current: str) -> list[str]:
    """One line per section for the jump menu: the marks come first, so a cut title loses nothing."""
    finished = set(done)
    labels = []
    for number, section in enumerate(lesson.sections, 1):
        mark = "here" if section.id == current else "done" if section.id in finished else "    "
        labels.append(f"[{mark}] {number:>2}. {section.title}")
    return labels
