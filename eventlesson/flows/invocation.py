"""How to name this tool's commands so that they run where the learner is.

A pointer such as "run `eventlesson quiz`" only helps if that command works in the learner's
shell. After the README's quick start (`make learn`) the tool is not on PATH but in `.venv/bin`;
after `pip install .` it is. Flow layer: reads the environment (PATH, the interpreter's folder,
the current folder); standard library only.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from eventlesson import NAME


def command_name() -> str:
    """`eventlesson` when it is on PATH; else the console script beside this Python.

    That script is named relative to the current folder when it lies inside it (after the quick
    start: `.venv/bin/eventlesson`), otherwise by its full path; without one,
    `python -m eventlesson` with this interpreter.
    """
    if shutil.which(NAME):
        return NAME
    script = Path(sys.executable).with_name(NAME)
    if script.is_file():
        full = os.path.abspath(script)
        here = os.path.abspath(os.curdir)
        return os.path.relpath(full, here) if full.startswith(here + os.sep) else full
    return f"{sys.executable} -m {NAME}"
