"""The lesson state machine: moving, finishing, resuming, checks and recaps."""

from __future__ import annotations

import dataclasses

from eventlesson.content import load_lesson
from eventlesson.lesson import LessonSession, lesson_status
from eventlesson.models import InsightsBlock, Section
from eventlesson.progress import LessonProgress, QuizRecord

from .support import FIXTURE_COURSE


def _session(progress: LessonProgress | None = None, restart: bool = False) -> LessonSession:
    return LessonSession.start(
        load_lesson("mini", FIXTURE_COURSE), progress or LessonProgress(), restart=restart
    )


def test_next_back_jump_and_finish() -> None:
    s = _session()
    assert (s.position, s.at_first, s.is_returning) == ("1/3", True, False)
    assert s.back() is False
    assert s.next() and s.section.id == "two"
    assert s.back() and s.section.id == "one"
    s.jump("three")
    assert s.position == "3/3" and s.at_last
    assert s.next() is False
    assert s.progress.done == ["one", "three"]
    assert not s.progress.finished_at  # page two unseen, its check and the quiz unanswered
    assert [p.id for p in s.unseen()] == ["two"]
    assert s.unanswered() == ["Kinds", "Page three"]
    assert lesson_status(s.lesson, s.progress) == "started"


def test_finished_only_when_every_page_is_seen_and_every_check_answered() -> None:
    s = _session()
    s.next()
    s.record(s.pending_questions()[0], 2)
    s.next()
    assert s.quiz_on_page() == "knowledge-check" and not s.quiz_taken("knowledge-check")
    assert s.next() is False and not s.progress.finished_at  # the quiz is still open
    s.progress.quiz["knowledge-check"] = QuizRecord(attempts=1, last=1, best=1, total=1)
    assert s.quiz_taken("knowledge-check") and s.complete
    assert s.next() is False
    assert s.progress.finished_at
    assert lesson_status(s.lesson, s.progress) == "finished"


def test_finished_is_worked_out_against_the_lesson_as_it_is_now() -> None:
    """Progress saved as finished before the lesson gained a page is not finished with the
    lesson as it is now: the status says "started", and the stale finish time goes on load."""
    s = _session()
    s.next()
    s.record(s.pending_questions()[0], 2)
    s.next()
    s.progress.quiz["knowledge-check"] = QuizRecord(attempts=1, last=1, best=1, total=1)
    assert s.next() is False and s.progress.finished_at
    assert lesson_status(s.lesson, s.progress) == "finished"
    page = Section("four", "Page four", (InsightsBlock(),), recap="Page four, new.")
    grown = dataclasses.replace(s.lesson, sections=(*s.lesson.sections, page))
    assert lesson_status(grown, s.progress) == "started"  # the stored time does not decide
    resumed = LessonSession.start(grown, s.progress)
    assert not resumed.progress.finished_at and not resumed.complete
    assert [p.id for p in resumed.unseen()] == ["four"]
    resumed.jump("four")
    assert resumed.next() is False and resumed.progress.finished_at  # finished with this one
    assert lesson_status(grown, resumed.progress) == "finished"


def test_finished_needs_every_check_and_quiz_set_not_just_every_page() -> None:
    s = _session()
    for _ in range(3):
        s.next()
    assert s.progress.done == ["one", "two", "three"]  # every page, nothing answered
    assert lesson_status(s.lesson, s.progress) == "started"
    stale = LessonProgress(done=["one", "two", "three"], finished_at="2024-01-01T00:00:00+00:00")
    assert lesson_status(s.lesson, stale) == "started"  # a stored finish time is not enough


def test_resume_where_left_and_recap() -> None:
    s = _session()
    s.next()
    s.next()
    resumed = _session(s.progress)
    assert resumed.section.id == "three"
    assert resumed.is_returning
    assert resumed.recap() == ["Page one said hello.", "Page two asked a question."]
    assert lesson_status(resumed.lesson, resumed.progress) == "started"


def test_restart_forgets_pages_and_checks() -> None:
    s = _session()
    s.next()
    s.record(s.pending_questions()[0], 2)
    again = _session(s.progress, restart=True)
    assert again.section.id == "one" and again.progress.done == [] and again.progress.checks == {}


def test_resume_survives_a_page_that_no_longer_exists() -> None:
    progress = LessonProgress(current="gone", done=["gone", "one"])
    s = _session(progress)
    assert s.section.id == "one" and s.progress.done == ["one"]


def test_checks_are_pending_until_answered_and_can_be_retried() -> None:
    s = _session()
    s.next()
    (question,) = s.pending_questions()
    result = s.record(question, 0)
    assert result.correct is False
    assert s.pending_questions() == []
    assert s.questions_on_page() == [question]
    s.forget_checks_on_page()
    assert s.pending_questions() == [question]
    assert s.record(question, 2).correct is True
