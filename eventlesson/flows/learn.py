"""The guided lesson loop: show a page, take a key, move, ask the checks, save after every step.

Three ways to show it, chosen by what the terminal can do (the screens are in `ui.screens`):
- a full-screen pager (a terminal that can redraw, on a platform with termios),
- line by line (TERM=dumb: a screen reader or a very plain terminal; or no termios), typed
  commands and Enter,
- a linear handout with no prompts (`--print`, or stdin/stdout not a terminal) that never waits.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from eventlesson.app import App
from eventlesson.errors import Interrupted, Terminated
from eventlesson.lesson import LessonSession
from eventlesson.models import Lesson, Question, SimulationBlock
from eventlesson.ui import render_lesson as view
from eventlesson.ui import styles as S
from eventlesson.ui.console import print_trimmed
from eventlesson.ui.prompts import wrap_choices
from eventlesson.ui.screens import Keys, LineScreen, PagerScreen, Screen

MENU = "Jump to which page?"
STAY = "Stay on this page"
ADVICE = "no terminal to ask on; use `eventlesson learn --print` for the whole lesson as text"


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
            key = self.screen.show(self._header(), self._body(), self._keys())
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

    def _keys(self) -> Keys:
        """The keys that do something on this page, in the order the footer lists them."""
        keys: list[tuple[str, str]] = []
        if self.session.pending_questions():
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
        return keys

    def _scenario(self) -> str:
        blocks = self.session.section.blocks
        return next((b.scenario for b in blocks if isinstance(b, SimulationBlock)), "")

    def _answered_checks(self) -> bool:
        return bool(self.session.checks_on_page()) and not self.session.pending_questions()

    # -- actions --

    def ask(self, questions: list[Question]) -> None:
        """Ask check questions one by one, in authored option order, explaining each answer."""
        from eventlesson.flows.ask import ask  # not needed for the first page: imported late
        from eventlesson.quiz import grade, show
        from eventlesson.ui.render_question import render_feedback

        console = self.app.console
        on_page = self.session.questions_on_page()
        for question in questions:
            self.screen.clear()
            console.print(self._header())
            shown = show(question)  # no shuffling: letters follow the content
            number = on_page.index(question) + 1
            picked = ask(
                self.app, self.prompter, shown, number=number, total=len(on_page), practice=True
            )
            result = grade(shown, picked)
            self.session.record(question, result.chosen)
            self.app.save()
            console.print(render_feedback(result))
            self.screen.pause("Press Enter to continue")

    def menu(self) -> None:
        """Jump to any page; the cursor starts on this one."""
        sections = self.lesson.sections
        here = self.session.index
        labels = view.menu_choices(self.lesson, self.session.progress.done, self.session.section.id)
        self.screen.clear()
        if self.app.dumb:  # typed: a page number, or Enter to stay
            picked = self.prompter.select(MENU, labels, default=here, letters=False)
        else:  # arrow keys: long titles wrap under themselves; the pager redraws after
            stay = f"{'':<{view.MENU_INDENT}}{STAY}"
            choices = wrap_choices([*labels, stay], self.app.console.width, view.MENU_INDENT)
            picked = self.prompter.select(
                MENU, choices, hint="(arrows, Enter)", default=here, letters=False
            )
        if picked < len(sections) and picked != here:
            self.session.jump(sections[picked].id)

    def play(self, scenario: str) -> None:
        from eventlesson.flows.simulate import play_inline
        from eventlesson.sim import SCENARIOS

        self.screen.clear()
        if scenario in SCENARIOS:
            if play_inline(self.app.console, scenario, self.app.env.sim_speed):
                return  # the learner already left it (a key on its final screen, q or Ctrl-C)
        else:  # content that skipped `content check`: say so rather than crash mid-lesson
            self.app.console.print(
                Text(f"This page offers a simulation this version does not have: {scenario!r}.")
            )
        self.screen.pause("Press Enter to return to the lesson")


def _score(session: LessonSession) -> tuple[int, int]:
    results = session.progress.checks.values()
    return sum(r.correct for r in results), len(results)


def print_handout(app: App, lesson: Lesson) -> None:
    """Print the whole lesson linearly."""
    print_trimmed(app.console, *view.handout(lesson))


def run_learn(
    app: App,
    lesson_id: str | None,
    *,
    restart: bool = False,
    linear: bool = False,
    screen: Screen | None = None,
) -> int:
    """The `learn` command: returns the exit code. `screen`: where pages go (tests pass one)."""
    lesson = app.lesson(lesson_id)
    if linear or not app.interactive:
        print_handout(app, lesson)
        return 0
    session = LessonSession.start(lesson, app.progress.lesson(lesson.id), restart=restart)
    app.save()
    if screen is None:
        screen = PagerScreen(app.console) if app.full_screen else LineScreen(app.console)
    # A warning given while the full-screen view is up is gone with it: say it again after.
    # (One given before it opened is still on the screen the view gives back.)
    hidden = isinstance(screen, PagerScreen) and app.store.writable
    try:
        try:
            outcome = LessonWalk(app, session, screen).run()
        finally:
            screen.close()
    except (KeyboardInterrupt, Interrupted):
        app.flush_warnings(again=hidden)
        return app.goodbye()
    except Terminated:  # SIGTERM or SIGHUP: the screen is closed; save, the CLI exits 143/129
        app.save()
        raise
    app.flush_warnings(again=hidden)
    app.save()
    if outcome == "finished":
        right, asked = _score(session)
        app.console.print(view.finish(lesson, right=right, asked=asked))
    else:
        saved = "Saved at" if app.progress_kept else "Stopped at (progress could not be saved)"
        app.console.print(
            Text(
                f"{saved} page {session.position}. Pick up where you left off with: eventlesson learn",
                style=S.MUTED,
            )
        )
    return 0
