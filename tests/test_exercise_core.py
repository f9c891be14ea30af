"""The exercises' core: the judge, the learner's code, the API it is handed, the verdict, the files.

Most tests run the judge in this process (`worker.run`, the same code the child runs); the tests
of the child process itself (isolation, time limits, a process that dies) are at the end. Every
check the judge reports is broken here by some learner's code, and every way the learner's code
can go wrong is reported with their frames only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from eventlesson.exercise.judge import replay_args
from eventlesson.exercise.learner import functions_in
from eventlesson.exercise.runner import Limits, check_source, read_source
from eventlesson.exercise.verdict import ERROR, FAILING, PASSING, Plan, Verdict
from eventlesson.exercise.worker import Job, run
from eventlesson.exercise.workspace import Watcher, prepare

ORDER = Plan(
    "order",
    ("complete_purchase",),
    ("publish-before-commit",),
    ("no_ghost_events", "publish_only_after_commit", "no_lost_events", "purchases_recorded"),
    seeds=3,
    purchases=8,
)
OUTBOX = Plan(
    "outbox",
    ("complete_purchase", "relay"),
    ("crash-after-commit", "broker-outage", "outbox"),
    (
        "no_lost_events",
        "no_ghost_events",
        "publish_only_after_commit",
        "purchases_recorded",
        "outbox_drained",
    ),
    seeds=3,
    purchases=10,
)
ONCE = Plan(
    "once",
    ("handle_email",),
    ("consumer-crash", "outbox"),
    ("no_effect_applied_twice.email", "every_event_handled"),
    seeds=3,
    purchases=8,
)

PUBLISH_FIRST = """
def complete_purchase(store, bus, purchase):
    bus.publish("purchase.completed", {"purchase_id": purchase.id})
    store.mark_completed(purchase.id)
"""
COMMIT_FIRST = """
def complete_purchase(store, bus, purchase):
    store.mark_completed(purchase.id)
    bus.publish("purchase.completed", {"purchase_id": purchase.id})
"""
WITH_OUTBOX = """
def complete_purchase(store, bus, purchase):
    with store.transaction():
        store.mark_completed(purchase.id)
        store.add_to_outbox("purchase.completed", {"purchase_id": purchase.id})
"""
RELAY = """
def relay(outbox, bus):
    for row in outbox.pending():
        bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
        outbox.mark_published(row)
"""
EVERY_TIME = """
def handle_email(store, event):
    store.apply(event.purchase_id, event.amount_cents)
"""
ONCE_BY_ID = """
def handle_email(store, event):
    with store.transaction() as tx:
        if tx.seen(event.id):
            return
        tx.remember(event.id)
        tx.apply(event.purchase_id, event.amount_cents)
"""


def check(source: str, plan: Plan, call_ms: int = 1000) -> Verdict:
    return run(Job(textwrap.dedent(source), "mine.py", plan, call_ms))


# -- what the judge finds ---------------------------------------------------------------------


def test_commit_then_publish_passes_every_run() -> None:
    verdict = check(COMMIT_FIRST, ORDER)
    assert verdict.status == PASSING
    assert verdict.runs == 3 and verdict.failed_runs == 0
    assert all(t.broken == 0 for t in verdict.checks)


def test_publishing_first_is_caught_with_the_run_the_purchase_and_its_trace() -> None:
    verdict = check(PUBLISH_FIRST, ORDER)
    assert verdict.status == FAILING
    failure = verdict.failure
    assert failure is not None
    assert (failure.scenario, failure.seed, failure.check) == (
        "publish-before-commit",
        1,
        "no_ghost_events",
    )
    assert failure.purchase_id > 0 and "ghost event" in failure.what
    assert failure.count > 1 and failure.what.endswith(
        f"In this run it happened to {failure.count} of the 8 purchases, "
        f"P{failure.purchase_id} first."
    )
    kinds = [line.type for line in failure.trace]
    assert kinds.index("publish") < kinds.index("commit_failed")  # the evidence, in order
    assert all(f"P{failure.purchase_id}" in line.text for line in failure.trace)
    assert replay_args(failure) == ["publish-before-commit", "--seed", "1", "--purchases", "8"]
    broken = {t.check: t.broken for t in verdict.checks}
    assert broken["no_ghost_events"] == 3 and broken["no_lost_events"] == 0


def test_a_service_that_never_commits_records_no_purchase() -> None:
    verdict = check("def complete_purchase(store, bus, purchase):\n    pass\n", ORDER)
    assert verdict.failure is not None
    assert verdict.failure.check == "purchases_recorded"
    assert "store.mark_completed" in verdict.failure.what


def test_a_service_that_never_publishes_loses_its_events() -> None:
    source = "def complete_purchase(store, bus, purchase):\n    store.mark_completed(purchase.id)\n"
    verdict = check(source, ORDER)
    assert verdict.failure is not None and verdict.failure.check == "no_lost_events"


def test_the_outbox_with_its_relay_passes_crashes_outages_and_relay_repeats() -> None:
    assert check(WITH_OUTBOX + RELAY, OUTBOX).status == PASSING


def test_publishing_after_the_commit_loses_events_when_the_service_crashes_between() -> None:
    verdict = check(COMMIT_FIRST + "\ndef relay(outbox, bus):\n    return\n", OUTBOX)
    failure = verdict.failure
    assert failure is not None and failure.check == "no_lost_events"
    assert failure.scenario == "crash-after-commit"
    assert "crashed after the commit" in failure.what
    assert any(line.type == "crash" for line in failure.trace)


def test_a_relay_that_marks_before_publishing_loses_events_in_a_broker_outage() -> None:
    marks_first = """
    def relay(outbox, bus):
        for row in outbox.pending():
            outbox.mark_published(row)
            bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
    """
    plan = Plan("x", OUTBOX.functions, ("broker-outage",), OUTBOX.holds, 2, 20)
    verdict = check(WITH_OUTBOX + textwrap.dedent(marks_first), plan)
    assert verdict.failure is not None and verdict.failure.check == "no_lost_events"
    assert "broker was down" in verdict.failure.what


NEVER_MARKS = """
def relay(outbox, bus):
    for row in outbox.pending():
        bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
"""


def test_a_relay_that_never_marks_leaves_rows_in_the_outbox() -> None:
    verdict = check(WITH_OUTBOX + NEVER_MARKS, OUTBOX)
    assert verdict.failure is not None and verdict.failure.check == "outbox_drained"


def test_a_run_that_never_ends_is_cut_off_in_virtual_time() -> None:
    # past a batch of rows, a relay that never marks reads and publishes them for ever
    plan = Plan("x", OUTBOX.functions, ("broker-outage",), ("no_lost_events",), 1, 70)
    verdict = check(WITH_OUTBOX + NEVER_MARKS, plan)
    assert verdict.failure is not None and verdict.failure.check == "run_finishes"
    assert {t.check: t.broken for t in verdict.checks}["run_finishes"] == 1


CONSUMER_STEPS = {"deliver", "handle", "crash", "restart"}


def test_an_idempotent_handler_passes_and_one_that_applies_every_delivery_does_not() -> None:
    assert check(ONCE_BY_ID, ONCE).status == PASSING
    failure = check(EVERY_TIME, ONCE).failure
    assert failure is not None and failure.check == "no_effect_applied_twice.email"
    assert "twice" in failure.what and "crashed" in failure.what
    assert {line.type for line in failure.trace} >= {"crash", "handle", "restart"}
    # only the failing consumer's steps: no other consumer's deliveries, effects or crashes
    steps = [line for line in failure.trace if line.type in CONSUMER_STEPS]
    assert steps and all(line.text.startswith("email ") for line in steps)


def test_a_consumer_that_remembers_in_memory_forgets_when_it_crashes() -> None:
    in_memory = """
    SEEN = set()

    def handle_email(store, event):
        if event.id in SEEN:
            return
        SEEN.add(event.id)
        store.apply(event.purchase_id, event.amount_cents)
    """
    plan = Plan("x", ONCE.functions, ("consumer-crash",), ONCE.holds, 3, 8)
    verdict = check(in_memory, plan)
    assert verdict.failure is not None
    assert verdict.failure.check == "no_effect_applied_twice.email"


EFFECT_THEN_ID = """
def handle_email(store, event):
    if store.seen(event.id):
        return
    store.apply(event.purchase_id, event.amount_cents)  # one transaction
    with store.transaction() as tx:  # and the id in a second one
        tx.remember(event.id)
"""
ID_THEN_EFFECT = """
def handle_email(store, event):
    with store.transaction() as tx:
        if tx.seen(event.id):
            return
        tx.remember(event.id)
    store.apply(event.purchase_id, event.amount_cents)  # a second transaction
"""


def test_the_id_and_the_effect_in_two_transactions_fail_by_a_crash_between_them() -> None:
    """The exercise teaches "the processed id stored with the effect, in one transaction": the
    judge's consumer-crash runs crash a handler between two of its transactions, then deliver
    the event again, so either order of two transactions breaks a check, with that crash shown."""
    failure = check(EFFECT_THEN_ID, ONCE).failure
    assert failure is not None and failure.check == "no_effect_applied_twice.email"
    assert failure.scenario == "consumer-crash" and failure.seed == 1
    assert "committed the effect in one transaction and the event's id in another" in failure.what
    assert "crashed between the two" in failure.what
    crash = next(line for line in failure.trace if line.type == "crash")
    assert "crashed between two transactions of its handler" in crash.text
    kinds = [line.type for line in failure.trace]
    assert kinds.index("handle") < kinds.index("crash") < kinds.index("restart")
    assert kinds.count("handle") == 2  # the receipt, and the same receipt again

    failure = check(ID_THEN_EFFECT, ONCE).failure
    assert failure is not None and failure.check == "every_event_handled"
    assert "crashed between the two" in failure.what and "skipped it" in failure.what
    assert "duplicate_skipped" in [line.type for line in failure.trace]


def test_a_handler_that_catches_the_crash_is_still_crashed() -> None:
    swallows = """
    def handle_email(store, event):
        if store.seen(event.id):
            return
        store.apply(event.purchase_id, event.amount_cents)
        try:
            with store.transaction() as tx:
                tx.remember(event.id)
        except BaseException:
            with store.transaction() as tx:
                tx.remember(event.id)
    """
    verdict = check(swallows, ONCE)
    assert verdict.status == FAILING  # not an error of theirs: the run's fault, as intended
    assert verdict.failure is not None
    assert verdict.failure.check == "no_effect_applied_twice.email"


def test_a_handler_that_never_applies_leaves_events_unhandled() -> None:
    lazy = """
    def handle_email(store, event):
        with store.transaction() as tx:
            tx.remember(event.id)
    """
    verdict = check(lazy, ONCE)
    assert verdict.failure is not None and verdict.failure.check == "every_event_handled"
    assert "email never applied" in verdict.failure.what


def test_the_engines_retry_cannot_swallow_a_handler_bug() -> None:
    # a handler that raises would be retried and dead-lettered by the engine: not a pass
    verdict = check("def handle_email(store, event):\n    raise ValueError('oops')\n", ONCE)
    assert verdict.status == ERROR and verdict.problem is not None
    assert verdict.problem.message == "handle_email() raised ValueError: oops"


# -- the learner's code going wrong -------------------------------------------------------------


def test_an_exception_shows_one_line_and_their_frames_only() -> None:
    source = """
    def helper(store, purchase):
        stroe.mark_completed(purchase.id)

    def complete_purchase(store, bus, purchase):
        helper(store, purchase)
    """
    verdict = check(source, ORDER)
    problem = verdict.problem
    assert verdict.status == ERROR and problem is not None
    assert problem.kind == "exception" and problem.function == "complete_purchase"
    assert problem.message == "complete_purchase() raised NameError: name 'stroe' is not defined"
    assert 'File "mine.py", line 6, in complete_purchase' in problem.traceback
    assert 'File "mine.py", line 3, in helper' in problem.traceback
    assert "stroe.mark_completed(purchase.id)" in problem.traceback
    assert "eventlesson" not in problem.traceback and "Traceback" not in problem.traceback


def test_an_endless_loop_is_stopped_and_shown_where_it_was() -> None:
    source = """
    def complete_purchase(store, bus, purchase):
        while True:
            try:
                pass
            except BaseException:
                pass  # swallowing the time limit does not help
    """
    verdict = check(source, ORDER, call_ms=200)
    problem = verdict.problem
    assert problem is not None and problem.kind == "timeout"
    assert problem.message == "complete_purchase() did not finish within 0.2 s: an endless loop?"
    assert 'File "mine.py"' in problem.traceback


@pytest.mark.parametrize(
    ("source", "kind", "message"),
    [
        (
            "def complete_purchase(store, bus, purchase)\n    pass\n",
            "syntax",
            "Syntax error at line 1",
        ),
        ("x = 1 / 0\n", "exception", "Your file raised, while loading: ZeroDivisionError"),
        (
            "def complete(store, bus, purchase):\n    pass\n",
            "missing",
            "defines no complete_purchase",
        ),
        ("complete_purchase = 3\n", "missing", "is not a function"),
        ("def complete_purchase(store, purchase):\n    pass\n", "signature", "must take 3"),
    ],
)
def test_a_file_that_cannot_run_says_why(source: str, kind: str, message: str) -> None:
    verdict = check(source, ORDER)
    assert verdict.status == ERROR and verdict.problem is not None
    assert verdict.problem.kind == kind
    assert message in verdict.problem.message


def test_a_syntax_error_shows_the_line_and_a_caret() -> None:
    problem = check("def complete_purchase(store, bus, purchase)\n    pass\n", ORDER).problem
    assert problem is not None
    assert "def complete_purchase(store, bus, purchase)" in problem.traceback
    assert "^" in problem.traceback


SERVICE_MISUSES = [
    ("store.mark_completed(purchase)", "takes the purchase's id"),
    ("store.mark_completed(purchase.id + 1)", "is for the purchase being completed"),
    ("store.mark_completed(purchase.id)\n    store.mark_completed(purchase.id)", "already called"),
    (
        'store.add_to_outbox("purchase.completed", {"purchase_id": purchase.id})',
        "belongs inside `with store.transaction():`",
    ),
    (
        "with store.transaction():\n"
        '        store.add_to_outbox("purchase.completed", {"purchase_id": purchase.id})',
        "needs its purchase in the same transaction",
    ),
    ('bus.publish("purchase.complete", {"purchase_id": purchase.id})', "nobody listens"),
    ('bus.publish("purchase.completed", purchase.id)', "takes a payload like"),
    ("with store.transaction():\n        with store.transaction():\n            pass", "nest"),
]


@pytest.mark.parametrize(("body", "message"), SERVICE_MISUSES)
def test_a_wrong_call_is_reported_at_the_learners_line(body: str, message: str) -> None:
    source = f"def complete_purchase(store, bus, purchase):\n    {body}\n"
    verdict = check(source, ORDER)
    problem = verdict.problem
    assert problem is not None and problem.kind == "misuse", verdict
    assert message in problem.message
    assert 'File "mine.py", line' in problem.traceback and "eventlesson" not in problem.traceback


@pytest.mark.parametrize(
    ("relay", "message"),
    [
        (
            "for row in outbox.pending():\n"
            '        bus.publish(row.topic, {"purchase_id": row.purchase_id})',
            "event_id=row.event_id",
        ),
        (
            "for row in outbox.pending():\n"
            '        bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id="evt-x")',
            "is not the id of a row",
        ),
        ("for row in outbox.pending():\n        outbox.mark_published(row.seq)", "takes a row"),
    ],
)
def test_a_wrong_call_in_the_relay_is_reported(relay: str, message: str) -> None:
    source = WITH_OUTBOX + f"\ndef relay(outbox, bus):\n    {relay}\n"
    problem = check(source, OUTBOX).problem
    assert problem is not None and problem.kind == "misuse" and message in problem.message


def test_a_handler_may_only_apply_its_own_events_purchase() -> None:
    source = "def handle_email(store, event):\n    store.apply(event.purchase_id + 1, 100)\n"
    problem = check(source, ONCE).problem
    assert problem is not None and "event.purchase_id" in problem.message


def test_what_the_code_prints_is_kept_for_the_verdict() -> None:
    source = 'print("hello")\n' + COMMIT_FIRST
    verdict = check(source, Plan("x", ORDER.functions, ORDER.scenarios, ORDER.holds, 1, 8))
    assert verdict.passed
    assert verdict.output[0] == "hello" and verdict.output_lines >= 1


def test_functions_are_found_without_running_the_file() -> None:
    source = "import os\nos._exit(9)\n" + WITH_OUTBOX + RELAY + ONCE_BY_ID + "def helper(): pass\n"
    assert functions_in(source) == ["complete_purchase", "relay", "handle_email"]
    assert functions_in("def broken(:\n") == []


# -- the verdict across the process boundary ------------------------------------------------------


def test_a_verdict_survives_json_and_junk_is_refused() -> None:
    verdict = check(PUBLISH_FIRST, ORDER)
    assert Verdict.from_json(verdict.to_json()) == verdict
    assert Verdict.from_json("not json") is None
    assert Verdict.from_json(json.dumps({"exercise": "x", "status": "maybe"})) is None
    faked = json.loads(check(COMMIT_FIRST, ORDER).to_json()) | {"failed_runs": 2}
    assert Verdict.from_json(json.dumps(faked)) is None  # a "pass" with failing runs


def test_control_codes_from_the_learners_code_never_survive_the_trip() -> None:
    source = 'def complete_purchase(store, bus, purchase):\n    raise ValueError("\\x1b]52;c;aGk=\\x07")\n'
    verdict = Verdict.from_json(check(source, ORDER).to_json())
    assert verdict is not None and verdict.problem is not None
    assert "\x1b" not in verdict.problem.message and "\x07" not in verdict.problem.message


# -- the learner's file on disk -------------------------------------------------------------------


def test_the_starting_file_is_written_once_and_never_over_the_learners(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "order.py"
    assert prepare(path, "start\n") is True
    path.write_text("mine\n", encoding="utf-8")
    assert prepare(path, "start\n") is False
    assert path.read_text(encoding="utf-8") == "mine\n"


def test_a_save_is_seen_once_and_only_when_the_file_holds_still(tmp_path: Path) -> None:
    path = tmp_path / "order.py"
    path.write_text("one\n", encoding="utf-8")
    watcher = Watcher(path)
    assert not watcher.saved()
    path.write_text("two, longer\n", encoding="utf-8")
    assert not watcher.saved()  # first sight of the change: it may still be being written
    assert watcher.saved()
    assert not watcher.saved()  # once per save
    os.replace(tmp_path / "order.py", tmp_path / "old.py")  # an editor's save-by-rename...
    assert not watcher.saved() and not watcher.saved()  # gone for a moment: nothing to check
    (tmp_path / "new.py").write_text("three\n", encoding="utf-8")
    os.replace(tmp_path / "new.py", path)
    watcher.saved()
    assert watcher.saved()


# -- the child process --------------------------------------------------------------------------


def test_the_child_knows_no_path_of_ours_and_writes_no_file(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "progress.json").write_text("{}", encoding="utf-8")
    target = tmp_path / "written.txt"
    source = f"""
import os, sys
print(os.getcwd())
print(sorted(os.environ.items()))
print(sys.path)

def complete_purchase(store, bus, purchase):
    with open({str(target)!r}, "w") as f:
        f.write("x" * 10)
"""
    verdict = check_source(source, "mine.py", ORDER)
    printed = "\n".join(verdict.output)
    assert str(home) not in printed and "EVENTLESSON" not in printed
    assert verdict.problem is not None and "File too large" in verdict.problem.message
    assert not target.exists() or target.stat().st_size == 0
    assert (home / "progress.json").read_text(encoding="utf-8") == "{}"


def test_a_process_that_ends_itself_is_reported_not_trusted() -> None:
    source = "import os\n\ndef complete_purchase(store, bus, purchase):\n    os._exit(0)\n"
    verdict = check_source(source, "mine.py", ORDER)
    assert verdict.status == ERROR and verdict.problem is not None
    assert verdict.problem.kind == "crashed"


def running_with(marker: str) -> list[int]:
    """Processes whose command line holds `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode():
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="looks processes up in /proc")
def test_a_process_the_learners_code_starts_does_not_outlive_the_check() -> None:
    marker = f"eventlesson-outlives-{uuid.uuid4().hex}"
    source = f"""
import subprocess, sys

def complete_purchase(store, bus, purchase):
    subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", {marker!r}],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
"""
    try:
        verdict = check_source(source, "mine.py", ORDER)
        assert verdict.problem is None or verdict.problem.kind != "timeout"  # it ended by itself
        deadline = time.monotonic() + 5  # a killed process leaves /proc once it is reaped
        while running_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running_with(marker) == []
    finally:
        for pid in running_with(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_the_whole_check_is_cut_off_when_nothing_else_stops_it() -> None:
    source = "def complete_purchase(store, bus, purchase):\n    while True:\n        pass\n"
    verdict = check_source(source, "mine.py", ORDER, Limits(call_seconds=0, total_seconds=1))
    assert verdict.problem is not None and verdict.problem.kind == "timeout"
    assert "did not finish within 1 s" in verdict.problem.message


def test_a_file_that_cannot_be_read_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    assert not isinstance(read_source(tmp_path / "nope.py"), str)
    (tmp_path / "latin.py").write_bytes(b"caf\xe9")
    problem = read_source(tmp_path / "latin.py")
    assert not isinstance(problem, str) and "UTF-8" in problem.message


# -- layers ---------------------------------------------------------------------------------------


def test_the_exercise_core_imports_no_terminal_library_and_the_parent_no_simulation() -> None:
    from .support import modules_after

    core = modules_after(
        "import eventlesson.exercise.judge, eventlesson.exercise.worker, "
        "eventlesson.exercise.lint, eventlesson.exercise.workspace"
    )
    assert not {"rich", "typer", "questionary", "prompt_toolkit"} & core
    parent = modules_after("import eventlesson.exercise.runner, eventlesson.exercise.workspace")
    assert "simpy" not in parent and "eventlesson.sim" not in parent  # the child runs it
