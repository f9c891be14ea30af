"""Predictions: outcomes measured from the simulation's read-out, and `simulate SCENARIO --predict`.

The shipped lesson's predictions are pinned to their scenarios in test_shipped.py; these run on the
fixture course (its "sample" lesson predicts publish-before-commit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.flows.predict import facts, prediction_for
from eventlesson.predict import OUTCOMES, Measured, evidence, holds
from eventlesson.sim.simulation import Simulation

from .support import ended, fixture_lesson


def measure(scenario: str, seed: int = 7) -> Measured:
    sim = Simulation(scenario, seed=seed)
    try:
        sim.run()
        report = sim.report()
        compared = None if report.has_events else sim.compare_with_event_design()
    finally:
        sim.close()
    return Measured(report, compared)


def test_outcomes_come_in_opposites_that_a_run_tells_apart() -> None:
    ghost, safe = measure("publish-before-commit"), measure("happy")
    assert holds("ghost-events", ghost) and not holds("no-ghost-events", ghost)
    assert holds("no-ghost-events", safe) and not holds("ghost-events", safe)
    assert evidence("ghost-events", ghost).startswith("Ghost events: P")
    assert (
        evidence("ghost-events", safe)
        == "No ghost events: every purchase announced was in the store."
    )
    sync = measure("sync-chain")
    assert holds("learner-waits-for-consumers", sync) and not holds(
        "learner-confirmed-at-commit", sync
    )
    assert "the event design would have told the same learners in 20 ms" in evidence(
        "learner-waits-for-consumers", sync
    )
    assert holds("consumers-lag-behind-confirmation", safe)
    assert "Learners were told at the commit: 20 ms (median); the slowest consumer" in evidence(
        "learner-confirmed-at-commit", safe
    )


def test_every_outcome_can_be_evaluated_on_every_kind_of_run() -> None:
    runs = [measure(name) for name in ("happy", "sync-chain", "outbox")]
    for name in OUTCOMES:
        for measured in runs:
            assert isinstance(holds(name, measured), bool)
            assert evidence(name, measured).endswith(".")


def test_facts_name_the_right_claim_and_the_learners_own() -> None:
    check = prediction_for(fixture_lesson(), "publish-before-commit")
    question = check.questions[0]
    measured = measure("publish-before-commit")
    right = facts(question, question.answer, measured)
    assert len(right) == 1 and right[0].startswith("Ghost events: ")
    wrong = facts(question, 0, measured)  # "the broker takes it back": no-ghost-events
    assert wrong == right  # the same topic: one sentence, which shows the claim did not hold
    assert facts(question, 2, measured) == right  # an option that names no outcome adds none


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
    child.expect("Predict what happens.")
    child.expect("What do consumers do about a commit")
    child.expect("Esc|arrows")  # the picker is up
    child.send("b")  # a letter answers
    child.expect("Press any key to return")  # the live run played to its final screen
    child.send("\r")
    child.expect("What this run showed")
    child.expect(r"Ghost events: P\d+")
    child.expect(r"Right\.")
    ended(child, 0)
    state = json.loads((home / "progress.json").read_text())["lessons"]["sample"]
    assert state["checks"]["predict-ghost-1"]["correct"] is True  # kept like the lesson's
