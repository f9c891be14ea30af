"""Hands-on exercises: the learner's code runs inside the simulation, which judges it.

Core package: the standard library and `eventlesson.sim` only (no rich, questionary or typer).
Where things live:

- `api` - what the learner's functions are handed (`store`, `bus`, `outbox`, `event`), checked
  as they are called so that a mistake is reported at the learner's own line;
- `learner` - the learner's file: compiled, run in a fresh namespace, its functions wrapped so
  that an exception or an endless loop becomes a `LearnerError` with their traceback only;
- `judge` - runs the exercise's scenarios on many seeds and finds the first failing run, from
  the simulation's own read-out (trace, ledger, stores, invariants);
- `verdict` - what a check found, as plain data that crosses the process boundary as JSON;
- `worker` - the child process that runs the learner's code; `runner` - the parent side: it
  starts the child with a time limit and reads its verdict;
- `workspace` - the learner's file on disk: written once, never overwritten, watched for saves;
- `lint` - what `content check` adds for exercises (names, files, and a run of each).
"""
