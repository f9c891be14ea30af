"""`eventlesson learn`: the guided, resumable lesson."""

from typing import Annotated

import typer

from eventlesson.commands import LessonArg


def learn(
    ctx: typer.Context,
    lesson: LessonArg = None,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Start the lesson over from the first page (asks first)."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With --restart: do not ask, start over.")
    ] = False,
    print_: Annotated[
        bool,
        typer.Option(
            "--print",
            help="Print the whole lesson as a handout, with no prompts (screen-reader friendly).",
        ),
    ] = False,
) -> None:
    """Walk through the lesson, resuming where you left off."""
    from eventlesson.flows.learn import run_learn

    if yes and not restart:
        from eventlesson.errors import UsageError

        raise UsageError("--yes only goes with --restart")
    raise typer.Exit(run_learn(ctx.obj, lesson, restart=restart, yes=yes, linear=print_))
