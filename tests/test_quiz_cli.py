"""`eventlesson quiz` via the CLI (CliRunner) and its interactive flow with a scripted prompter."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.errors import NotInteractiveError
from eventlesson.flows.quiz import run_quiz
from eventlesson.quiz import Session
from eventlesson.ui.prompts import ScriptedPrompter, fit_choices

from .support import SAMPLE, fixture_lesson

KC = ["kc-event", "kc-fan-out", "kc-order"]


def invoke(home: Path, *args: str):
    runner = CliRunner()
    env = {"NO_COLOR": "1", "COLUMNS": "80", "EVENTLESSON_HOME": str(home)}
    return runner.invoke(app, ["quiz", *args], env=env, catch_exceptions=False)


def saved(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text())["lessons"][SAMPLE]["quiz"]


# -- scripted: --answers, --json, --key -------------------------------------------------------


def test_all_right_answers_as_json_score_three_of_three(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--answers", "A,A,A", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # one JSON object and nothing else
    assert (doc["lesson"], doc["set"], doc["score"], doc["total"]) == (
        SAMPLE,
        "knowledge-check",
        3,
        3,
    )
    assert [q["id"] for q in doc["questions"]] == KC
    for question in doc["questions"]:
        assert set(question) == {"id", "prompt", "chosen", "correct", "is_correct", "explanation"}
        assert question["chosen"] == question["correct"] == "A"
        assert question["is_correct"] is True
    assert result.stderr == ""


def test_all_wrong_answers_score_zero_with_a_different_explanation_each(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--answers", "b,B,b", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert (doc["score"], doc["total"]) == (0, 3)
    assert all(
        q["chosen"] == "B" and q["correct"] == "A" and not q["is_correct"] for q in doc["questions"]
    )
    explanations = [q["explanation"] for q in doc["questions"]]
    assert len(set(explanations)) == 3
    assert all(e and not e.startswith("Right") for e in explanations)


def test_answers_without_json_print_feedback_and_the_score(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--answers", "A,C,A")
    assert result.exit_code == 0
    out = result.stdout
    assert "Question 1 of 3" in out and "Question 3 of 3" in out
    assert "Right. You chose A)" in out
    assert "Not quite. You chose C)" in out
    assert "The right answer is A)" in out
    assert "Score: 2 of 3." in out


def test_key_prints_every_option_explained_without_prompts(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--key")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "Answer key: Sample: Every Kind of Block" in out
    assert out.count("(correct)") == 3
    assert out.count("Answer: A") == 3
    lesson = fixture_lesson()
    for question in lesson.quiz_questions("knowledge-check"):
        for option in question.options:
            assert " ".join(option.explanation.split()) in out
    assert not (tmp_path / "progress.json").exists()  # looking at the key is not an attempt


def test_practice_set_runs_and_all_joins_both_sets(tmp_path: Path) -> None:
    lesson = fixture_lesson()
    practice = lesson.quiz_questions("practice")
    letters = ",".join(q.answer_letter for q in practice)
    result = invoke(tmp_path, SAMPLE, "--set", "practice", "--answers", letters, "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["set"] == "practice"
    assert doc["score"] == doc["total"] == len(practice) >= 2
    key = invoke(tmp_path, "--set", "all", "--key")
    assert key.exit_code == 0
    assert f"all ({len(lesson.questions)} questions)" in key.stdout


def test_progress_records_attempts_best_and_last(tmp_path: Path) -> None:
    invoke(tmp_path, "--answers", "A,A,B", "--json")
    record = saved(tmp_path)["knowledge-check"]
    assert (record["attempts"], record["best"], record["last"], record["total"]) == (1, 2, 2, 3)
    assert record["missed"] == ["kc-order"]
    assert record["answers"] == {"kc-event": 0, "kc-fan-out": 0, "kc-order": 1}
    assert record["at"]
    invoke(tmp_path, "--answers", "C,C,C", "--json")
    record = saved(tmp_path)["knowledge-check"]
    assert (record["attempts"], record["best"], record["last"]) == (2, 2, 0)
    assert record["missed"] == KC


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--answers", "A,A"], "--answers: expected 3 letters, got 2"),
        (["--answers", "A,A,A,A"], "--answers: expected 3 letters, got 4"),
        (
            ["--answers", "A,D,A"],
            "--answers: answer 2 is 'D', but question 2 (kc-fan-out) has options A-C",
        ),
        (["--answers", "A,?,A"], "--answers: answer 2 is '?', not a letter"),
        (["--set", "everything"], "unknown question set 'everything'"),
        (["day-999", "--key"], "unknown lesson 'day-999'"),
        (["--json"], "--json needs --answers"),
        (["--key", "--answers", "A,A,A"], "--key prints the answer key"),
        (["--seed", "x"], "Invalid value for '--seed'"),
    ],
)
def test_usage_errors_are_one_line_on_stderr_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke(tmp_path, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("eventlesson: error: ")
    assert message in lines[0]
    assert not (tmp_path / "progress.json").exists()


def test_no_terminal_without_answers_says_how_and_exits_2_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    result = invoke(tmp_path)
    assert time.monotonic() - started < 10  # generous: the point is that it does not wait for input
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "eventlesson: error: no terminal to ask on; use --answers A,B,C "
        "(one letter per question; add --json for machine output) or --key"
    ]


def test_help_is_the_one_sentence_docstring(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--help")
    assert result.exit_code == 0
    assert "Test yourself on the lesson, with every option explained." in result.stdout
    for option in ("--set", "--seed", "--no-shuffle", "--answers", "--json", "--key"):
        assert option in result.stdout


# -- the interactive flow, with a scripted prompter -------------------------------------------


def test_flow_retries_only_the_missed_until_all_right(make_app) -> None:
    # Authored order (no shuffle): A is right for every knowledge-check question.
    prompter = ScriptedPrompter([1, 0, 2, True, 0, 1, True, 0])
    application = make_app(prompter)
    code = run_quiz(application, SAMPLE, set_name="knowledge-check", shuffle=False)
    assert code == 0
    out = make_app.out.getvalue()
    assert "Score: 1 of 3." in out
    assert "Retry 1 of 2" in out and "Retry 2 of 2" in out and "Retry 1 of 1" in out
    assert "Retry: 1 of 2 right this time." in out
    assert "Retry: 1 of 1 right this time." in out
    assert "All right now, after 2 retries." in out
    assert prompter.asked == [
        "Your answer",
        "Your answer",
        "Your answer",
        "Retry the 2 you missed?",
        "Your answer",
        "Your answer",
        "Retry the one you missed?",
        "Your answer",
    ]
    record = application.progress.lesson(SAMPLE).quiz["knowledge-check"]
    assert (record.attempts, record.best, record.last, record.total) == (1, 1, 1, 3)
    assert record.missed == ["kc-event", "kc-order"]  # the scored first pass
    assert saved(make_app.home)["knowledge-check"]["attempts"] == 1


def test_flow_declining_the_retry_ends_with_exit_0(make_app) -> None:
    prompter = ScriptedPrompter([0, 0, 1, False])
    code = run_quiz(
        make_app(prompter),
        None,
        set_name="knowledge-check",
        shuffle=False,
    )
    assert code == 0
    assert "Score: 2 of 3." in make_app.out.getvalue()
    assert prompter.asked[-1] == "Retry the one you missed?"


def test_flow_all_right_first_time_offers_no_retry(make_app) -> None:
    prompter = ScriptedPrompter([0, 0, 0])
    assert (
        run_quiz(
            make_app(prompter),
            None,
            set_name="knowledge-check",
            shuffle=False,
        )
        == 0
    )
    assert "All right on the first try." in make_app.out.getvalue()
    assert not any(m.startswith("Retry") for m in prompter.asked)


def test_flow_with_a_seed_shows_letters_in_the_shuffled_order(make_app) -> None:
    lesson = fixture_lesson()
    questions = lesson.quiz_questions("knowledge-check")
    twin = Session(lesson.id, "knowledge-check", questions, seed=5)
    shown = twin.start_round()
    right = [s.display(s.question.answer) for s in shown]
    prompter = ScriptedPrompter(right)
    code = run_quiz(make_app(prompter), None, set_name="knowledge-check", seed=5)
    assert code == 0
    out = make_app.out.getvalue()
    assert "Score: 3 of 3." in out
    for display_index in right:
        assert f"Right. You chose {'ABC'[display_index]})" in out


def test_flow_interrupted_keeps_what_was_answered_and_exits_130(make_app) -> None:
    prompter = ScriptedPrompter([1])  # then the script runs out, like Ctrl-D
    application = make_app(prompter)
    code = run_quiz(application, None, set_name="knowledge-check", shuffle=False)
    assert code == 130
    assert "Stopped. Your progress is saved." in make_app.errors.getvalue()
    record = saved(make_app.home)["knowledge-check"]
    assert record["answers"] == {"kc-event": 1}
    assert record["missed"] == ["kc-event"]
    assert record["attempts"] == 0  # an unfinished run is not an attempt


def test_flow_without_a_terminal_raises_before_printing_anything(make_app) -> None:
    application = make_app(None)
    with pytest.raises(NotInteractiveError, match="no terminal to ask on"):
        run_quiz(application, None, set_name="knowledge-check")
    assert make_app.out.getvalue() == ""


def test_choices_fit_one_line_including_the_echo_of_the_answer() -> None:
    long = "word " * 40
    short = fit_choices(["short", long], 40, "Your answer")
    assert short[0] == "short"
    assert short[1].endswith("…") and len("? Your answer A) " + short[1]) <= 40


def test_flow_lists_options_above_the_picker_only_when_the_picker_cuts_one(make_app) -> None:
    long = make_app(ScriptedPrompter([0, 0, 0]))
    run_quiz(long, None, set_name="knowledge-check", shuffle=False)
    out = " ".join(make_app.out.getvalue().split())
    option = fixture_lesson().quiz_questions("knowledge-check")[1].options[0].text
    assert len(option) > 80 and f"A) {option}" in out
    before_first_answer = out.split("You chose", 1)[0]
    assert "A) thing.happened" not in before_first_answer  # question 1's options fit the picker

    make_app.out.truncate(0)
    make_app.out.seek(0)
    short = make_app(ScriptedPrompter([1]))
    run_quiz(short, "mini", set_name="knowledge-check", shuffle=False)
    out = make_app.out.getvalue()
    assert "Question 1 of 1" in out
    assert "A) DoThing" not in out  # both options fit the picker: no list above it
    assert "Right. You chose B) thing.happened" in out
