"""`eventlesson exercise`, `simulate --with` and `content check` for exercises, through CliRunner;
and the exercise screens rendered at 80 columns.

All on the fixture course: its sample lesson has two quick exercises, `order` (commit, then
publish) and `once` (an idempotent email handler).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.exercise.verdict import Plan
from eventlesson.exercise.worker import Job, run
from eventlesson.exercise.workspace import plan_for
from eventlesson.flows.invocation import command_name
from eventlesson.ui import render_exercise as view

from .support import FIXTURE_COURSE, fixture_lesson

SAMPLE = FIXTURE_COURSE / "sample"
ORDER_START = (SAMPLE / "exercises" / "order" / "start.py").read_text(encoding="utf-8")
CMD = command_name()  # how the screens name our commands, from where the tests run
ORDER_SOLUTION = (SAMPLE / "exercises" / "order" / "solution.py").read_text(encoding="utf-8")


def cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def flat(text: str) -> str:
    return " ".join(text.split())


def mine(home: Path, name: str = "order") -> Path:
    return home / "exercises" / "sample" / f"{name}.py"


def progress(home: Path) -> dict:
    return json.loads((home / "progress.json").read_text(encoding="utf-8"))


# -- the list and --once --------------------------------------------------------------------------


def test_once_without_a_name_is_our_usage_line_not_clicks_invalid_value(home: Path) -> None:
    result = cli("exercise", "--once")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "eventlesson: error: --once needs an exercise NAME"
    ]


def test_the_list_shows_each_exercise_with_its_state(home: Path) -> None:
    result = cli("exercise")
    assert result.exit_code == 0
    text = flat(result.stdout)
    assert "order Commit first" in text and "once Once per event" in text
    assert text.count("not started") == 2
    assert "Taught on: When publishing comes first" in text
    assert f"Next: {CMD} exercise order" in text

    assert cli("exercise", "order", "--once").exit_code == 1
    text = flat(cli("exercise").stdout)
    assert "failing" in text and text.count("not started") == 1

    mine(home).write_text(ORDER_SOLUTION, encoding="utf-8")
    assert cli("exercise", "order", "--once").exit_code == 0
    text = flat(cli("exercise").stdout)
    assert "passing" in text and f"Next: {CMD} exercise once" in text


def test_once_writes_the_starting_file_and_shows_ghost_events_with_the_seed(home: Path) -> None:
    result = cli("exercise", "order", "--once")
    assert result.exit_code == 1
    assert mine(home).read_text(encoding="utf-8") == ORDER_START
    text = flat(result.stdout)
    assert "Wrote the starting file" in text
    assert "✗ Failing: ghost events" in text
    first = re.search(
        r"The first: publish-before-commit, seed 1 \(a run of 8 purchases\), at purchase P(\d+)\.",
        text,
    )
    assert first is not None
    # how many purchases it happened to is said as such, never as the run's size
    assert re.search(
        rf"In this run it happened to \d of the 8 purchases, P{first[1]} first\.", text
    )
    assert "purchases in this run" not in text
    assert "a ghost event" in text and "did not commit" in text  # what happened, the trace
    replay = (
        f"eventlesson simulate publish-before-commit --seed 1 --purchases 8 --with {mine(home)}"
    )
    assert replay.replace(" ", "") in text.replace(" ", "")  # a long path folds across lines
    assert "Traceback" not in result.stdout + result.stderr


def test_once_passes_after_the_fix_and_records_it(home: Path) -> None:
    cli("exercise", "order", "--once")
    mine(home).write_text(ORDER_SOLUTION, encoding="utf-8")
    result = cli("exercise", "order", "--once")
    assert result.exit_code == 0, result.stdout
    assert "✓ Passing: every check held in all 3 runs" in flat(result.stdout)
    record = progress(home)["lessons"]["sample"]["exercises"]["order"]
    assert record["state"] == "passing" and record["checks"] == 2
    assert record["passed_at"] and record["checked_at"]


def test_the_learners_file_is_never_overwritten(home: Path) -> None:
    mine(home).parent.mkdir(parents=True)
    mine(home).write_text("# my own work\n", encoding="utf-8")
    result = cli("exercise", "order", "--once")
    assert mine(home).read_text(encoding="utf-8") == "# my own work\n"
    assert "Wrote the starting file" not in result.stdout
    assert "defines no complete_purchase" in flat(result.stdout)


def test_dir_keeps_the_file_where_the_learner_says(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my exercises"
    result = cli("exercise", "once", "--once", "--dir", str(folder))
    assert result.exit_code == 1
    assert (folder / "once.py").is_file() and not mine(home, "once").exists()
    assert "email applied an effect twice" in flat(result.stdout)


def test_an_error_in_the_learners_code_is_their_traceback_only(home: Path) -> None:
    cli("exercise", "order", "--once")
    mine(home).write_text(
        "def complete_purchase(store, bus, purchase):\n    stroe.mark_completed(purchase.id)\n",
        encoding="utf-8",
    )
    result = cli("exercise", "order", "--once")
    assert result.exit_code == 1
    text = result.stdout
    assert "Your code raised an error" in text
    assert "complete_purchase() raised NameError: name 'stroe' is not defined" in text
    assert 'File "order.py", line 2, in complete_purchase' in text
    assert "eventlesson/" not in text and "Traceback" not in text
    assert progress(home)["lessons"]["sample"]["exercises"]["order"]["state"] == "failing"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exercise", "nope"], "no exercise 'nope' in sample; choose one of: order, once"),
        (["exercise", "--once"], "--once needs an exercise NAME"),
        (["exercise", "order", "--lesson", "nope"], "unknown lesson 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_lesson_without_exercises_says_so() -> None:
    result = cli("exercise", "--lesson", "mini")
    assert result.exit_code == 0 and "has no exercises" in result.stdout
    assert cli("exercise", "order", "--lesson", "mini").exit_code == 2


def test_a_path_in_the_way_is_one_line(home: Path) -> None:
    mine(home).mkdir(parents=True)  # a folder where the file should go
    result = cli("exercise", "order", "--once")
    assert result.exit_code == 1 and "is in the way" in result.stderr


# -- simulate --with ----------------------------------------------------------------------------


def test_simulate_with_runs_the_learners_code(tmp_path: Path) -> None:
    start = tmp_path / "start.py"
    start.write_text(ORDER_START, encoding="utf-8")
    result = cli("simulate", "publish-before-commit", "--seed", "1", "--purchases", "8",
                 "--with", str(start), "--json")  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["invariants"]["no_ghost_events"] is False
    fixed = tmp_path / "fixed.py"
    fixed.write_text(ORDER_SOLUTION, encoding="utf-8")
    result = cli("simulate", "publish-before-commit", "--seed", "1", "--purchases", "8",
                 "--with", str(fixed), "--json")  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["invariants"]["no_ghost_events"] is True and doc["ghost_events"] == 0


def test_simulate_with_a_handler_replaces_that_consumer_only(tmp_path: Path) -> None:
    handler = tmp_path / "once.py"
    handler.write_text((SAMPLE / "exercises/once/solution.py").read_text(), encoding="utf-8")
    result = cli("simulate", "consumer-crash", "--purchases", "8", "--with", str(handler),
                 "--json")  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["invariants"]["no_effect_applied_twice.email"] is True
    assert doc["consumers"]["email"]["duplicates_skipped"] >= 1


CHATTY = """
def handle_email(store, event):
    print("handling", event.id, "\\x1b[2J")
    with store.transaction() as tx:
        if tx.seen(event.id):
            return
        tx.remember(event.id)
        tx.apply(event.purchase_id, event.amount_cents)
"""


def test_simulate_with_says_whose_code_ran_and_shows_what_it_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short name: a long path would be folded across lines
    chatty = Path("chatty.py")
    chatty.write_text(CHATTY, encoding="utf-8")
    args = ("simulate", "consumer-crash", "--purchases", "30", "--with", str(chatty))
    said = "Your code chatty.py ran in place of email's handler (handle_email)."

    result = cli(*args, "--fast")
    assert result.exit_code == 0, result.stderr
    text = flat(result.stdout)
    assert said in text
    assert text.index("Summary · consumer-crash") < text.index(said) < text.index("committed")
    # what their code printed, after the run, bounded, cleaned (never acted on by the terminal)
    deliveries = text.count("handling evt-")
    assert deliveries == 20 and "\x1b" not in result.stdout
    printed = re.search(r"Your code printed (\d+) lines, the first: handling evt-000001", text)
    assert printed is not None and int(printed[1]) > 30  # every purchase, and a redelivery
    assert f"… and {int(printed[1]) - 20} more" in text

    doc = json.loads(cli(*args, "--json").stdout)
    assert doc["with_file"]["file"] == str(chatty)
    assert doc["with_file"]["functions"] == ["handle_email"]
    assert doc["with_file"]["printed_lines"] == int(printed[1])
    assert doc["with_file"]["printed"][0] == "handling evt-000001 \x1b[2J"  # JSON escapes it
    assert "\x1b" not in cli(*args, "--json").stdout

    plain = cli(*args, "--plain", "--speed", "1000").stdout
    assert flat(plain).startswith(said)  # before the run's first line, not only in the summary
    assert "with_file" not in cli("simulate", "consumer-crash", "--json").stdout  # no --with


def test_simulate_with_broken_code_shows_their_frames_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def relay(outbox, bus):\n    return 1 / 0\n", encoding="utf-8")
    result = cli("simulate", "outbox", "--purchases", "4", "--with", str(broken), "--fast")
    assert result.exit_code == 1
    assert "relay() raised ZeroDivisionError: division by zero" in result.stderr
    assert 'File "broken.py", line 2, in relay' in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "defines none of complete_purchase"),
        ("def handle_nobody(store, event):\n    pass\n", "defines none of"),
        ("def relay(outbox, bus)\n", "Syntax error at line 1"),
    ],
)
def test_simulate_with_a_file_it_cannot_use_says_why(
    tmp_path: Path, source: str, message: str
) -> None:
    path = tmp_path / "mine.py"
    path.write_text(source, encoding="utf-8")
    result = cli("simulate", "happy", "--with", str(path), "--fast")
    assert result.exit_code == 1 and message in result.stderr


def test_simulate_with_a_missing_file_exits_1(tmp_path: Path) -> None:
    result = cli("simulate", "happy", "--with", str(tmp_path / "nope.py"), "--fast")
    # a long temporary path may be wrapped onto a line of its own: compare without the spaces
    assert result.exit_code == 1 and "nope.py:notfound" in "".join(result.stderr.split())


# -- content check --------------------------------------------------------------------------------


def edited_course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, root)
    return root


def check_course(root: Path) -> str:
    result = cli("content", "check", str(root))
    assert result.exit_code == 1, result.stdout
    return result.stdout


def test_content_check_runs_every_start_and_solution(tmp_path: Path) -> None:
    root = edited_course(tmp_path)
    order = root / "sample" / "exercises" / "order"
    (order / "start.py").write_text(ORDER_SOLUTION, encoding="utf-8")
    (order / "solution.py").write_text(ORDER_START, encoding="utf-8")
    out = flat(check_course(root))
    assert "course/sample/exercises/order/start.py: -: the starting file must fail" in out
    assert "course/sample/exercises/order/solution.py: -: the reference solution must pass" in out


def test_content_check_wants_the_start_to_fail_for_the_reason_taught(tmp_path: Path) -> None:
    root = edited_course(tmp_path)
    never_commits = "def complete_purchase(store, bus, purchase):\n    pass\n"
    (root / "sample/exercises/order/start.py").write_text(never_commits, encoding="utf-8")
    out = flat(check_course(root))
    assert "must fail for the reason the exercise teaches (no_ghost_events)" in out
    assert "it first breaks purchases_recorded" in out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'scenarios = ["publish-before-commit"]',
            'scenarios = ["nope"]',
            "unknown scenario 'nope'",
        ),
        ('scenarios = ["publish-before-commit"]', 'scenarios = ["sync-chain"]', "has no events"),
        ('"purchases_recorded"]', '"purchases_recorde"]', "unknown check 'purchases_recorde'"),
        ('functions = ["complete_purchase"]', 'functions = ["handle_nobody"]', "no consumer named"),
        ('teaches = "no_ghost_events"', 'teaches = "no_lost_event"', "is not one of the checks"),
        ('hints = ["Which line', 'hints = ["One.", "Two.", "Three.", "Which line', "at most 3"),
        ("seeds = 3\npurchases = 8\n\n", "seeds = 0\n\n", "must be at least 1"),
    ],
)
def test_content_check_reports_exercise_fields(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    root = edited_course(tmp_path)
    path = root / "sample" / "exercises.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert message in flat(check_course(root))


def test_content_check_wants_each_exercises_files_and_a_page_for_it(tmp_path: Path) -> None:
    root = edited_course(tmp_path)
    (root / "sample/exercises/once/solution.py").unlink()
    lesson = root / "sample" / "lesson.toml"
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace('exercise = "order"', 'exercise = "ordr"'),
        encoding="utf-8",
    )
    out = flat(check_course(root))
    assert "sample/exercises/once/solution.py: -: not found" in out
    assert "unknown exercise 'ordr'" in out
    assert "exercise 'order' is not pointed to from any page" in out


# -- the lesson points to its exercises -----------------------------------------------------------


def test_learn_print_lists_each_exercise_on_the_page_that_teaches_it() -> None:
    text = flat(cli("learn", "--print").stdout)
    page = text.index("When publishing comes first")
    assert text.index("Exercise 1: Commit first", page) < text.index("Exercise 2: Once per event")
    assert re.search(r"Run: \S*eventlesson exercise order", text)  # named as it runs here
    assert re.search(r"Run: \S*eventlesson exercise once", text)


# -- the screens at 80 columns --------------------------------------------------------------------


def render(*parts: object) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    for part in parts:
        console.print(part, crop=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


def judged(source: str, exercise: str = "order") -> tuple[object, object]:
    found = fixture_lesson().exercise(exercise)
    return found, run(Job(source, f"{exercise}.py", plan_for(found)))


def test_a_failing_verdict_reads_top_to_bottom() -> None:
    exercise, verdict = judged(ORDER_START)
    text = render(view.verdict_view(exercise, verdict, Path("/home/me/order.py")))  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[0] == "✗ Failing: ghost events"
    assert "The trace of P" in text and re.search(r"^\s+\d+\.\d{3}s  ", text, re.MULTILINE)
    assert "eventlesson simulate publish-before-commit --seed 1 --purchases 8 --with" in text
    assert "  ✗ no ghost events (published, never committed)  broken in 3 of 3 runs" in lines
    assert "  ✓ no lost events (committed, never published)" in lines
    # every line fits, but the replay command: one line to copy whole, wrapped by the terminal
    long = [line for line in lines if len(line) > 80]
    assert long == [line for line in long if "simulate publish-before-commit" in line]


def test_a_pass_shows_the_solution_the_explanation_and_what_is_next() -> None:
    exercise, verdict = judged(ORDER_SOLUTION)
    lesson = fixture_lesson()
    body = view.body(
        exercise,  # type: ignore[arg-type]
        verdict,  # type: ignore[arg-type]
        Path("order.py"),
        hints_shown=1,
        reference=ORDER_SOLUTION,
        nxt=lesson.exercise("once"),
    )
    text = render(body)
    assert text.index("✓ Passing") < text.index("Hint 1 of 2: Which line makes the purchase true?")
    assert text.index("Hint 1 of 2") < text.index("Reference solution") < text.index("Why it works")
    assert "Next: eventlesson exercise once (Once per event)." in text
    assert "Hint 2 of 2" not in text  # one hint at a time


def test_a_problem_and_what_the_code_printed_are_shown_as_text() -> None:
    source = 'print("[bold]hi[/]\\x1b[2J")\ndef complete_purchase(store, bus, purchase):\n    raise KeyError("[red]x")\n'
    exercise, verdict = judged(source)
    text = render(view.verdict_view(exercise, verdict, Path("order.py")))  # type: ignore[arg-type]
    assert "✗ Your code raised an error" in text
    assert "complete_purchase() raised KeyError: '[red]x'" in text  # never read as markup
    assert "[bold]hi[/]" in text and "\x1b" not in text
    assert "Your code printed" in text


def test_the_keys_count_the_hints_left() -> None:
    exercise = fixture_lesson().exercise("order")
    assert view.keys(exercise, 0)[0] == ("h", "hint (1 of 2)")
    assert view.keys(exercise, 2)[0] == ("h", "no more hints")


def test_plan_for_carries_the_exercise_as_written() -> None:
    exercise = fixture_lesson().exercise("once")
    assert plan_for(exercise) == Plan(
        "once",
        ("handle_email",),
        ("consumer-crash",),
        ("no_effect_applied_twice.email", "every_event_handled"),
        3,
        8,
    )


def test_what_to_do_comes_first_when_the_exercise_opens_and_last_after_a_save() -> None:
    exercise, verdict = judged(ORDER_START)
    shown = {
        first: render(
            view.body(
                exercise,  # type: ignore[arg-type]
                verdict,  # type: ignore[arg-type]
                Path("order.py"),
                hints_shown=0,
                reference=None,
                nxt=None,
                task_first=first,
            )
        )
        for first in (True, False)
    }
    assert shown[True].index("What to do") < shown[True].index("✗ Failing")
    assert shown[False].index("✗ Failing") < shown[False].index("What to do")
    assert shown[True].count("What to do") == 1
