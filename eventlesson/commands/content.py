"""`eventlesson content check`: lint a content tree for authors and CI."""

from typing import Annotated

import typer

content_app = typer.Typer(help="Tools for lesson authors.", no_args_is_help=True)


@content_app.command("check")
def check(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(
            metavar="[PATH]",
            help="A content folder or one lesson folder (default: the content in use).",
        ),
    ] = None,
) -> None:
    """Check lesson files for schema errors, broken references and unexplained options."""
    from pathlib import Path

    from eventlesson.content import check_tree, resolve_content_dir
    from eventlesson.text import clean

    root = Path(path) if path else resolve_content_dir(ctx.obj.content_dir)
    problems = check_tree(root)
    for problem in problems:  # a problem may quote what the file holds: shown cleaned
        typer.echo(clean(str(problem)))
    if problems:
        typer.echo(clean(f"{len(problems)} problem(s) found in {root}"), err=True)
        raise typer.Exit(1)
    typer.echo(clean(f"ok: {root}"))
