"""Predictions: outcomes measured from the simulation's read-out, and `simulate SCENARIO --predict`.

The shipped lesson's predictions are pinned to their scenarios in test_shipped.py; these run on the
fixture course (its "sample" lesson predicts publish-before-commit).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.flows.predict import facts, prediction_for
from eventlesson.predict import OUTCOMES, covers, evidence, holds, statements
from eventlesson.sim.scenarios import SCENARIOS

from .support import ended, fixture_lesson, measure

SGR = r"(?:\x1b\[[0-9;]*m)*"  # colour codes between words, if any


def test_outcomes_come_in_opposites_that_a_run_tells_apart() -> None:
    ghost, safe = measure("publish-before-commit"), measure("happy")
    assert holds("ghost-events", ghost) and not holds("no-ghost-events", ghost)
    assert holds("no-ghost-events", safe) and not holds("ghost-events", safe)
    assert re.fullmatch(
        r"The consumers acted \d+ times on \d+ purchases that were never stored "
        r"\(ghost events: P\d+(, P\d+)*( and \d+ more)?\)\.",
        evidence("ghost-events", ghost),
    )
    assert (
        evidence("ghost-events", safe)
        == "No ghost events: every purchase announced was in the store."
    )
    sync = measure("sync-chain")
    assert holds("learner-waits-for-consumers", sync) and not holds(
        "learner-confirmed-at-commit", sync
    )
    waited, events = statements("learner-waits-for-consumers", sync)
    assert re.fullmatch(
        rf"Learners waited {TIME} \(median\), up to {TIME}: each was told only after all "
        r"five services had answered\.",
        waited,
    )
    assert events == "With events, the same learners would have been told in 20 ms."
    assert holds("consumers-lag-behind-confirmation", safe)
    told, lag = statements("learner-confirmed-at-commit", safe)
    assert told == "Learners were told at the commit, 20 ms after pressing Buy (median)."
    assert re.fullmatch(
        rf"The consumers caught up afterwards: the slowest, \w+, reacted {TIME} after the "
        r"commit \(median\)\.",
        lag,
    )


TIME = r"\d+(\.\d)? m?s"  # "20 ms", "1.5 s"


# Wrong answers no shipped scenario makes true, each with the claim a run shows instead.
NEVER_SHOWN = {
    "sync-confirms-sooner": "learner-waits-for-consumers",
    "email-ignores-ghosts": "email-acts-on-ghosts",
    "every-crashed-consumer-twice": "email-twice-enrollment-once",
}


def test_every_outcome_can_be_evaluated_on_every_kind_of_run() -> None:
    runs = [measure(name) for name in SCENARIOS]
    for name in OUTCOMES:
        shown = [holds(name, measured) for measured in runs]
        assert not all(shown), f"{name} holds in every scenario"
        if name in NEVER_SHOWN:
            assert not any(shown) and any(holds(NEVER_SHOWN[name], m) for m in runs), name
        else:
            assert any(shown), f"{name} holds in no scenario"
        for measured in runs:
            said = statements(name, measured)
            assert said and evidence(name, measured) == " ".join(said)
            for statement in said:  # each one sentence, starting as a sentence does
                assert statement.endswith(".") and ". " not in statement[:-1], statement
                assert statement[0].isupper() or statement[0].isdigit(), statement


def test_repeats_name_who_acted_twice_and_who_skipped() -> None:
    said = statements("no-effect-twice", measure("consumer-crash"))
    assert re.fullmatch(r"Email acted twice on \d+ purchases? \(P\d+(, P\d+)*\)\.", said[0])
    assert re.fullmatch(
        r"Enrollment recognised \d+ repeats? by event id and skipped (it|them)\.", said[1]
    )
    outbox = statements("outbox-duplicates-only", measure("outbox"))
    assert outbox[0].startswith("No ghost or lost events: ")
    assert re.fullmatch(r"The relay published \d+ rows? a second time\.", outbox[1])
    assert any(s.startswith("Email and analytics each acted twice on ") for s in outbox)


def test_facts_name_the_right_claim_and_the_learners_own() -> None:
    check = prediction_for(fixture_lesson(), "publish-before-commit")
    question = check.questions[0]
    measured = measure("publish-before-commit")
    right = facts(question, question.answer, measured)
    assert len(right) == 1 and "(ghost events: P" in right[0]
    wrong = facts(question, 0, measured)  # "the broker takes it back": no-ghost-events
    assert wrong == right  # the same topic: one sentence, which shows the claim did not hold
    assert facts(question, 2, measured) == right  # an option that names no outcome adds none


def test_a_claim_the_right_answers_read_out_covers_adds_nothing() -> None:
    """The outbox's read-out speaks of ghosts, losses and repeats: a learner who picked "a lost
    event" is answered by it, without a second sentence about losses."""
    outbox = measure("outbox")
    assert covers("lost-events") < covers("outbox-duplicates-only")
    assert covers("ghost-events") == covers("no-ghost-events")
    assert not covers("ghost-events") & covers("lost-events")
    assert statements("lost-events", outbox) == [
        "No lost events: every committed purchase was announced."
    ]


def test_a_scenario_without_a_prediction_is_named(runner: CliRunner) -> None:
    result = runner.invoke(app, ["simulate", "outbox", "--predict"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == (
        "eventlesson: error: the lesson has no prediction about 'outbox'; "
        "scenarios with one: publish-before-commit\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json"], "--predict plays the run live with the lesson's question; drop --json"),
        (["--fast"], "--predict plays the run live with the lesson's question; drop --fast"),
        ([], "--predict asks a question first: run it in a terminal"),
    ],
)
def test_predict_needs_a_terminal_and_the_live_view(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["simulate", "publish-before-commit", "--predict", *args], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.pty
def test_simulate_predict_asks_plays_and_compares_in_a_terminal(spawn, home: Path) -> None:
    child = spawn("simulate", "publish-before-commit", "--predict", "--speed", "100", timeout=30)
    seen = io.StringIO()
    child.logfile_read = seen  # everything shown, not just what follows the last match
    child.expect("Predict what happens.")
    child.expect("What do consumers do about a commit")
    child.expect("Esc|arrows")  # the picker is up
    child.send("b")  # a letter answers
    child.expect(f"q{SGR} see the result")  # the live view's keys lead to the comparison
    child.expect("Press any key to see how your prediction did")  # the run's final screen
    child.send("\r")
    child.expect(f"\n{SGR}What this run showed")  # on a line of its own
    child.expect(r"\(ghost\s+events:\s+P\d+")
    child.expect(r"Right\.")
    ended(child, 0)
    shown = seen.getvalue()
    assert "lesson" not in shown and "back to the page" not in shown  # not inside a lesson here
    state = json.loads((home / "progress.json").read_text())["lessons"]["sample"]
    assert state["checks"]["predict-ghost-1"]["correct"] is True  # kept like the lesson's
