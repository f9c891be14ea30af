"""The core imports no terminal libraries, and --help stays light."""

from __future__ import annotations

from .support import modules_after

CORE = [
    "eventlesson.models",
    "eventlesson.content",
    "eventlesson.lesson",
    "eventlesson.progress",
    "eventlesson.errors",
]
OPTIONAL_CORE = ["eventlesson.quiz", "eventlesson.sim", "eventlesson.predict"]


def test_core_imports_no_terminal_libraries() -> None:
    imports = "\n".join(f"import {m}" for m in CORE + OPTIONAL_CORE)
    loaded = modules_after(imports)
    assert not {"rich", "typer", "questionary", "prompt_toolkit"} & loaded


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
