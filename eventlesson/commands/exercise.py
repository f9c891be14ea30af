"""`eventlesson exercise`: write the code that matters, and let the simulation judge it."""

from typing import Annotated

import typer


def exercise(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]", help="The exercise to open (without it: list them with their state)."
        ),
    ] = None,
    lesson: Annotated[
        str | None,
        typer.Option(
            "--lesson",
            metavar="LESSON",
            help="Lesson id, e.g. day-089 (default: the one content/course.toml names).",
        ),
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Keep your exercise files here (default: beside your progress file).",
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option("--once", help="Check the file once and exit: 0 when it passes, else 1."),
    ] = False,
) -> None:
    """Write the code that matters and watch the simulation judge it on every save."""
    from eventlesson.flows.exercise import run_exercise, run_list

    app = ctx.obj
    if name is None:
        if once:
            from eventlesson.errors import UsageError

            raise UsageError("--once needs an exercise NAME")
        raise typer.Exit(run_list(app, lesson, folder))
    raise typer.Exit(run_exercise(app, name, lesson, folder=folder, once=once))
