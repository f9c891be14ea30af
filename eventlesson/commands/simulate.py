"""`eventlesson simulate`: parse the options and hand them to the simulate flow.

CLI layer: typer here; SimPy, sqlite3, rich and the flow are imported inside the command, so
`eventlesson --help` stays fast.
"""

from typing import Annotated

import typer


def simulate(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="[SCENARIO]", help="Which scenario to run (see --list).", show_default=True
        ),
    ] = "happy",
    list_: Annotated[
        bool, typer.Option("--list", help="List the scenarios, one line each, and exit.")
    ] = False,
    speed: Annotated[
        float,
        typer.Option("--speed", metavar="X", help="Virtual seconds per real second (0.1 or more)."),
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Same seed, same trace.")] = 7,
    purchases: Annotated[
        int | None,
        typer.Option(
            "--purchases",
            metavar="N",
            help="How many learners buy a course (default: per scenario).",
        ),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="No pacing and no live view: just the summary.")
    ] = False,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain", help="One line per event (automatic when output is not a terminal)."
        ),
    ] = False,
    events: Annotated[
        str | None,
        typer.Option("--events", metavar="FILE|-", help="Write the event trace as JSON Lines."),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print only the summary, as one JSON object.")
    ] = False,
    svg: Annotated[
        str | None, typer.Option("--svg", metavar="FILE", help="Save the final screen as SVG.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", metavar="PATH", help="Keep the SQLite database here (default: memory)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an --events or --svg file that eventlesson did not write."
        ),
    ] = False,
    with_file: Annotated[
        str | None,
        typer.Option(
            "--with",
            metavar="FILE",
            help="Run your own complete_purchase, relay or handle_<consumer> from FILE.",
        ),
    ] = None,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            metavar="nats|URL",
            help="Run on a real NATS JetStream broker: 'nats' starts one for the run, "
            "nats://HOST:PORT uses yours (needs eventlesson[broker]).",
        ),
    ] = None,
    keep_server: Annotated[
        bool,
        typer.Option("--keep-server", help="With --broker nats: keep the server up after the run."),
    ] = False,
    predict: Annotated[
        bool,
        typer.Option(
            "--predict",
            help="First predict what happens (the lesson's question), then compare with the run.",
        ),
    ] = False,
) -> None:
    """Watch a course purchase commit, publish and fan out to five lagging consumers."""
    from eventlesson.flows.simulate import SimulateOptions, run_command

    options = SimulateOptions(
        scenario=scenario,
        speed=speed,
        seed=seed,
        purchases=purchases,
        fast=fast,
        plain=plain,
        events=events,
        json=json_,
        svg=svg,
        db=db or ":memory:",
        with_file=with_file,
    )
    code = run_command(
        ctx.obj,
        options,
        list_=list_,
        force=force,
        broker=broker,
        keep_server=keep_server,
        predict=predict,
    )
    raise typer.Exit(code)
