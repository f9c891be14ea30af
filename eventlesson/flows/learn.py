"""The guided lesson loop: show a page, take a key, move, ask the checks, save after every step.

Three ways to show it, chosen by what the terminal can do:
- a full-screen pager (a terminal that can redraw),
- line by line (TERM=dumb: a screen reader or a very plain terminal), typed commands and Enter,
- a linear handout with no prompts (`--print`, or stdin/stdout not a terminal) that never waits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ClassVar, Protocol

from rich.console import Console, Group, RenderableType
from rich.text import Text

from eventlesson.app import App
from eventlesson.errors import Interrupted
from eventlesson.lesson import LessonSession
from eventlesson.models import Lesson, Question
from eventlesson.ui import render_lesson as view
from eventlesson.ui import styles as S
from eventlesson.ui.prompts import fit_choices

NAV_KEYS = {"enter", "n", "right", "b", "left", "m", "q", "s", "r"}
ASK = "Your answer"
MENU = "Jump to which page?"
ADVICE = "no terminal to ask on; use `eventlesson learn --print` for the whole lesson as text"


class Screen(Protocol):
    """How a page reaches the learner and a key comes back."""

    def show(
        self, header: RenderableType, body: RenderableType, footer: Callable[[bool], RenderableType]
    ) -> str:
        """Show a page; return the key pressed (a name from NAV_KEYS)."""
        ...

    def clear(self) -> None:
        """Make room for prompts or a simulation."""
        ...

    def pause(self, prompt: str) -> None:
        """Wait until the learner is ready to go on."""
        ...

    def close(self) -> None:
        """Give the terminal back."""
        ...


class PagerScreen:
    """Full screen, alternate buffer, scrolling, single keys."""

    def __init__(self, console: Console) -> None:
        from eventlesson.flows import terminal

        self._terminal = terminal
        self._pager = terminal.Pager(console)
        self._screen = terminal.alternate_screen()
        self._screen.__enter__()
        self._open = True

    def show(
        self, header: RenderableType, body: RenderableType, footer: Callable[[bool], RenderableType]
    ) -> str:
        frame = self._terminal.Frame(header, body, footer)
        return self._pager.show(frame, NAV_KEYS | {"more"})

    def clear(self) -> None:
        self._pager.leave()

    def pause(self, prompt: str) -> None:
        self._terminal.wait_for_enter(prompt=prompt)

    def close(self) -> None:
        if self._open:
            self._open = False
            self._screen.__exit__(None, None, None)


class LineScreen:
    """Print each page in full and read a typed command: nothing is redrawn or hidden."""

    COMMANDS: ClassVar[dict[str, str]] = {"": "enter", "n": "n", "next": "n", "b": "b", "back": "b"}
    COMMANDS |= {"m": "m", "menu": "m", "q": "q", "quit": "q", "s": "s", "r": "r"}

    def __init__(self, console: Console, read: Callable[[], str] | None = None) -> None:
        self.console = console
        self._read = read or sys.stdin.readline

    def _line(self, prompt: str) -> str:
        self.console.print(prompt, end="", markup=False)
        self.console.file.flush()
        line = self._read()
        if line == "":
            raise Interrupted("end of input")
        return line.strip().lower()

    def show(
        self, header: RenderableType, body: RenderableType, footer: Callable[[bool], RenderableType]
    ) -> str:
        print_trimmed(self.console, header, body, footer(False))
        while True:
            key = self.COMMANDS.get(self._line("> "))
            if key:
                return key
            self.console.print("Type Enter for next, b back, m menu, q quit.", markup=False)

    def clear(self) -> None:
        self.console.print()

    def pause(self, prompt: str) -> None:
        self._line(prompt + " ")

    def close(self) -> None:
        pass


class LessonWalk:
    """One learner walking one lesson; every change is saved at once."""

    def __init__(self, app: App, session: LessonSession, screen: Screen) -> None:
        self.app = app
        self.session = session
        self.screen = screen
        self.prompter = app.prompter(ADVICE)
        self.greeting: RenderableType | None = None

    @property
    def lesson(self) -> Lesson:
        return self.session.lesson

    def run(self) -> str:
        """Walk until the learner finishes ("finished") or quits ("quit")."""
        if self.session.is_returning:
            self.greeting = view.welcome(
                self.lesson,
                recap=self.session.recap(),
                position=self.session.position,
                resume_title=self.session.section.title,
            )
        while True:
            key = self.screen.show(self._header(), self._body(), self._footer)
            self.greeting = None
            if key in ("enter", "n", "right"):
                if self.session.pending_questions():
                    self.ask(self.session.pending_questions())
                elif not self.session.next():
                    self.app.save()
                    return "finished"
            elif key in ("b", "left"):
                self.session.back()
            elif key == "m":
                self.menu()
            elif key == "q":
                return "quit"
            elif key == "s" and self._scenario():
                self.play(self._scenario())
            elif key == "r" and self._answered_checks():
                self.session.forget_checks_on_page()
                self.ask(self.session.pending_questions())
            self.app.save()

    # -- pieces of a page --

    def _header(self) -> RenderableType:
        return view.header(self.lesson, self.session.section, self.session.position)

    def _body(self) -> RenderableType:
        body = view.body(self.lesson, self.session.section, answers=self.session.progress.checks)
        return Group(self.greeting, Text(""), body) if self.greeting is not None else body

    def _footer(self, more: bool) -> RenderableType:
        keys: list[tuple[str, str]] = []
        if more:
            keys.append(("Enter", "more"))
        elif self.session.pending_questions():
            keys.append(("Enter", "start check"))
        else:
            keys.append(("Enter", "finish" if self.session.at_last else "next"))
        if not self.session.at_first:
            keys.append(("b", "back"))
        keys.append(("m", "menu"))
        if self._scenario():
            keys.append(("s", "simulate"))
        if self._answered_checks():
            keys.append(("r", "retry check"))
        keys.append(("q", "quit"))
        note = "space/arrows scroll" if more else ""
        return view.footer(keys, note)

    def _scenario(self) -> str:
        return next((b.scenario for b in self.session.section.blocks if b.kind == "simulation"), "")

    def _answered_checks(self) -> bool:
        return bool(self.session.checks_on_page()) and not self.session.pending_questions()

    # -- actions --

    def ask(self, questions: list[Question]) -> None:
        """Ask check questions one by one, explaining each answer right away."""
        console = self.app.console
        for number, question in enumerate(questions, 1):
            self.screen.clear()
            console.print(self._header())
            console.print(Text(f"Practice question {number} of {len(questions)}", style=S.MUTED))
            texts = [o.text for o in question.options]
            if self.app.dumb:  # the line prompter prints the question and every option in full
                chosen = self.prompter.select(question.prompt, texts)
            else:  # one line per choice in the picker: when one is cut, the full texts go above it
                short = fit_choices(texts, console.width, ASK)
                console.print(view.question_text(question, with_options=short != texts))
                chosen = self.prompter.select(ASK, short)
            self.session.record(question, chosen)
            self.app.save()
            console.print(view.question_feedback(question, chosen))
            self.screen.pause("Press Enter to continue")

    def menu(self) -> None:
        sections = self.lesson.sections
        labels = view.menu_choices(self.lesson, self.session.progress.done, self.session.section.id)
        self.screen.clear()
        choices = [*labels, "Stay on this page"]
        if not self.app.dumb:  # one line per choice in the arrow-key menu
            choices = fit_choices(choices, self.app.console.width, MENU)
        picked = self.prompter.select(MENU, choices, hint="(arrows, Enter)")
        if picked < len(sections):
            self.session.jump(sections[picked].id)

    def play(self, scenario: str) -> None:
        from eventlesson.flows.simulate import play_inline

        self.screen.clear()
        play_inline(self.app.console, scenario)
        self.screen.pause("Press Enter to return to the lesson")


def _score(session: LessonSession) -> tuple[int, int]:
    results = session.progress.checks.values()
    return sum(r.correct for r in results), len(results)


def print_trimmed(console: Console, *parts: RenderableType) -> None:
    """Print without the padding rich adds to line ends: cleaner in files and for screen readers."""
    with console.capture() as captured:
        for part in parts:
            console.print(part)
    console.file.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
    console.file.flush()


def print_handout(app: App, lesson: Lesson) -> None:
    """Print the whole lesson linearly."""
    print_trimmed(app.console, *view.handout(lesson))


def run_learn(
    app: App, lesson_id: str | None, *, restart: bool = False, linear: bool = False
) -> int:
    """The `learn` command: returns the exit code."""
    lesson = app.lesson(lesson_id)
    if linear or not app.interactive:
        print_handout(app, lesson)
        return 0
    session = LessonSession.start(lesson, app.progress.lesson(lesson.id), restart=restart)
    app.save()
    if app.prompter_override is not None or app.dumb:
        screen: Screen = LineScreen(app.console)
    else:
        screen = PagerScreen(app.console)
    try:
        outcome = LessonWalk(app, session, screen).run()
    except (KeyboardInterrupt, Interrupted):
        screen.close()
        app.save()
        return app.goodbye()
    finally:
        screen.close()
    app.save()
    if outcome == "finished":
        right, asked = _score(session)
        app.console.print(view.finish(lesson, right=right, asked=asked))
    else:
        app.console.print(
            Text(
                f"Saved at page {session.position}. Pick up where you left off with: eventlesson learn",
                style=S.MUTED,
            )
        )
    return 0
