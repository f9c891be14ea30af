"""The guided lesson loop: show a page, take a key, move, ask the checks, save after every step.

Three ways to show it, chosen by what the terminal can do:
- a full-screen pager (a terminal that can redraw),
- line by line (TERM=dumb: a screen reader or a very plain terminal), typed commands and Enter,
  and no box or line-drawing characters;
- a linear handout with no prompts (`--print`, or stdin/stdout not a terminal) that never waits.

The knowledge check is administered inside the session, on its own page after the wrap-up, by
the same code as `eventlesson quiz` (so it is saved the same way); the practice set is offered
right after it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from eventlesson.app import App
from eventlesson.errors import Interrupted, Terminated
from eventlesson.flows.invocation import command_name
from eventlesson.lesson import LessonSession, lesson_status
from eventlesson.models import (
    CheckBlock,
    GlossaryBlock,
    Lesson,
    PredictCheck,
    Question,
    QuizBlock,
    Section,
    SimulationBlock,
)
from eventlesson.ui import render_lesson as view
from eventlesson.ui import styles as S
from eventlesson.ui.console import print_trimmed
from eventlesson.ui.prompts import Left, wrap_choices
from eventlesson.ui.screens import Keys, LineScreen, PagerScreen, Part, Screen

if TYPE_CHECKING:
    from eventlesson.quiz import Result

MENU = "Jump to which page?"
STAY = "Stay on this page"
WHICH_RUN = "Which run?"
WHAT_NOW = "What would you like to do?"
PRACTICE = "Practice set"  # the header over its questions
PRACTICE_NOW = "Try the practice set now?"
ADVICE = "no terminal to ask on; use `eventlesson learn --print` for the whole lesson as text"
RESTART = (
    "Start the lesson over? This forgets the pages you have seen and your practice answers "
    "(quiz scores are kept)."
)


class LessonWalk:
    """One learner walking one lesson; every change is saved at once."""

    def __init__(self, app: App, session: LessonSession, screen: Screen) -> None:
        self.app = app
        self.session = session
        self.screen = screen
        self.prompter = app.prompter(ADVICE)
        self.plain = app.dumb
        self.greeting: RenderableType | None = None
        # Where the next show of the page starts, when not at its top: back from a check, a
        # run or the knowledge check, the block it belongs to, (page id, block index); back
        # from the glossary or the menu, where the learner had scrolled to (`keep`).
        self.anchor: tuple[str, int] | None = None
        self.keep = False

    @property
    def lesson(self) -> Lesson:
        return self.session.lesson

    def run(self) -> str:
        """Walk until the learner finishes ("finished") or quits ("quit")."""
        if lesson_status(self.lesson, self.session.progress) == "finished":
            if self.after_finishing():
                return "finished"
        elif self.session.is_returning:
            self.greeting = view.welcome(
                self.lesson,
                recap=self.session.recap(),
                position=self.session.position,
                resume_title=self.session.section.title,
                plain=self.plain,
            )
        while True:
            key = self.screen.show(
                self._header(), self._body(), self._keys(), reveal=self._reveal(), keep=self.keep
            )
            self.greeting = None
            self.anchor, self.keep = None, False
            quiz = self.session.quiz_on_page()
            if key in ("enter", "n", "right"):
                if self.session.pending_questions():
                    self.ask(self.session.pending_questions())
                elif quiz and not self.session.quiz_taken(quiz):
                    if self.knowledge_check(quiz, first=True) and not self.session.next():
                        return self._end()
                elif not self.session.next():
                    return self._end()
            elif key in ("b", "left"):
                self.session.back()
            elif key == "m":
                self.keep = self.menu()
            elif key == "q":
                return "quit"
            elif key == "s" and self._scenarios():
                self.play(self._pick_scenario())
            elif key == "r" and self._answered_checks():
                self.session.forget_checks_on_page()
                self.ask(self.session.pending_questions())
            elif key == "r" and quiz and self.session.quiz_taken(quiz):
                self.knowledge_check(quiz, first=False)
            elif key == "g" and self.lesson.glossary:
                self.glossary()
                self.keep = True
            self.app.save()

    def _end(self) -> str:
        self.app.save()
        return "finished"

    # -- pieces of a page --

    def _header(self, *, compact: bool = False, title: str = "") -> RenderableType:
        """The page's header; `title` in place of the page's title (the practice set's
        questions, asked on the knowledge check's page)."""
        section = self.session.section
        if title:
            section = dataclasses.replace(section, title=title)
        return view.header(
            self.lesson, section, self.session.position, plain=self.plain, compact=compact
        )

    def _body(self) -> RenderableType:
        body = view.body(
            self.lesson,
            self.session.section,
            answers=self.session.progress.checks,
            scores=self.session.progress.quiz,
            plain=self.plain,
        )
        return Group(self.greeting, Text(""), body) if self.greeting is not None else body

    def _reveal(self) -> Part | None:
        """The block to bring into view, and all the body shows above it (see `anchor`)."""
        section = self.session.section
        if self.anchor is None or self.anchor[0] != section.id:
            return None  # on another page by now (the knowledge check moved on, say)
        above, part = view.block_on_page(
            self.lesson,
            section,
            self.anchor[1],
            answers=self.session.progress.checks,
            scores=self.session.progress.quiz,
            plain=self.plain,
        )
        if self.greeting is not None:
            above = Group(self.greeting, Text(""), above)
        return above, part

    def _anchor_at(self, *, check: str = "", quiz: str = "", scenario: str = "") -> None:
        """Come back to this page's block of a check, a quiz set, or a simulation."""
        section = self.session.section
        for index, block in enumerate(section.blocks):
            if (
                (isinstance(block, CheckBlock) and block.check == check)
                or (isinstance(block, QuizBlock) and block.quiz == quiz)
                or (isinstance(block, SimulationBlock) and block.scenario == scenario)
            ):
                self.anchor = (section.id, index)
                return

    def _keys(self) -> Keys:
        """The keys that do something on this page, in the order the footer lists them."""
        keys: list[tuple[str, str]] = []
        quiz = self.session.quiz_on_page()
        pending = self.session.pending_questions()
        if pending and pending[0].kind == "predict":
            keys.append(("Enter", "predict"))
        elif pending:
            keys.append(("Enter", "start check"))
        elif quiz and not self.session.quiz_taken(quiz):
            keys.append(("Enter", "start the knowledge check"))
        else:
            keys.append(("Enter", "finish" if self.session.at_last else "next"))
        if not self.session.at_first:
            keys.append(("b", "back"))
        keys.append(("m", "menu"))
        if self.lesson.glossary and self._glossary_page() != self.session.section.id:
            keys.append(("g", "glossary"))
        if self._scenarios():
            keys.append(("s", "simulate"))
        if self._answered_checks():
            keys.append(("r", "retry check"))
        elif quiz and self.session.quiz_taken(quiz):
            keys.append(("r", "retake"))
        keys.append(("q", "quit"))
        return keys

    def _scenarios(self) -> list[str]:
        """The runs this page can play: its simulations and the scenarios of its predictions."""
        plays = [b.scenario for b in self.session.section.blocks if isinstance(b, SimulationBlock)]
        plays += [c.scenario for c in self.session.checks_on_page() if isinstance(c, PredictCheck)]
        return list(dict.fromkeys(plays))

    def _prediction(self, scenario: str) -> PredictCheck | None:
        found = [c for c in self.session.checks_on_page() if isinstance(c, PredictCheck)]
        return next((c for c in found if c.scenario == scenario), None)

    def _answered_checks(self) -> bool:
        return bool(self.session.checks_on_page()) and not self.session.pending_questions()

    def _glossary_page(self) -> str | None:
        for section in self.lesson.sections:
            if any(isinstance(b, GlossaryBlock) for b in section.blocks):
                return section.id
        return None

    # -- actions --

    def _question_screen(
        self, intro: RenderableType | None = None, below: int | None = None, *, title: str = ""
    ) -> None:
        """A clean screen with the page header (and a check's `intro`), for one question that
        takes `below` rows under them (None: not known).

        On a screen too short for all of it the header shrinks to one line, then the intro is
        left out (the page showed it just above the key that started the check), so the header
        stays in view above the question. Printed line by line (TERM=dumb), all of it is kept.
        """
        console = self.app.console
        self.screen.clear()
        header = self._header(title=title)
        if not self.plain:
            room = console.height - 1  # the last row holds the cursor

            def rows(*parts: RenderableType) -> int:
                return len(console.render_lines(Group(*parts), console.options, pad=False))

            shown = [header] if intro is None else [header, intro]
            if below is None:  # what follows is not known (a quiz question): spare rows
                header = self._header(compact=room < 23, title=title)
            elif rows(*shown) + below > room:
                header = self._header(compact=True, title=title)
                if intro is not None and rows(header, intro) + below > room:
                    intro = None
        console.print(header)
        if intro is not None:
            console.print(intro)

    def _wait(self, last: bool) -> None:
        """After an explanation: Enter goes on; Esc, q or b leave (what was answered is kept)."""
        prompt = "Press Enter to continue" if last else "Press Enter for the next question"
        if not self.screen.pause(f"{prompt} (q leaves)", leave=True):
            raise Left

    def ask(self, questions: list[Question]) -> None:
        """Ask check questions one by one, in authored option order, explaining each answer.

        Esc or q at a question, or Esc, q or b after an explanation, leave the check; the answers
        given so far are saved and the page shows how many remain.
        """
        from eventlesson.flows.ask import ask, height  # not for the first page: imported late
        from eventlesson.quiz import grade, show
        from eventlesson.ui.render_question import render_feedback

        console = self.app.console
        on_page = self.session.questions_on_page()
        check_of = {q.id: c for c in self.session.checks_on_page() for q in c.questions}
        introduced: set[str] = set()
        try:
            for count, question in enumerate(questions, 1):
                check = check_of[question.id]
                self._anchor_at(check=check.id)
                intro = None
                if check.intro and check.id not in introduced:  # its setting, once per run
                    introduced.add(check.id)
                    intro = view.md(check.intro)
                shown = show(question)  # no shuffling: letters follow the content
                number, total = on_page.index(question) + 1, len(on_page)
                practice = not isinstance(check, PredictCheck)
                below = height(
                    self.app, shown, number=number, total=total, practice=practice, leave=True
                )
                self._question_screen(intro, below)
                picked = ask(
                    self.app,
                    self.prompter,
                    shown,
                    number=number,
                    total=total,
                    practice=practice,
                    leave=True,
                )
                result = grade(shown, picked)
                self.session.record(question, result.chosen)
                self.app.save()
                if isinstance(check, PredictCheck):  # no verdict yet: watch first
                    self.watch_and_compare(check, result)
                else:
                    console.print(render_feedback(result))
                self._wait(last=count == len(questions))
        except Left:
            return

    def watch_and_compare(
        self, check: PredictCheck, result: Result, *, again: bool = False
    ) -> None:
        """After a prediction: play its scenario, then show the answer next to what the run
        showed and both explanations. Esc, q or b before the run leaves (the answer is kept).
        `again`: a new run for a prediction answered before."""
        from eventlesson.flows.predict import comparison, watch
        from eventlesson.ui.prose import inline

        console = self.app.console
        if again:
            said = inline(f"Your prediction: {result.chosen_letter}) {result.chosen_option.text}")
            console.print(said.append(f" Watch the '{check.scenario}' run again, then compare."))
        else:
            console.print(
                Text(
                    f"Noted. Now watch the '{check.scenario}' run; "
                    "then see how your prediction did."
                )
            )
        if not self.screen.pause("Press Enter to start the run (q leaves)", leave=True):
            raise Left
        self.screen.clear()
        measured, left = watch(self.app, check.scenario)
        if not left:  # printed line by line (TERM=dumb): let it be read first
            self.screen.pause("Press Enter to see how your prediction did")
        self._question_screen()
        console.print(comparison(result, measured, plain=self.plain))

    def knowledge_check(self, set_name: str, *, first: bool) -> bool:
        """Administer a quiz set as `eventlesson quiz` does; True when a run was completed.

        The first time (`first`), the practice set is offered right after it.
        """
        questions = self.lesson.quiz_questions(set_name)
        if not questions:
            return False
        self._anchor_at(quiz=set_name)
        if not self._administer(set_name, questions):
            return False
        if first and set_name != "practice":
            self.offer_practice()
        return True

    def offer_practice(self) -> None:
        """Offer the practice set in place: Enter starts it."""
        practice = self.lesson.quiz_questions("practice")
        if not practice:
            return
        self.app.console.print()
        self.app.console.print(Text(practice_offer(practice)))  # wraps at words, the prompt may not
        if not self.prompter.confirm(PRACTICE_NOW, default=True):
            return
        if self._administer("practice", practice):
            self.screen.pause("Press Enter to finish")

    def _administer(self, set_name: str, questions: tuple[Question, ...]) -> bool:
        """Ask a quiz set, shuffled and saved as the quiz is; False when the learner left it."""
        from eventlesson.flows.quiz import administer
        from eventlesson.quiz import Session

        title = PRACTICE if set_name == "practice" else ""  # not the page's own set
        try:
            administer(
                self.app,
                self.prompter,
                self.lesson,
                Session(self.lesson.id, set_name, questions),
                before=lambda: self._question_screen(title=title),
                after=lambda: self._wait(last=True),
                leave=True,
            )
        except Left:
            return False
        return True

    def after_finishing(self) -> bool:
        """A learner back after finishing: say so, offer the knowledge check, practice or a review.

        True when the session should end here (they took a quiz set or chose to leave).
        """
        from eventlesson.flows.info import when

        record = self.session.progress.quiz.get("knowledge-check")
        options: list[tuple[str, str]] = [("review", "Review the lesson from the first page")]
        if self.lesson.quiz_questions("knowledge-check"):
            options.append(("knowledge-check", "Take the knowledge check again"))
        practice = self.lesson.quiz_questions("practice")
        if practice:
            options.append(
                ("practice", f"Try the practice set ({view.counted(len(practice), 'question')})")
            )
        options.append(("leave", "Leave for now"))
        self.screen.clear()
        self.app.console.print(
            view.finished_greeting(
                self.lesson, when=when(self.session.progress.finished_at), record=record
            )
        )
        picked = options[self.prompter.select(WHAT_NOW, [text for _, text in options])][0]
        if picked == "review":
            self.session.jump(self.lesson.sections[0].id)
            return False
        if picked != "leave":
            self.knowledge_check(picked, first=False)
            self.screen.pause("Press Enter to finish")
        return True

    def menu(self) -> bool:
        """Jump to any page; the cursor starts on this one. True when the learner stayed."""
        sections = self.lesson.sections
        here = self.session.index
        progress = self.session.progress
        labels = view.menu_choices(
            self.lesson, progress.done, self.session.section.id, progress.checks, progress.quiz
        )
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
            return False
        return True

    def glossary(self) -> None:
        """Show the glossary over the current page; any key comes back to it."""
        page_id = self._glossary_page()
        if page_id is not None:
            page = self.lesson.sections[self.lesson.section_index(page_id)]
        else:  # a lesson with a glossary but no page for it
            page = Section("glossary", "Glossary", (GlossaryBlock(),))
        header = view.header(self.lesson, page, "glossary", plain=self.plain)
        body = view.body(self.lesson, page, plain=self.plain)
        back = [("Enter", f"back to {self.session.section.title}")]
        self.screen.show(header, body, back, aside=True)

    def _pick_scenario(self) -> str:
        scenarios = self._scenarios()
        if len(scenarios) == 1:
            return scenarios[0]
        self.screen.clear()
        return scenarios[self.prompter.select(WHICH_RUN, scenarios)]

    def play(self, scenario: str) -> None:
        """Play a run of this page. A prediction about it is asked first if still open; one
        already answered is shown next to this run afterwards."""
        from eventlesson.flows.simulate import play_inline
        from eventlesson.quiz import grade, show
        from eventlesson.sim import SCENARIOS

        prediction = self._prediction(scenario)
        self._anchor_at(check=prediction.id if prediction else "", scenario=scenario)
        if prediction is not None:
            question = prediction.questions[0]
            answer = self.session.progress.checks.get(question.id)
            if answer is None:
                self.ask([question])
                return
            try:
                self._question_screen()
                self.watch_and_compare(prediction, grade(show(question), answer.chosen), again=True)
                self._wait(last=True)
            except Left:
                pass
            return
        self.screen.clear()
        if scenario in SCENARIOS:
            if play_inline(self.app.console, scenario, self.app.env.sim_speed):
                return  # the learner already left it (a key on its final screen, q or Ctrl-C)
        else:  # content that skipped `content check`: say so rather than crash mid-lesson
            self.app.console.print(
                Text(f"This page offers a simulation this version does not have: {scenario!r}.")
            )
        self.screen.pause("Press Enter to return to the lesson")


def practice_offer(questions: tuple[Question, ...]) -> str:
    """What the practice set holds, said before it is offered, e.g. "The practice set: 12 more
    questions, 4 of them predictions." (the offer itself, `PRACTICE_NOW`, is short enough for
    its "(Y/n)" to stay on its line at 40 columns: a prompt wraps in the middle of a word)."""
    predictions = sum(q.kind == "predict" for q in questions)
    said = f"The practice set: {view.counted(len(questions), 'more question')}"
    if predictions:
        said += f", {predictions} of them {'a prediction' if predictions == 1 else 'predictions'}"
    return said + "."


def _score(session: LessonSession) -> tuple[int, int]:
    results = session.progress.checks.values()
    return sum(r.correct for r in results), len(results)


def print_handout(app: App, lesson: Lesson) -> None:
    """Print the whole lesson linearly."""
    print_trimmed(app.console, *view.handout(lesson, command=command_name(), plain=app.dumb))


def run_learn(
    app: App,
    lesson_id: str | None,
    *,
    restart: bool = False,
    yes: bool = False,
    linear: bool = False,
    screen: Screen | None = None,
) -> int:
    """The `learn` command: returns the exit code. `screen`: where pages go (tests pass one)."""
    lesson = app.lesson(lesson_id)
    if linear or not app.interactive:
        print_handout(app, lesson)
        return 0
    progress = app.progress.lesson(lesson.id)
    if restart and not yes and (progress.done or progress.checks or progress.current):
        try:
            restart = app.prompter(ADVICE).confirm(RESTART, default=False)
        except (KeyboardInterrupt, Interrupted):
            return app.goodbye()
        if not restart:
            app.console.print(Text("Kept your progress; resuming.", style=S.MUTED))
    session = LessonSession.start(lesson, progress, restart=restart)
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
    command = command_name()
    if outcome == "finished":
        right, asked = _score(session)
        app.console.print(
            view.finish(
                lesson,
                right=right,
                asked=asked,
                record=session.progress.quiz.get("knowledge-check"),
                unseen=[s.title for s in session.unseen()],
                unanswered=session.unanswered(),
                command=command,
                plain=app.dumb,
            ),
            crop=False,
        )
    else:
        saved = "Saved at" if app.progress_kept else "Stopped at (progress could not be saved)"
        app.console.print(
            Text(
                f"{saved} page {session.position}. Pick up where you left off with: "
                f"{command} learn",
                style=S.MUTED,
            )
        )
    return 0
