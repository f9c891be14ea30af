"""The quiz core: answer parsing, seeded shuffling, display/authored mapping, grading, retries,
and progress records."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlesson.errors import UsageError
from eventlesson.models import Option, Question, letter
from eventlesson.progress import QuizRecord
from eventlesson.quiz import (
    Run,
    Session,
    check_set,
    grade,
    grade_answers,
    parse_answers,
    questions_for,
    record_answer,
    record_run,
    show,
)

from .support import fixture_lesson


def make_question(qid: str, n_options: int = 3, answer: int = 0, section: str = "s") -> Question:
    return Question(
        id=qid,
        prompt=f"prompt of {qid}",
        options=tuple(
            Option(f"{qid} option {letter(i)}", f"{qid} why {letter(i)}") for i in range(n_options)
        ),
        answer=answer,
        section=section,
        set="practice",
    )


QUESTIONS = (make_question("q1", 3, 0), make_question("q2", 4, 2), make_question("q3", 2, 1))


# -- answers ----------------------------------------------------------------------------------


def test_parse_answers_reads_letters_case_insensitively_with_spaces() -> None:
    assert parse_answers("a, C ,B", QUESTIONS) == [0, 2, 1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A,B", "expected 3 letters, got 2"),
        ("", "expected 3 letters, got 0"),
        ("A,B,C,D", "expected 3 letters, got 4"),
        ("ABC", "expected 3 letters, got 1"),
        ("A,B,C", "answer 3 is 'C', but question 3 (q3) has options A-B"),
        ("A,E,A", "answer 2 is 'E', but question 2 (q2) has options A-D"),
        ("A,1,A", "answer 2 is '1', not a letter (A-D)"),
        ("A,,A", "answer 2 is nothing, not a letter"),
        ("A,BB,A", "answer 2 is 'BB', not a letter"),
        ("A,é,A", "not a letter"),
    ],
)
def test_parse_answers_rejects_with_one_clear_line(raw: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_answers(raw, QUESTIONS)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert "--" not in message  # the core names no command-line option; the flow adds it


def test_wrong_count_message_shows_an_example_of_the_right_length() -> None:
    with pytest.raises(UsageError, match=r"e\.g\. A,B,C\)"):
        parse_answers("A", QUESTIONS)


def test_check_set_accepts_known_sets_and_rejects_others() -> None:
    assert check_set("Practice ") == "practice"
    assert check_set("all") == "all"
    with pytest.raises(
        UsageError, match="unknown question set 'nope'; use one of: knowledge-check"
    ):
        check_set("nope")


# -- showing and grading ----------------------------------------------------------------------


def test_show_without_rng_keeps_authored_order() -> None:
    shown = show(QUESTIONS[1])
    assert shown.order == (0, 1, 2, 3)
    assert shown.choices == tuple(o.text for o in QUESTIONS[1].options)


def test_same_seed_same_order_and_different_seeds_differ_somewhere() -> None:
    question = make_question("big", 6)
    first = show(question, random.Random(7)).order
    assert show(question, random.Random(7)).order == first
    orders = {show(question, random.Random(seed)).order for seed in range(20)}
    assert len(orders) > 1


@given(n=st.integers(min_value=2, max_value=8), seed=st.integers())
def test_display_and_authored_orders_map_both_ways(n: int, seed: int) -> None:
    question = make_question("q", n, answer=n - 1)
    shown = show(question, random.Random(seed))
    assert sorted(shown.order) == list(range(n))
    for display_index in range(n):
        authored = shown.authored(display_index)
        assert shown.display(authored) == display_index
        assert shown.display_letter(authored) == letter(display_index)
        assert shown.options[display_index] is question.options[authored]
    picked_right = grade(shown, shown.display(question.answer))
    assert picked_right.is_correct
    assert picked_right.chosen_letter == question.answer_letter


def test_grade_maps_the_displayed_pick_back_to_the_authored_option() -> None:
    question = QUESTIONS[1]  # answer: C (index 2)
    shown = show(question, random.Random(3))
    display_of_b = shown.display(1)
    result = grade(shown, display_of_b)
    assert result.chosen == 1
    assert result.chosen_letter == "B"
    assert result.correct_letter == "C"
    assert not result.is_correct
    assert result.explanation == "q2 why B"
    assert result.correct_option.explanation == "q2 why C"
    with pytest.raises(ValueError):
        grade(shown, 4)


def test_run_scores_and_json_use_authored_letters() -> None:
    run = grade_answers("mini", "practice", QUESTIONS, [0, 1, 1])
    assert (run.score, run.total) == (2, 3)
    assert [q.id for q in run.missed] == ["q2"]
    doc = run.to_json()
    assert set(doc) == {"lesson", "set", "score", "total", "questions"}
    assert doc["questions"][1] == {
        "id": "q2",
        "prompt": "prompt of q2",
        "chosen": "B",
        "correct": "C",
        "is_correct": False,
        "explanation": "q2 why B",
    }


# -- the session and its retry loop -----------------------------------------------------------


def _answer_round(session: Session, right: set[str]) -> Run:
    """Answer each question of a new round: right for ids in `right`, wrong otherwise."""
    for shown in session.start_round():
        q = shown.question
        wanted = q.answer if q.id in right else (q.answer + 1) % len(q.options)
        session.answer(shown, shown.display(wanted))
    return session.end_round()


def test_retry_asks_only_what_is_still_missed_until_all_right() -> None:
    session = Session("mini", "practice", QUESTIONS, seed=1)
    first = _answer_round(session, right={"q2"})
    assert (first.score, first.total) == (1, 3)
    assert [q.id for q in session.to_retry] == ["q1", "q3"]
    assert not session.all_right
    second = _answer_round(session, right={"q1"})
    assert session.is_retry
    assert [r.question.id for r in second.results] == ["q1", "q3"]
    assert [q.id for q in session.to_retry] == ["q3"]
    third = _answer_round(session, right={"q3"})
    assert third.score == third.total == 1
    assert session.all_right
    assert session.round_number == 3
    assert session.run(1).score == 1  # the first pass stays the scored one
    with pytest.raises(ValueError):
        session.start_round()


def test_all_right_on_first_pass_leaves_nothing_to_retry() -> None:
    session = Session("mini", "practice", QUESTIONS, seed=None)
    _answer_round(session, right={"q1", "q2", "q3"})
    assert session.all_right
    assert session.to_retry == ()


def _orders(seed: int | None, shuffle: bool = True) -> list[tuple[int, ...]]:
    session = Session("mini", "practice", (make_question("big", 6, 0),), seed=seed, shuffle=shuffle)
    orders = []
    for _ in range(6):
        shown = session.start_round()[0]
        orders.append(shown.order)
        session.answer(shown, shown.display(1))  # always wrong, so it is asked again
        session.end_round()
    return orders


def test_a_seed_reproduces_every_round_and_each_retry_is_shuffled_again() -> None:
    orders = _orders(42)
    assert orders == _orders(42)
    assert len(set(orders)) > 1


def test_no_shuffle_keeps_authored_order_in_every_round() -> None:
    assert set(_orders(42, shuffle=False)) == {(0, 1, 2, 3, 4, 5)}


def test_answer_before_starting_a_round_is_an_error() -> None:
    session = Session("mini", "practice", QUESTIONS)
    with pytest.raises(ValueError):
        session.answer(show(QUESTIONS[0]), 0)


# -- progress records -------------------------------------------------------------------------


def test_record_run_counts_attempts_and_keeps_best_last_and_misses() -> None:
    record = QuizRecord()
    record_run(
        record, grade_answers("m", "practice", QUESTIONS, [0, 2, 1]), at="2024-01-01T00:00:00+00:00"
    )
    assert (record.attempts, record.best, record.last, record.total) == (1, 3, 3, 3)
    assert record.missed == []
    record_run(
        record, grade_answers("m", "practice", QUESTIONS, [1, 2, 0]), at="2024-01-02T00:00:00+00:00"
    )
    assert (record.attempts, record.best, record.last) == (2, 3, 1)
    assert record.missed == ["q1", "q3"]
    assert record.answers == {"q1": 1, "q2": 2, "q3": 0}
    assert record.at == "2024-01-02T00:00:00+00:00"


def test_record_run_stamps_the_time_when_not_given() -> None:
    record = QuizRecord()
    record_run(record, grade_answers("m", "practice", QUESTIONS, [0, 2, 1]))
    assert record.at.startswith("20")


def test_record_answer_keeps_a_partial_run_without_counting_an_attempt() -> None:
    record = QuizRecord(
        attempts=2, best=3, last=2, total=3, missed=["q3"], answers={"q1": 0, "q2": 2, "q3": 0}
    )
    wrong = grade(show(QUESTIONS[0]), 1)
    record_answer(record, wrong, total=3, first=True)
    assert record.answers == {"q1": 1}  # the previous run's answers are replaced
    assert record.missed == ["q1"]
    right = grade(show(QUESTIONS[1]), 2)
    record_answer(record, right, total=3, first=False)
    assert record.answers == {"q1": 1, "q2": 2}
    assert record.missed == ["q1"]
    assert (record.attempts, record.best, record.last) == (2, 3, 2)


# -- lessons and sets -------------------------------------------------------------------------


def test_a_lesson_without_questions_in_a_set_is_a_usage_error() -> None:
    lesson = fixture_lesson()
    empty = dataclasses.replace(lesson, questions=())
    with pytest.raises(UsageError, match="no quiz questions in the 'practice' set"):
        questions_for(empty, "practice")
