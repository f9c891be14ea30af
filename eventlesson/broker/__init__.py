"""The real broker: NATS JetStream behind `simulate --broker` (and the classroom after it).

Core package: no rich, questionary or typer. `server` (the nats-server process) needs only the
standard library; `jetstream`, `live` and `run` need nats-py from the optional `broker` extra, so
nothing here imports them: callers ask `missing_extra()` first and import those modules lazily.
"""

from __future__ import annotations

import importlib.util

from eventlesson.broker.server import INSTALL_HINT


def missing_extra() -> str | None:
    """One line saying what to install when the broker extra is absent; None when it is there."""
    if importlib.util.find_spec("nats") is None:
        return f"--broker needs the NATS client and server: {INSTALL_HINT}"
    return None


__all__ = ["INSTALL_HINT", "missing_extra"]
