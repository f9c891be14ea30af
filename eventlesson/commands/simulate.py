"""`eventlesson simulate`: parse the options and hand them to the simulate flow.

CLI layer: typer here; SimPy, sqlite3, rich and the flow are imported inside the command, so
`eventlesson --help` stays fast.
"""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from eventlesson.app import App
    from eventlesson.flows.simulate import SimulateOptions


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
    from eventlesson.flows.simulate import SimulateOptions, list_scenarios

    app = ctx.obj
    if list_:
        raise typer.Exit(list_scenarios(app.console))
    if predict:
        from eventlesson.errors import UsageError
        from eventlesson.flows.predict import run_predict

        others = {"--fast": fast, "--plain": plain, "--events": events, "--json": json_}
        others |= {"--svg": svg, "--db": db, "--with": with_file, "--broker": broker}
        given = [flag for flag, value in others.items() if value]
        if given:
            raise UsageError(
                f"--predict plays the run live with the lesson's question; drop {given[0]}"
            )
        SimulateOptions(scenario=scenario, speed=speed).check()  # the scenario and speed
        raise typer.Exit(run_predict(app, scenario, speed))
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
    if keep_server and broker is None:
        from eventlesson.errors import UsageError

        raise UsageError("--keep-server goes with --broker nats")
    if with_file is not None and broker is not None:
        from eventlesson.errors import UsageError

        raise UsageError("--with runs your code on the model; leave out --broker")
    if with_file is None:
        raise typer.Exit(_guarded(app, options, force, broker, keep_server))
    from eventlesson.exercise.learner import LearnerFailed
    from eventlesson.flows.exercise import CodeProblem, show_problem

    try:
        code = _guarded(app, options, force)
    except (CodeProblem, LearnerFailed) as stop:  # the learner's code failed: their frames only
        code = show_problem(app, stop.problem)
    raise typer.Exit(code)


def _guarded(
    app: "App",
    options: "SimulateOptions",
    force: bool,
    broker: str | None = None,
    keep_server: bool = False,
) -> int:
    """Run with the output files protected: none replaced unasked, none left half-written."""
    from eventlesson.flows.simulate import run_simulate
    from eventlesson.outputs import refuse_overwrite, removed_on_failure, sqlite_failure

    kinds = {"--events": "trace", "--svg": "svg", "--db": ""}  # --db: the store checks its own
    files = options.files()
    refuse_overwrite(
        [(flag, path, kinds[flag]) for flag, path in files],
        force=force,
        protected=[app.store.path],
    )
    with removed_on_failure(files, sqlite_failure("--db", options.db)):
        if broker is not None:  # the same scenario on a real NATS server
            from eventlesson.flows.broker import run_broker

            return run_broker(app, options, broker, keep_server)
        return run_simulate(app, options)
