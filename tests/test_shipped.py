"""Smoke tests of the shipped lesson: the only tests that read `content/` (with `content check`).

Every other test runs on the fixture course in tests/fixtures/course, so adding a lesson to
`content/` changes nothing there. These tests name the shipped lesson by id ("day-089") and count
its pages from the content itself; `test_more_lessons_keep_the_smoke_tests_green` re-runs this
module on a copy of `content/` with a lesson listed before day-089 and one after it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.broker.narrate import WORDS
from eventlesson.cli import app
from eventlesson.content import check_tree, load_lesson
from eventlesson.models import Lesson, Question, TableBlock
from eventlesson.quiz import questions_for

from .support import FIXTURE_COURSE, REPO, SHIPPED_CONTENT, ended, measure

SHIPPED = "day-089"


@pytest.fixture(autouse=True)
def _shipped_content(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands in this module (and the processes they start) read the shipped content."""
    monkeypatch.setenv("EVENTLESSON_CONTENT_DIR", str(SHIPPED_CONTENT))


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return load_lesson(SHIPPED, SHIPPED_CONTENT)


def cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


# -- the content itself -------------------------------------------------------------------------


def test_shipped_content_passes_content_check() -> None:
    assert check_tree(SHIPPED_CONTENT) == []
    result = cli("content", "check")
    assert result.exit_code == 0 and result.stdout.startswith("ok:")  # type: ignore[attr-defined]


def test_every_simulation_takeaway_names_pages_the_lesson_has(lesson: Lesson) -> None:
    from eventlesson.models import CalloutBlock
    from eventlesson.sim import SCENARIOS

    titles = {section.title for section in lesson.sections}
    titles |= {
        block.title
        for section in lesson.sections
        for block in section.blocks
        if isinstance(block, CalloutBlock)
    }
    for scenario in SCENARIOS.values():
        for page in scenario.pages:
            assert page in titles, (scenario.name, page)


def test_shipped_lesson_has_every_part_of_the_seed(lesson: Lesson) -> None:
    assert lesson.title == "Day 089: Event-Driven Fundamentals"
    assert len(lesson.sections) >= 12
    assert len(lesson.objectives) == 3
    assert len(lesson.insights) == 3
    assert {r.link for r in lesson.resources} == {
        "https://www.confluent.io/designing-event-driven-systems/",
        "https://www.enterpriseintegrationpatterns.com/",
        "https://martinfowler.com/articles/201701-event-driven.html",
        "https://www.oreilly.com/library/view/building-event-driven-microservices/9781492057888/",
    }
    terms = " ".join(t.term.lower() for t in lesson.glossary)
    for word in ("command", "query", "event", "source of truth", "producer", "consumer"):
        assert word in terms
    for word in ("broker", "lag", "eventual"):
        assert word in terms
    kinds = {b.kind for s in lesson.sections for b in s.blocks}
    assert {"tree", "code", "table", "check", "quiz", "glossary", "resources"} <= kinds
    assert sum(c.kind == "predict" for c in lesson.checks) >= 6  # the runs it plays
    classify = [*lesson.check("classify-messages").questions]
    classify += lesson.check("classify-messages-2").questions  # the second round of four
    messages = " ".join(q.prompt for q in classify)
    for name in ("CompletePurchase", "purchase.completed", "GetCourseAccess", "SendReceiptEmail"):
        assert name in messages
    for name in ("course.access.granted", "RecommendationsForLearner"):
        assert name in messages


def test_every_classify_option_explains_itself(lesson: Lesson) -> None:
    for question in lesson.check("classify-messages").questions:
        explanations = [o.explanation for o in question.options]
        assert len(set(explanations)) == len(explanations), question.id
        for i, option in enumerate(question.options):
            kind = option.text.split(":")[0].lower()
            if i == question.answer:
                assert not option.explanation.startswith("Not ")
            else:
                assert option.explanation.startswith(
                    f"Not a{'n' if kind == 'event' else ''} {kind}."
                )


def test_practice_pages_are_titled_after_their_check(lesson: Lesson) -> None:
    pages = [(s, b.check) for s in lesson.sections for b in s.blocks if b.kind == "check"]
    practice = [(s, c) for s, c in pages if s.title.startswith("Practice: ")]
    assert len(practice) >= 3  # the others (an early question) sit on the page they ask about
    for section, check_id in practice:
        assert section.title == f"Practice: {lesson.check(check_id).title}"


def test_knowledge_check_matches_the_seed(lesson: Lesson) -> None:
    kc = questions_for(lesson, "knowledge-check")
    assert [q.answer_letter for q in kc] == ["A", "A", "A"]
    assert all(len(q.options) == 3 for q in kc)
    assert [q.section for q in kc] == ["concept-1", "concept-2", "concept-3"]


def test_practice_set_is_varied_and_explained(lesson: Lesson) -> None:
    practice = questions_for(lesson, "practice")
    assert len(practice) >= 8
    assert sum(q.kind == "predict" for q in practice) >= 3
    assert len({q.answer_letter for q in practice}) >= 3  # the right answer is not always A
    for question in lesson.questions:
        explanations = [o.explanation for o in question.options]
        assert len(set(explanations)) == len(explanations), question.id


def test_predict_answers_are_not_given_away_by_length(lesson: Lesson) -> None:
    for q in (q for q in lesson.questions if q.kind == "predict"):
        lengths = sorted(len(o.text) for o in q.options)
        assert len(q.options[q.answer].text) < lengths[-1] or lengths[-1] - lengths[-2] <= 5, q.id


# -- the commands, on the shipped lesson -------------------------------------------------------


def test_print_contains_every_part_of_the_seed(lesson: Lesson) -> None:
    result = cli("learn", "--print")  # no LESSON: the default of course.toml
    assert result.exit_code == 0  # type: ignore[attr-defined]
    text = result.stdout  # type: ignore[attr-defined]
    assert "\x1b" not in text
    for needle in (
        "Day 089: Event-Driven Fundamentals",
        "Aha!",
        "Why this matters",
        "Distinguish commands, events and queries precisely",
        "different speech acts",
        "CompletePurchase",
        "purchase.completed",
        "enrollment access",
        "affiliate",
        "def complete_purchase(store, bus, purchase):",
        "store.mark_completed(purchase.id)",
        "Troubleshooting",
        "Calling every message an event",
        "service boundaries",
        "Kafka",
        "Designing Event-Driven Systems",
        "Enterprise Integration Patterns",
        "martinfowler.com/articles/201701-event-driven.html",
        "Building Event-Driven Microservices",
        "Events are facts, not generic messages",
        "Eventual consistency",
        "eventlesson simulate",
        "Knowledge check",
    ):
        assert needle.lower() in text.lower(), needle
    # checks are asked first; their answers and reasons follow on the same page
    assert text.index("What kind of message is CompletePurchase?") < text.index(
        'A) Command: "do this"\n   It asks the purchase service'
    )
    total = len(lesson.sections)
    assert re.search(rf"{total}/{total}\s+Knowledge check", text)
    assert text.rstrip().splitlines()[-1].strip().startswith("Reread")  # "Answers" comes last


def test_the_quiz_scores_the_knowledge_check() -> None:
    result = cli("quiz", "--answers", "A,A,A", "--json")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    doc = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (doc["lesson"], doc["score"], doc["total"]) == (SHIPPED, 3, 3)


def test_the_exercises_teach_the_lesson_in_order(lesson: Lesson) -> None:
    """Each reference solution passes; each starting file fails for the reason it teaches."""
    from eventlesson.exercise.runner import check_source
    from eventlesson.exercise.workspace import SOLUTION, START, plan_for, read_exercise_file

    assert [e.id for e in lesson.exercises][:3] == [
        "commit-then-publish",
        "outbox",
        "idempotent-consumer",
    ]
    for exercise in lesson.exercises:
        plan = plan_for(exercise)
        solution = check_source(read_exercise_file(lesson, exercise, SOLUTION), SOLUTION, plan)
        assert solution.passed, (exercise.id, solution.failure or solution.problem)
        start = check_source(read_exercise_file(lesson, exercise, START), START, plan)
        assert start.failure is not None, (exercise.id, start.problem)
        assert start.failure.check == exercise.teaches, exercise.id
        assert start.failure.purchase_id > 0 and start.failure.trace, exercise.id


@pytest.mark.pty
def test_walk_from_first_page_to_last(spawn, home: Path, lesson: Lesson) -> None:
    """Every page and check (Enter takes A), the knowledge check inside the session, then
    `eventlesson progress` shows its score."""
    pytest.importorskip("pexpect")
    total = len(lesson.sections)
    child = spawn("learn", timeout=30, EVENTLESSON_SIM_SPEED="100")
    seen = set()
    runs = 0
    for _ in range(500):
        index = child.expect(
            [
                rf"(\d+)/{total}.*?q(?:\x1b\[0m)? quit",
                "\u00bb A\\)",
                "Press Enter (?:to continue|for the next question)",
                r"Retry the (?:one|\d+) you missed\?",
                r"Try the practice set now\?",
                "Press Enter to start the run",
                "Press any key to see how your prediction did",
                "What this run showed",
                "You finished",
            ]
        )
        if index == 0:  # a whole page, header to footer
            seen.add(int(child.match.group(1)))
            child.send("n")
        elif index in (1, 2, 5):
            child.send("\r")
        elif index in (3, 4):
            child.send("n")
        elif index == 6:  # the run's final screen: any key goes on
            runs += 1
            child.send("\r")
        elif index == 7:
            continue  # the prediction next to the run; its pause follows
        else:
            break
    ended(child, 0)
    predictions = [c for c in lesson.checks if c.kind == "predict"]
    assert runs == len(predictions)  # every prediction's run was watched to its end
    assert seen == set(range(1, total + 1))
    state = json.loads((home / "progress.json").read_text())["lessons"][SHIPPED]
    assert len(state["done"]) == total and state["finished_at"]
    checks = sum(len(c.questions) for c in lesson.checks)
    assert len(state["checks"]) == checks
    record = state["quiz"]["knowledge-check"]  # saved as `eventlesson quiz` saves it
    assert record["attempts"] == 1 and record["total"] == 3
    shown = spawn("progress")
    shown.expect(rf"knowledge-check.*{record['last']}/3")
    ended(shown, 0)


# -- more lessons change nothing here ----------------------------------------------------------


def _add_lesson(root: Path, name: str) -> None:
    """A copy of the fixture's mini lesson as `name` (its id is its folder name)."""
    shutil.copytree(FIXTURE_COURSE / "mini", root / name)
    toml = root / name / "lesson.toml"
    toml.write_text(toml.read_text().replace('id = "mini"', f'id = "{name}"', 1))


def test_more_lessons_keep_the_smoke_tests_green(tmp_path: Path) -> None:
    """Lessons sorting before and after day-089 are added: the defaults and these tests hold."""
    root = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, root)
    _add_lesson(root, "day-050")
    _add_lesson(root, "day-100")
    course = root / "course.toml"
    text = course.read_text()
    assert 'lessons = ["day-089"]' in text
    course.write_text(text.replace('["day-089"]', '["day-050", "day-089", "day-100"]'))
    env = {**os.environ, "EVENTLESSON_TEST_SHIPPED_CONTENT": str(root)}
    env.pop("EVENTLESSON_CONTENT_DIR", None)
    check = subprocess.run(
        [sys.executable, "-m", "eventlesson", "--content-dir", str(root), "lessons"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert check.returncode == 0, check.stderr
    listed = re.findall(r"day-\d+", check.stdout)
    assert listed == ["day-050", "day-089", "day-100"]
    pytest_args = ["-q", "-p", "no:cacheprovider", __file__, "-k", "not more_lessons"]
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert inner.returncode == 0, inner.stdout[-3000:]
    assert " passed" in inner.stdout and "skipped" not in inner.stdout


def test_no_other_test_reads_the_shipped_content() -> None:
    """The rule that makes a new lesson cost no test change: only this module (and the install
    test) may name the shipped lesson or its folder; everything else runs on the fixture course."""
    allowed = {"test_shipped.py", "test_seed_facts.py", "test_install.py", "support.py"}
    offenders = [
        f"{path.name}: {needle}"
        for path in sorted((REPO / "tests").glob("*.py"))
        if path.name not in allowed
        for needle in ("SHIPPED_CONTENT", SHIPPED, 'REPO / "content"')
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


# -- predictions agree with the simulation -----------------------------------------------------

PREDICTION_SEEDS = (1, 2, 3, 7, 11, 42)


def assert_pinned(where: str, scenario: str, question: Question) -> None:
    """The right option's outcome holds on every seed, and each wrong option's on none."""
    from eventlesson.predict import holds

    assert getattr(question.options[question.answer], "outcome", ""), where
    for seed in PREDICTION_SEEDS:
        run = measure(scenario, seed)
        for index, option in enumerate(question.options):
            outcome = getattr(option, "outcome", "")
            if outcome:
                expected = index == question.answer
                assert holds(outcome, run) is expected, (where, seed, outcome)


def test_every_prediction_is_pinned_to_what_its_scenario_measures(lesson: Lesson) -> None:
    """Each prediction's right option claims an outcome every run of its scenario shows, and
    each wrong option that names one claims an outcome no run shows: several seeds each."""
    from eventlesson.models import PredictCheck

    predictions = [c for c in lesson.checks if isinstance(c, PredictCheck)]
    assert {c.scenario for c in predictions} >= {
        "sync-chain",
        "happy",
        "slow-consumer",
        "publish-before-commit",
        "crash-after-commit",
        "consumer-crash",
        "outbox",
    }
    for check in predictions:
        for question in check.questions:
            assert_pinned(check.id, check.scenario, question)


def test_every_practice_prediction_is_pinned_to_a_scenario(lesson: Lesson) -> None:
    """The practice set's "predict what happens" questions, the same way: each names the
    scenario its situation is taken from, and its options the outcomes they claim."""
    predict = [q for q in lesson.questions if q.kind == "predict"]
    assert len(predict) >= 4
    for question in predict:
        scenario = getattr(question, "scenario", "")
        assert scenario, question.id
        assert sum(bool(getattr(o, "outcome", "")) for o in question.options) >= 2, question.id
        assert_pinned(question.id, scenario, question)


def test_the_broker_words_are_the_lessons_table(lesson: Lesson) -> None:
    """The live view's legend (broker/narrate.py's WORDS) and the lesson's "same ideas on a real
    broker" table say the same thing: a change to one must reach the other."""
    tables = [
        block
        for section in lesson.sections
        for block in section.blocks
        if isinstance(block, TableBlock) and "NATS JetStream" in block.caption
    ]
    assert len(tables) == 1
    assert tables[0].rows == WORDS
