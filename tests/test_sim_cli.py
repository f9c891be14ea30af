"""`eventlesson simulate` through the real CLI app with typer's CliRunner (stdout is no terminal)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventlesson.cli import app
from eventlesson.sim import SCENARIOS


def invoke(home: Path, *args: str):
    runner = CliRunner()
    env = {"NO_COLOR": "1", "COLUMNS": "80", "EVENTLESSON_HOME": str(home)}
    return runner.invoke(app, ["simulate", *args], env=env, catch_exceptions=False)


def test_list_shows_every_scenario_with_its_line(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--list")
    assert result.exit_code == 0
    for name in SCENARIOS:
        assert name in result.stdout
    assert "ghost events" in " ".join(result.stdout.split())


def test_plain_is_one_line_per_event_then_the_summary(tmp_path: Path) -> None:
    result = invoke(tmp_path, "happy", "--purchases", "2", "--speed", "1000")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("commit" in line and "P1 is committed" in line for line in lines)
    assert any("publish" in line and "evt-000001" in line for line in lines)
    assert "Summary · happy" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: plain, whatever was asked


def test_fast_plain_prints_events_without_pacing(tmp_path: Path) -> None:
    result = invoke(tmp_path, "poison-event", "--fast", "--plain", "--purchases", "4")
    assert result.exit_code == 0
    assert "dead-letter queue" in result.stdout
    assert "Takeaway" in result.stdout


def test_json_is_one_object_and_nothing_else(tmp_path: Path) -> None:
    result = invoke(tmp_path, "publish-before-commit", "--json", "--purchases", "6")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["scenario"] == "publish-before-commit"
    assert doc["ghost_events"] >= 1
    assert doc["invariants"]["no_ghost_events"] is False
    assert set(doc["consumers"]) == {
        "enrollment",
        "email",
        "analytics",
        "recommendations",
        "affiliate",
    }


def test_events_dash_writes_json_lines_to_stdout_and_the_summary_elsewhere(tmp_path: Path) -> None:
    result = invoke(tmp_path, "consumer-crash", "--events", "-", "--fast", "--purchases", "3")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all("t" in r and "type" in r for r in rows)
    assert any(r["type"] == "duplicate_skipped" for r in rows)
    assert "Summary" in result.stderr


def test_events_file_matches_for_the_same_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        result = invoke(tmp_path, "outbox", "--fast", "--seed", "3", "--events", str(path))
        assert result.exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert rows[0]["type"] == "command"
    assert "Summary · outbox" in result.stdout


def test_svg_saves_the_final_screen(tmp_path: Path) -> None:
    svg = tmp_path / "final.svg"
    result = invoke(tmp_path, "happy", "--fast", "--purchases", "3", "--svg", str(svg))
    assert result.exit_code == 0
    text = svg.read_text()
    assert text.startswith("<svg") and "recommendations" in text


def test_db_keeps_the_purchases_for_sqlite3(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    result = invoke(tmp_path, "crash-after-commit", "--json", "--purchases", "5", "--db", str(db))
    doc = json.loads(result.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == doc["committed"]


def one_line_error(result) -> str:
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_unknown_scenario_is_one_line_naming_the_valid_ones(tmp_path: Path) -> None:
    line = one_line_error(invoke(tmp_path, "teleport"))
    assert "teleport" in line and "happy" in line and "poison-event" in line


def test_negative_or_zero_speed_is_one_line(tmp_path: Path) -> None:
    assert "--speed" in one_line_error(invoke(tmp_path, "--speed", "-2"))
    assert "--speed" in one_line_error(invoke(tmp_path, "--speed", "0"))


def test_speed_below_the_documented_minimum_is_refused(tmp_path: Path) -> None:
    line = one_line_error(invoke(tmp_path, "--speed", "0.05"))
    assert "--speed must be at least 0.1 (got 0.05)" in line
    help_text = " ".join(invoke(tmp_path, "--help").stdout.split())
    assert "0.1 or more" in help_text
    assert invoke(tmp_path, "--speed", "0.1", "--fast", "--purchases", "2").exit_code == 0


def test_zero_purchases_and_conflicting_stdout_are_one_line(tmp_path: Path) -> None:
    assert "--purchases" in one_line_error(invoke(tmp_path, "--purchases", "0"))
    assert "stdout" in one_line_error(invoke(tmp_path, "--json", "--events", "-"))


def test_unwritable_files_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "t.jsonl"
    line = one_line_error(invoke(tmp_path, "--fast", "--events", str(missing)))
    assert line.startswith("eventlesson: error: --events ") and str(missing) in line
    notdb = tmp_path / "notes.txt"
    notdb.write_text("not a database " * 100)
    line = one_line_error(invoke(tmp_path, "--fast", "--db", str(notdb)))
    assert "--db" in line and str(notdb) in line


def test_huge_purchase_counts_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    line = one_line_error(invoke(tmp_path, "--fast", "--purchases", "99999999999999999999"))
    assert "--purchases" in line and "10,000,000" in line
    assert "--purchases" in one_line_error(invoke(tmp_path, "--purchases", "10000001"))


@pytest.mark.parametrize("flag", ["--svg", "--events", "--db"])
@pytest.mark.parametrize("view", [["--fast"], ["--speed", "1000"], ["--json"]])
def test_every_output_file_is_checked_before_the_run(
    tmp_path: Path, flag: str, view: list[str]
) -> None:
    target = tmp_path / "missing-dir" / "out.file"
    result = invoke(tmp_path, "happy", "--purchases", "2", *view, flag, str(target))
    line = one_line_error(result)  # exit 2, like every other bad option value
    assert line.startswith(f"eventlesson: error: {flag} '{target}': cannot write it")
    assert result.stdout == ""  # nothing ran: no events, no summary, no JSON


def test_a_directory_is_no_place_for_a_picture(tmp_path: Path) -> None:
    line = one_line_error(invoke(tmp_path, "--fast", "--svg", str(tmp_path)))
    assert "--svg" in line and "directory" in line


def test_someone_elses_database_is_refused_untouched_and_leaves_no_trace_file(
    tmp_path: Path,
) -> None:
    theirs = tmp_path / "shop.db"
    with sqlite3.connect(theirs) as conn:
        conn.execute("CREATE TABLE outbox (id INTEGER)")
        conn.execute("INSERT INTO outbox VALUES (42)")
    conn.close()
    trace = tmp_path / "trace.jsonl"
    args = ("--fast", "--db", str(theirs), "--events", str(trace))
    line = one_line_error(invoke(tmp_path, *args))
    assert line.startswith(f"eventlesson: error: --db '{theirs}': ")
    assert "did not create" in line
    with sqlite3.connect(theirs) as conn:
        assert conn.execute("SELECT id FROM outbox").fetchall() == [(42,)]
    conn.close()
    assert not trace.exists()  # opened only once the simulation was built


def test_a_database_path_in_an_error_is_quoted_and_cleaned(tmp_path: Path) -> None:
    odd = tmp_path / "my shop\x1b[31m.db"  # a space, and an escape a terminal would obey
    odd.write_bytes(b"SQLite format 3\x00" + b"not a database at all " * 8)
    line = one_line_error(invoke(tmp_path, "--fast", "--db", str(odd)))
    assert line.startswith(f"eventlesson: error: --db '{tmp_path}/my shop\ufffd[31m.db': ")
    assert "cannot use it as an SQLite database" in line and "\x1b" not in line


def test_our_own_database_file_is_reused(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    for purchases in ("4", "2"):
        result = invoke(tmp_path, "--json", "--purchases", purchases, "--db", str(db))
        assert result.exit_code == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM purchases").fetchone()[0] == 2
    conn.close()


def test_two_options_naming_one_file_are_refused(tmp_path: Path) -> None:
    same = str(tmp_path / "x.out")
    line = one_line_error(invoke(tmp_path, "--fast", "--events", same, "--svg", same))
    assert "--events" in line and "--svg" in line


def test_fast_alone_prints_just_the_summary(tmp_path: Path) -> None:
    result = invoke(tmp_path, "happy", "--fast", "--purchases", "3")
    assert result.exit_code == 0
    assert "Summary · happy" in result.stdout
    assert "CompletePurchase" not in result.stdout  # no event lines


# -- the flow's pacing, with a fake clock (no real waiting, no timed assertions) -----------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


class ScriptedKeys:
    """Keys pressed at given real times (on a fake clock), for the pacer."""

    def __init__(self, clock: FakeClock, presses: list[tuple[float, str]]) -> None:
        self.clock = clock
        self.presses = sorted(presses)

    def wait(self, seconds: float) -> str | None:
        if self.presses and self.presses[0][0] <= self.clock.now + seconds:
            at, action = self.presses.pop(0)
            self.clock.now = max(self.clock.now, at)
            return action
        self.clock.sleep(seconds)
        return None


def test_pacer_pauses_steps_changes_speed_and_quits() -> None:
    from eventlesson.flows.simulate import FASTER, PAUSE, QUIT, STEP, Pacer
    from eventlesson.sim import Simulation

    sim = Simulation("happy", seed=7, purchases=50, observe=True)
    clock = FakeClock()
    start = clock.now
    keys = ScriptedKeys(clock, [(start + 3, PAUSE), (start + 5, STEP), (start + 6, STEP)])
    frames: list[float] = []
    pacer = Pacer(sim, 1.0, keys, frames.append, clock=clock)
    keys.presses += [(start + 8, PAUSE), (start + 9, FASTER), (start + 12, QUIT)]
    pacer.run()
    assert pacer.quit and not pacer.interrupted and not sim.done
    assert pacer.speed == 2.0
    assert pacer.paused_for == pytest.approx(5.0)  # from 3 s to 8 s of real time
    # 3 s playing at 1x, two single steps while paused, 1 s at 1x, then 3 s at 2x
    assert sim.now <= 3 + 1 + 3 * 2 + 2  # never ran ahead of the clock (steps aside)
    assert frames == sorted(frames)


def test_stepping_while_paused_moves_exactly_one_event() -> None:
    from eventlesson.flows.simulate import PAUSE, QUIT, STEP, Pacer
    from eventlesson.sim import Simulation

    sim = Simulation("happy", seed=7, purchases=5, observe=True)
    clock = FakeClock()
    seen: list[int] = []
    sim.add_listener(lambda record: seen.append(record["t"]))
    keys = ScriptedKeys(clock, [(clock.now, PAUSE)])
    pacer = Pacer(sim, 1.0, keys, clock=clock)
    keys.presses += [(clock.now + 1, STEP), (clock.now + 2, QUIT)]
    pacer.run()
    assert round(sim.now, 6) == seen[-1] > 0  # the one step ran the first event
    assert len({t for t in seen}) == 1


def test_ctrl_c_as_a_key_ends_the_run_as_interrupted() -> None:
    from eventlesson.flows.simulate import INTERRUPT, Pacer
    from eventlesson.sim import Simulation

    sim = Simulation("happy", seed=7, purchases=5)
    clock = FakeClock()
    pacer = Pacer(sim, 1.0, ScriptedKeys(clock, [(clock.now + 1, INTERRUPT)]), clock=clock)
    pacer.run()
    assert pacer.interrupted and pacer.quit


def test_a_long_unpaced_run_reports_its_progress_on_a_terminal(monkeypatch) -> None:
    import io

    from rich.console import Console

    from eventlesson.flows import simulate as flow
    from eventlesson.sim import Simulation

    monkeypatch.setattr(flow, "PROGRESS_AFTER", 0.0)
    err = io.StringIO()
    sim = Simulation("happy", seed=7, purchases=20_000)
    done = flow._report_progress(sim, Console(file=err, force_terminal=True))
    sim.run()
    done()
    assert "simulating: 10,000 of 20,000 purchases (50%)" in err.getvalue()
    assert err.getvalue().endswith("\r\x1b[K")  # the line is cleared at the end
    quiet = io.StringIO()
    flow._report_progress(Simulation("happy", purchases=2), Console(file=quiet))()
    assert quiet.getvalue() == ""  # not a terminal: nothing


def test_pace_runs_virtual_time_at_speed_times_real_time() -> None:
    from eventlesson.flows.simulate import pace
    from eventlesson.sim import Simulation

    sim = Simulation("happy", seed=7, purchases=4, observe=True)
    clock = FakeClock()
    frames: list[float] = []
    pace(sim, 4.0, frames.append, clock=clock, sleep=clock.sleep)
    assert sim.done
    assert clock.slept == pytest.approx(sim.now / 4.0, rel=1e-6)
    assert frames == sorted(frames)  # the displayed clock never goes back
    assert frames[-1] == sim.now


def test_play_inline_plays_plain_on_a_non_terminal_and_shows_the_summary(monkeypatch) -> None:
    import io

    from rich.console import Console

    from eventlesson.flows import simulate as flow

    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    waited = flow.play_inline(console, "publish-before-commit", speed=10_000)
    assert waited is False  # the lesson pauses for it
    text = out.getvalue()
    assert "ghost event" in text
    assert "Takeaway" in text and "Troubleshooting" in text


@pytest.mark.parametrize(("width", "height"), [(80, 24), (40, 20)])
def test_play_inline_clears_the_live_view_and_ends_on_one_screen(
    monkeypatch, width: int, height: int
) -> None:
    import io

    from rich.console import Console

    from eventlesson.flows import simulate as flow

    out = io.StringIO()
    console = Console(file=out, width=width, height=height, force_terminal=True, color_system=None)
    assert flow.play_inline(console, "publish-before-commit", speed=10000) is True  # it waited
    text = out.getvalue()
    assert "Learner:" in text  # the live view ran ...
    after = text.rsplit("\x1b[2J", 1)[1]  # ... and was cleared before the summary
    assert "Learner:" not in after
    lines = after.replace("\x1b[H", "").rstrip("\n").splitlines()
    assert len(lines) <= height - 1
    assert lines[-1].startswith("Press any key to return to the lesson")
    assert lines[0].startswith("Summary · publish-before-commit")
    assert "ghost 4" in after or "ghost events 4" in after
    assert "BROKEN" in after.upper() and "Takeaway" in after


def test_the_flow_reaches_stdout_through_the_app(make_app) -> None:
    from eventlesson.flows.simulate import SimulateOptions, run_simulate

    app = make_app()
    code = run_simulate(app, SimulateOptions("outbox", purchases=3, json=True))
    assert code == 0
    doc = json.loads(make_app.out.getvalue())  # app.emit: raw text on the App's stdout
    assert doc["scenario"] == "outbox" and doc["purchases"] == doc["planned"] == 3
    assert make_app.errors.getvalue() == ""


def test_live_and_inline_play_get_a_real_console_from_the_apps_stand_in() -> None:
    from rich.console import Console

    from eventlesson.app import App
    from eventlesson.flows.simulate import real_console

    app = App.from_environment()
    assert isinstance(real_console(app.console), Console)
    plain = Console(file=None)
    assert real_console(plain) is plain


def test_an_unknown_scenario_is_named_before_any_file_is_refused(tmp_path: Path) -> None:
    """The options are checked before the files they name: a typo in the scenario is what the
    learner hears about, not that the trace file exists."""
    existing = tmp_path / "existing.txt"
    existing.write_text("mine\n")
    line = one_line_error(invoke(tmp_path, "nosuch", "--events", str(existing)))
    assert "unknown scenario" in line and "did not write" not in line
    assert existing.read_text() == "mine\n"


def test_option_conflicts_come_before_the_scenario_and_the_files(tmp_path: Path) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("mine\n")
    line = one_line_error(invoke(tmp_path, "nosuch", "--keep-server", "--svg", str(existing)))
    assert "--keep-server goes with --broker" in line
    line = one_line_error(invoke(tmp_path, "happy", "--predict", "--keep-server"))
    assert "drop --keep-server" in line


def test_json_keeps_a_file_name_readable_and_escapes_what_a_terminal_would_act_on(
    tmp_path: Path,
) -> None:
    """--json is written as quiz --json is (text.json_text): 'lösung' stays 'lösung', not
    'l\\u00f6sung', while a control character in a name is still escaped."""
    from .support import FIXTURE_COURSE

    solution = FIXTURE_COURSE / "sample" / "exercises" / "order" / "solution.py"
    mine = tmp_path / "lösung\x1b[2J.py"
    mine.write_text(solution.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke(tmp_path, "--with", str(mine), "--json")
    assert result.exit_code == 0, result.stderr
    assert "lösung\\u001b[2J.py" in result.stdout and "\x1b" not in result.stdout
    assert json.loads(result.stdout)["with_file"]["file"] == str(mine)
