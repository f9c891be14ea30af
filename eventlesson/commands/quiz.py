"""`eventlesson quiz`: the knowledge check and the practice set, every option explained."""

from typing import Annotated

import typer

from eventlesson.commands import LessonArg


def quiz(
    ctx: typer.Context,
    lesson: LessonArg = None,
    set_: Annotated[
        str,
        typer.Option(
            "--set", metavar="SET", help="Which questions: knowledge-check, practice or all."
        ),
    ] = "knowledge-check",
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            metavar="N",
            help="Shuffle the options the same way every time (any whole number).",
        ),
    ] = None,
    no_shuffle: Annotated[
        bool,
        typer.Option("--no-shuffle", help="Show the options in their authored order."),
    ] = False,
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            metavar="LETTERS",
            help="Answer without prompts: one letter per question, authored order, e.g. A,C,B.",
        ),
    ] = None,
    json_: Annotated[
        bool,
        typer.Option("--json", help="With --answers: print one JSON object and nothing else."),
    ] = False,
    key: Annotated[
        bool,
        typer.Option(
            "--key", help="Print the answer key with every option explained (no prompts)."
        ),
    ] = False,
) -> None:
    """Test yourself on the lesson, with every option explained."""
    from eventlesson.errors import UsageError
    from eventlesson.flows.quiz import run_quiz
    from eventlesson.quiz import check_set

    set_name = check_set(set_)
    if key and (answers is not None or json_):
        raise UsageError("--key prints the answer key; it does not go with --answers or --json")
    if json_ and answers is None:
        raise UsageError("--json needs --answers (for example --answers A,B,C --json)")
    code = run_quiz(
        ctx.obj,
        lesson,
        set_name=set_name,
        seed=seed,
        shuffle=not no_shuffle,
        answers=answers,
        as_json=json_,
        key=key,
    )
    raise typer.Exit(code)
