"""`eventlesson lessons` and `eventlesson progress`: where the learner stands."""

from typing import Annotated

import typer

from eventlesson.commands import LessonArg


def lessons(ctx: typer.Context) -> None:
    """List the lessons with your progress in each."""
    from eventlesson.flows.info import show_lessons

    raise typer.Exit(show_lessons(ctx.obj))


def progress(
    ctx: typer.Context,
    lesson: LessonArg = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Forget progress (asks first): in LESSON when given, else in every lesson.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --reset: do not ask.")] = False,
) -> None:
    """Show where you stand in a lesson and the quiz, or reset it (one lesson or all)."""
    from eventlesson.flows.info import reset_progress, show_progress

    if reset:
        raise typer.Exit(reset_progress(ctx.obj, yes=yes, lesson_id=lesson))
    if yes:
        from eventlesson.errors import UsageError

        raise UsageError("--yes only goes with --reset")
    raise typer.Exit(show_progress(ctx.obj, lesson))
