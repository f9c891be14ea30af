"""The guided lesson as a state machine: which page, what is done, what the learner answered.

Core module: standard library only (no rich, questionary or typer). The interactive loop in
`flows.learn` drives it; it never prints or waits.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventlesson.models import Check, CheckBlock, Lesson, Question, QuizBlock, Section
from eventlesson.progress import CheckResult, LessonProgress, now_iso


@dataclass
class LessonSession:
    """A learner's walk through one lesson, backed by their saved progress."""

    lesson: Lesson
    progress: LessonProgress
    index: int = 0

    @classmethod
    def start(
        cls, lesson: Lesson, progress: LessonProgress, *, restart: bool = False
    ) -> LessonSession:
        """Resume where the learner left, or begin at the first page."""
        if restart:
            progress.current = ""
            progress.done.clear()
            progress.checks.clear()
            progress.finished_at = ""
        # Forget ids of pages that no longer exist, so an edited lesson never breaks a resume.
        known = {s.id for s in lesson.sections}
        progress.done[:] = [d for d in progress.done if d in known]
        if progress.finished_at and not is_complete(lesson, progress):
            # Finished before the lesson gained a page or a check: not finished with this one.
            progress.finished_at = ""
        index = 0
        if progress.current in known:
            index = lesson.section_index(progress.current)
        session = cls(lesson, progress, index)
        session._land()
        return session

    # -- where we are --

    @property
    def section(self) -> Section:
        return self.lesson.sections[self.index]

    @property
    def total(self) -> int:
        return len(self.lesson.sections)

    @property
    def position(self) -> str:
        """e.g. "4/15"."""
        return f"{self.index + 1}/{self.total}"

    @property
    def at_first(self) -> bool:
        return self.index == 0

    @property
    def at_last(self) -> bool:
        return self.index == self.total - 1

    @property
    def is_returning(self) -> bool:
        """Whether the learner has been here before (something to recap)."""
        return bool(self.progress.done)

    # -- moving --

    def _land(self) -> None:
        self.progress.current = self.section.id
        self.progress.touch()

    def next(self) -> bool:
        """Finish this page and go to the next; False on the last page.

        The lesson counts as finished only when every page has been seen and every check and
        quiz set on them answered (`complete`), not merely when the last page is left.
        """
        self.progress.mark_done(self.section.id)
        if self.at_last:
            if self.complete:
                self.progress.finished_at = self.progress.finished_at or now_iso()
            self.progress.touch()
            return False
        self.index += 1
        self._land()
        return True

    def back(self) -> bool:
        """Go to the previous page; False on the first."""
        if self.at_first:
            return False
        self.index -= 1
        self._land()
        return True

    def jump(self, section_id: str) -> None:
        """Go to any page by id."""
        self.index = self.lesson.section_index(section_id)
        self._land()

    # -- checks --

    def checks_on_page(self) -> list[Check]:
        """The practice checks this page asks."""
        blocks = self.section.blocks
        return [self.lesson.check(b.check) for b in blocks if isinstance(b, CheckBlock)]

    def questions_on_page(self) -> list[Question]:
        """Every question of this page's checks, in the order they are asked."""
        return [q for c in self.checks_on_page() for q in c.questions]

    def quiz_on_page(self) -> str:
        """The quiz set this page administers (the knowledge check), or ""."""
        return next((b.quiz for b in self.section.blocks if isinstance(b, QuizBlock)), "")

    def quiz_taken(self, set_name: str) -> bool:
        """Whether the learner has completed at least one run of a quiz set."""
        return _taken(self.progress, set_name)

    def pending_questions(self) -> list[Question]:
        """Check questions on this page the learner has not answered yet."""
        return [q for q in self.questions_on_page() if q.id not in self.progress.checks]

    def record(self, question: Question, chosen: int) -> CheckResult:
        """Keep the learner's answer to a check question."""
        result = CheckResult(chosen=chosen, correct=question.is_correct(chosen), at=now_iso())
        self.progress.checks[question.id] = result
        self.progress.touch()
        return result

    def forget_checks_on_page(self) -> None:
        """Clear this page's answers so its checks can be tried again."""
        for check in self.checks_on_page():
            for q in check.questions:
                self.progress.checks.pop(q.id, None)

    # -- how far --

    def unseen(self) -> list[Section]:
        """Pages not finished yet, in lesson order."""
        return unseen(self.lesson, self.progress)

    def unanswered(self) -> list[str]:
        """Titles of the checks (and quiz sets) with a question not answered yet, in page order."""
        return unanswered(self.lesson, self.progress)

    @property
    def complete(self) -> bool:
        """Every page seen and every check and quiz set on them answered."""
        return is_complete(self.lesson, self.progress)

    # -- summaries --

    def recap(self, limit: int = 3) -> list[str]:
        """Up to `limit` short lines on what the learner covered, most recent last."""
        titles = {s.id: (s.recap or s.title) for s in self.lesson.sections}
        covered = [titles[d] for d in self.progress.done if d in titles]
        return covered[-limit:]


def unseen(lesson: Lesson, progress: LessonProgress) -> list[Section]:
    """The lesson's pages the learner has not finished, in lesson order."""
    done = set(progress.done)
    return [s for s in lesson.sections if s.id not in done]


def unanswered(lesson: Lesson, progress: LessonProgress) -> list[str]:
    """Titles of the lesson's checks (and pages of quiz sets) with a question not answered yet,
    in page order."""
    open_: list[str] = []
    for section in lesson.sections:
        for block in section.blocks:
            if isinstance(block, CheckBlock):
                check = lesson.check(block.check)
                if any(q.id not in progress.checks for q in check.questions):
                    open_.append(check.title)
            elif isinstance(block, QuizBlock) and not _taken(progress, block.quiz):
                open_.append(section.title)
    return open_


def _taken(progress: LessonProgress, set_name: str) -> bool:
    """Whether the learner has completed at least one run of a quiz set."""
    record = progress.quiz.get(set_name)
    return record is not None and record.attempts > 0


def is_complete(lesson: Lesson, progress: LessonProgress) -> bool:
    """Every page of the lesson as it is now seen, and every check and quiz set on them answered."""
    return not unseen(lesson, progress) and not unanswered(lesson, progress)


def lesson_status(lesson: Lesson, progress: LessonProgress) -> str:
    """One word for a lesson's state: new, started or finished.

    "Finished" is worked out from what was done against the lesson as it is now (every page
    seen, every check and quiz set answered), never read from a stored flag: progress saved
    before the lesson gained a page or a check is "started" again.
    """
    if progress.done and is_complete(lesson, progress):
        return "finished"
    if progress.done or progress.current:
        return "started"
    return "new"
