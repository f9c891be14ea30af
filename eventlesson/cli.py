"""The thin typer CLI: parse options, build the App, call a command, map errors to exit codes.

Command bodies live in `eventlesson.commands.*` and import their flows lazily, so `--help` stays
fast and never imports questionary, SimPy or the content parser.
"""

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.26 vendors click; older releases use the real one
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions  # type: ignore[no-redef,import-not-found,unused-ignore]

from eventlesson import __version__
from eventlesson.commands.classroom import classroom_app
from eventlesson.commands.content import content_app
from eventlesson.commands.exercise import exercise
from eventlesson.commands.info import lessons, progress
from eventlesson.commands.learn import learn
from eventlesson.commands.quiz import quiz
from eventlesson.commands.simulate import simulate
from eventlesson.errors import ERROR, EventlessonError, ExitCode, OutputClosed, Terminated


class _NeverRaised(Exception):
    pass


ClickException = click_exceptions.ClickException
ClickUsageError = click_exceptions.UsageError
# A group called with no subcommand (`eventlesson content`): its message *is* the help text.
# click < 8.2 prints the help itself and never raises this; then nothing matches it.
NoArgsIsHelpError: type[Exception] = getattr(click_exceptions, "NoArgsIsHelpError", _NeverRaised)

HELP = """A terminal tutor for event-driven architecture.

Run with no command to start (or resume) the guided lesson."""


class EventlessonGroup(TyperGroup):
    """Every failure becomes one line on stderr and an exit code; never a traceback."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code: int
        try:
            try:
                result = super().main(
                    args, prog_name or "eventlesson", complete_var, standalone_mode=False, **extra
                )
                code = result if isinstance(result, int) else 0
            except typer.Exit as exc:  # raised by our own commands with a code
                code = exc.exit_code
            sys.stdout.flush()  # buffered output that cannot be written is still one line
        except OutputClosed:  # `| head` read what it wanted: not a failure, nothing to say
            code = int(ExitCode.OK)
        except Terminated as exc:  # the command restored the terminal and saved on its way out
            code = exc.exit_code
        except EventlessonError as exc:
            _fail(str(exc))
            code = int(exc.exit_code)
        except typer.Abort:
            code = int(ExitCode.INTERRUPTED)
        except KeyboardInterrupt:
            sys.stderr.write("\nStopped.\n")
            code = int(ExitCode.INTERRUPTED)
        except NoArgsIsHelpError as exc:  # not a mistake to squash into one line: show the help
            exc.show()  # type: ignore[attr-defined]  # on stderr, as click does
            code = exc.exit_code  # type: ignore[attr-defined]
        except ClickException as exc:  # bad option, missing value, no such command
            hint = ""
            if isinstance(exc, ClickUsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _fail(exc.format_message() + hint)
            code = exc.exit_code
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(message: str) -> None:
    # one line, whatever the message held, and nothing in it a terminal would act on: names
    # from the command line reach here inside click's and our messages
    from eventlesson.text import clean, hanging

    line = f"{ERROR}{' '.join(clean(message).split())}"
    with contextlib.suppress(OSError, ValueError):  # no stderr left: the exit code still says it
        if sys.stderr.isatty():  # a person reads it: broken at words, not where the edge falls
            line = hanging(line, os.get_terminal_size(sys.stderr.fileno()).columns, len(ERROR))
        sys.stderr.write(f"{line}\n")
        sys.stderr.flush()


app = typer.Typer(
    cls=EventlessonGroup,
    help=HELP,
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no rich import on --help (fast start, screen readers)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eventlesson {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    content_dir: Annotated[
        str | None,
        typer.Option(
            "--content-dir",
            metavar="DIR",
            # not typer's envvar=: the App reads every variable in one place (environment.py)
            help="Read lessons from this folder instead of the shipped ones (or set "
            "EVENTLESSON_CONTENT_DIR).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """A terminal tutor for event-driven architecture."""
    from eventlesson.app import App

    ctx.obj = App.from_environment(content_dir=content_dir)
    if ctx.invoked_subcommand is None:
        ctx.invoke(learn, ctx=ctx)


app.command()(learn)
app.command()(lessons)
app.command()(progress)
app.command()(quiz)
app.command()(simulate)
app.command()(exercise)
app.add_typer(content_app, name="content")
app.add_typer(classroom_app, name="classroom")


def main() -> None:
    """Console-script entry point: the process-wide setup, then the CLI."""
    import gc

    from eventlesson.outputs import guard_standard_streams
    from eventlesson.ui.terminal import exit_on_signals

    # Everything loaded so far (typer, click, the commands) lives as long as the process: set it
    # aside so the cycle collector stops re-examining it each time the command allocates; that
    # was ~10 ms of every start. Reference counting still frees what is dropped.
    gc.freeze()
    guard_standard_streams()
    exit_on_signals()  # SIGTERM, SIGHUP: restore the terminal, save, exit 143 or 129
    app(prog_name="eventlesson")
