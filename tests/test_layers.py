"""The core imports no terminal libraries, and --help stays light."""

from __future__ import annotations

import ast

from .support import REPO, modules_after

# Every module of the core, each imported on its own line so a terminal library pulled in by any
# one of them shows (a module is core when its docstring says "Core module").
CORE = [
    "eventlesson.content",
    "eventlesson.environment",
    "eventlesson.errors",
    "eventlesson.files",
    "eventlesson.lesson",
    "eventlesson.markup",
    "eventlesson.models",
    "eventlesson.outputs",
    "eventlesson.predict",
    "eventlesson.progress",
    "eventlesson.quiz",
    "eventlesson.records",
    "eventlesson.schema",
    "eventlesson.text",
    "eventlesson.sim",
    *(
        f"eventlesson.sim.{name}"
        for name in (
            "engine",
            "faults",
            "invariants",
            "ledger",
            "narrate",
            "readout",
            "records",
            "scenarios",
            "services",
            "simulation",
            "snapshot",
            "state",
            "stats",
            "store",
            "story",
            "trace",
        )
    ),
    *(
        f"eventlesson.broker.{name}"
        for name in (
            "jetstream",
            "live",
            "narrate",
            "readout",
            "run",
            "server",
            "state",
            "view",
            "wire",
        )
    ),
    *(
        f"eventlesson.classroom.{name}"
        for name in ("host", "learner", "narrate", "roster", "service", "state", "wire")
    ),
    *(
        f"eventlesson.exercise.{name}"
        for name in (
            "api",
            "judge",
            "learner",
            "lint",
            "runner",
            "verdict",
            "worker",
            "workspace",
        )
    ),
]
TERMINAL = {"rich", "typer", "questionary", "prompt_toolkit"}


def test_core_imports_no_terminal_libraries() -> None:
    loaded = modules_after("\n".join(f"import {m}" for m in CORE))
    assert set(CORE) <= loaded  # the check itself works
    assert not TERMINAL & loaded, sorted(TERMINAL & loaded)


def test_every_module_that_says_it_is_core_is_checked() -> None:
    said = set()
    for path in (REPO / "eventlesson").rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if "Core module" in doc:
            said.add(".".join(path.relative_to(REPO).with_suffix("").parts))
    assert "eventlesson.models" in said  # the check itself works
    assert said <= set(CORE), f"add to CORE: {sorted(said - set(CORE))}"


def test_help_imports_no_questionary_simpy_or_content_parser() -> None:
    code = (
        "import contextlib, io\n"
        "from eventlesson.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    app(['--help'], standalone_mode=False, prog_name='eventlesson')\n"
    )
    loaded = modules_after(code)
    assert "typer" in loaded  # the check itself works
    assert (
        not {
            "questionary",
            "prompt_toolkit",
            "simpy",
            "sqlite3",
            "tomllib",
            "eventlesson.content",
        }
        & loaded
    )


def test_predictions_load_no_simulation_engine() -> None:
    """Checking content names outcomes through eventlesson.predict: that must not load SimPy."""
    loaded = modules_after("import eventlesson.predict\nimport eventlesson.content")
    assert "eventlesson.predict" in loaded
    assert not {"simpy", "sqlite3", "rich"} & loaded


def test_scripted_quiz_json_loads_no_terminal_libraries_or_prompters() -> None:
    """`quiz --answers ... --json` asks nothing and draws nothing: the start-up budget of its
    path (bench/bench_start.py) has no room for rich, the prompters or the simulation."""
    code = (
        "import contextlib, io\n"
        "from eventlesson.cli import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = app(['quiz', '--answers', 'A,A,A', '--json'], standalone_mode=False)\n"
        "assert code == 0 and '\"score\"' in out.getvalue(), (code, out.getvalue())\n"
    )
    loaded = modules_after(code)
    assert {"eventlesson.content", "eventlesson.flows.quiz"} <= loaded  # the check itself works
    assert (
        not {
            "rich",
            "questionary",
            "prompt_toolkit",
            "simpy",
            "sqlite3",
            "eventlesson.ui.prompts",
            "eventlesson.ui.render_quiz",
        }
        & loaded
    )
