"""Pure render functions for the guided lesson: content in, rich renderables out.

Nothing here prints, waits or reads a key. Content text is rendered as Markdown or `Text`, never as
rich markup, so `[bold]` in a lesson shows literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from eventlesson.models import (
    Block,
    CalloutBlock,
    Check,
    CheckBlock,
    CodeBlock,
    Lesson,
    MarkdownBlock,
    Section,
    SimulationBlock,
    TableBlock,
    TreeBlock,
    TreeNode,
    letter,
)
from eventlesson.progress import CheckResult
from eventlesson.ui import styles as S
from eventlesson.ui.prose import prose
from eventlesson.ui.render_question import inline, verdict

Answers = Mapping[str, CheckResult]


def md(text: str) -> RenderableType:
    """Lesson prose (the Markdown subset of `ui.prose`)."""
    return prose(text)


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

    root = Tree(Text(node.label, style=S.STRONG), guide_style=S.MUTED)
    grow(root, node.children)
    parts: list[RenderableType] = [root]
    if caption:
        parts.append(Text(caption, style=S.MUTED))
    return Group(*parts)


def table(block: TableBlock) -> RenderableType:
    grid = Table(show_lines=True, expand=False, header_style=S.STRONG, title_justify="left")
    for column in block.columns:
        grid.add_column(column, overflow="fold")
    for row in block.rows:
        grid.add_row(*(Text(cell) for cell in row))
    if block.caption:
        return Group(Text(block.caption, style=S.MUTED), grid)
    return grid


PANEL_EDGES = 4  # a panel's border and padding, left and right


class Snippet:
    """A snippet in a titled panel; where the panel would cut lines, no panel and folded lines.

    Folding breaks a long line after a comma or an opening bracket (outside strings), with the
    rest indented four more: still valid-looking Python, and no token cut in half.
    """

    def __init__(self, code: str, language: str) -> None:
        self.code = code.strip("\n")
        self.language = language

    def _syntax(self, code: str) -> Syntax:
        return Syntax(
            code, self.language or "text", theme="ansi_dark", word_wrap=True, line_numbers=False
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        lines = self.code.split("\n")
        if max(cell_len(line) for line in lines) + PANEL_EDGES <= width:
            yield Panel(
                self._syntax(self.code), title=Text(self.language or "code"), title_align="left"
            )
            return
        yield Text(self.language or "code", style=S.MUTED)
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


def code(block: CodeBlock) -> RenderableType:
    snippet = Snippet(block.code, block.language)
    if block.caption:
        return Group(snippet, Text(block.caption, style=S.MUTED))
    return snippet


def callout(title: str, body: str, style: str = S.ACCENT) -> RenderableType:
    return Panel(
        md(body), title=Text(title, style=S.STRONG), title_align="left", border_style=style
    )


def simulation_offer(block: SimulationBlock, *, interactive: bool) -> RenderableType:
    how = (
        f"Press s to watch the '{block.scenario}' scenario live, here in the lesson."
        if interactive
        else f"Run `eventlesson simulate {block.scenario}` to watch it live."
    )
    return Panel(
        md(f"{block.text}\n\n{how}"),
        title=Text("Watch it happen", style=S.STRONG),
        border_style=S.EVENT,
    )


def objectives(lesson: Lesson) -> RenderableType:
    return Group(*(_numbered(i, o.title, o.detail) for i, o in enumerate(lesson.objectives, 1)))


def insights(lesson: Lesson) -> RenderableType:
    return Group(*(_numbered(i, o.title, o.detail) for i, o in enumerate(lesson.insights, 1)))


def _numbered(number: int, title: str, detail: str) -> RenderableType:
    text = Text()
    text.append(f"{number}. ", style=S.ACCENT)
    text.append(title, style=S.STRONG)
    return Group(text, Padding(Text(detail), (0, 0, 1, 3)))


def resources(lesson: Lesson) -> RenderableType:
    items = []
    for item in lesson.resources:
        text = Text()
        text.append(f"[{item.kind}] ", style=S.MUTED)
        text.append(item.title, style=S.STRONG)
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
            Group(Text(entry.term, style=S.STRONG), Padding(md(entry.meaning), (0, 0, 1, 2)))
        )
    return Group(*items)


def check_pending(check: Check, answered: int) -> RenderableType:
    """A check not yet (fully) answered: what it is and how to start."""
    count = len(check.questions)
    status = f"{answered} of {count} answered. " if answered else ""
    questions = "1 question" if count == 1 else f"{count} questions"
    body = (
        f"{check.intro}\n\n{status}{questions}. Press Enter to start; use the arrow keys to answer."
    )
    return Panel(
        md(body), title=Text(f"Practice: {check.title}", style=S.STRONG), border_style=S.ACCENT
    )


def check_review(check: Check, answers: Answers | None, *, reveal: bool) -> RenderableType:
    """A check with every question and its answer: the learner's results, or the handout's key."""
    rows: list[RenderableType] = []
    if check.intro:
        rows.append(md(check.intro))
    right = 0
    for number, q in enumerate(check.questions, 1):
        result = answers.get(q.id) if answers else None
        head = Text(f"{number}. ", style=S.ACCENT)
        head.append_text(inline(q.prompt))
        rows.append(Text(""))
        rows.append(head)
        if reveal:
            for i, option in enumerate(q.options):
                mark = "*" if i == q.answer else " "
                rows.append(Text(f"   {mark} {letter(i)}) ").append_text(inline(option.text)))
        answer_line = Text("   Answer: ", style=S.MUTED)
        answer_line.append(f"{q.answer_letter}) ", style=S.STRONG)
        answer_line.append_text(inline(q.options[q.answer].text, S.STRONG))
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
        Group(*rows), title=Text(title, style=S.STRONG), title_align="left", border_style=S.ACCENT
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
    if isinstance(item, MarkdownBlock):
        return md(item.text)
    if isinstance(item, CodeBlock):
        return code(item)
    if isinstance(item, TreeBlock):
        return tree(item.tree, item.caption)
    if isinstance(item, TableBlock):
        return table(item)
    if isinstance(item, CalloutBlock):
        return callout(item.title, item.text)
    if isinstance(item, SimulationBlock):
        return simulation_offer(item, interactive=interactive)
    if isinstance(item, CheckBlock):
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
    lines.append("Welcome back. ", style=S.STRONG)
    lines.append(f"So far in {lesson.title} you covered:\n")
    for item in recap:
        lines.append(f"  - {item}\n")
    lines.append(f"Picking up at {position}: ")
    lines.append(resume_title, style=S.STRONG)
    return Panel(lines, border_style=S.ACCENT)


def finish(lesson: Lesson, *, right: int, asked: int) -> RenderableType:
    """The last screen: the take-away and where to go next."""
    parts: list[RenderableType] = [Text(f"You finished {lesson.title}.", style=S.GOOD)]
    if asked:
        parts.append(Text(f"Practice checks: {right} of {asked} right."))
    parts.append(Text(""))
    parts.append(Text("Take-away", style=S.STRONG))
    parts.append(insights(lesson))
    nxt = Text()
    nxt.append("Next: ", style=S.STRONG)
    nxt.append("eventlesson quiz", style=S.KEY)
    nxt.append(" for the knowledge check, ")
    nxt.append("eventlesson simulate", style=S.KEY)
    nxt.append(" to watch a purchase (", style="")
    nxt.append("--list", style=S.KEY)
    nxt.append(" for what goes wrong).")
    parts.append(nxt)
    return Panel(Group(*parts), border_style=S.GOOD)


def handout(lesson: Lesson) -> Iterable[RenderableType]:
    """The whole lesson, linearly, checks with their answers: for --print and screen readers.

    Page titles are wrapped text over a plain rule, never cut to fit a rule's title.
    """
    yield Text(lesson.title, style=S.TITLE)
    yield Text(f"{lesson.summary} (about {lesson.minutes} minutes)")
    for number, section in enumerate(lesson.sections, 1):
        yield Text("")
        yield Text(f"{number}/{len(lesson.sections)}  {section.title}", style=S.TITLE)
        yield Rule(style=S.MUTED)
        yield body(lesson, section, interactive=False, reveal=True)
    yield Text("")
    end = Text(f"End of {lesson.title}.", style=S.TITLE)
    last = (
        " ".join(getattr(b, "text", "") for b in lesson.sections[-1].blocks)
        if lesson.sections
        else ""
    )
    if "eventlesson quiz" not in last:  # unless the last page already says where to go next
        end.append(" Test yourself with ", style="")
        end.append_text(inline("`eventlesson quiz`; see every simulation with "))
        end.append_text(inline("`eventlesson simulate --list`."))
    yield end


MENU_INDENT = 9  # "done " and "15. ": where a menu title starts, for wrapped lines to line up


def menu_choices(lesson: Lesson, done: Iterable[str], current: str) -> list[str]:
    """One label per section for the jump menu: a status word, the page number, the title.

    The marks come first so that they line up; the prompt seam adds no letters to these.
    """
    finished = set(done)
    labels = []
    for number, section in enumerate(lesson.sections, 1):
        mark = "here" if section.id == current else "done" if section.id in finished else ""
        labels.append(f"{mark:<4} {number:>2}. {section.title}")
    return labels
