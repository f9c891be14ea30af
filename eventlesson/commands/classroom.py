"""`eventlesson classroom host` and `classroom join`: a class on one real NATS server.

CLI layer: typer here; nats-py, rich and the flows are imported inside the commands, so
`eventlesson --help` stays fast.
"""

from typing import Annotated

import typer

classroom_app = typer.Typer(
    help="Teach a room: the instructor publishes, every learner's consumers lag.",
    no_args_is_help=True,
)


@classroom_app.command("host")
def host(
    ctx: typer.Context,
    bind: Annotated[
        str,
        typer.Option(
            "--bind",
            metavar="ADDR",
            help="Listen on this address (0.0.0.0: every network of this machine, for a LAN).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="N", help="The server's port (0: any free one).")
    ] = 4222,
    demo: Annotated[
        int,
        typer.Option("--demo", metavar="N", help="Add N simulated learners, to rehearse alone."),
    ] = 0,
    rate: Annotated[
        float,
        typer.Option("--rate", metavar="R", help="Steady purchases a second once started (space)."),
    ] = 1.0,
    burst: Annotated[
        int, typer.Option("--burst", metavar="N", help="Purchases a burst (b) brings.")
    ] = 20,
    save: Annotated[
        str | None,
        typer.Option(
            "--save", metavar="FILE", help="Write the class summary as JSON when the class ends."
        ),
    ] = None,
) -> None:
    """Run a class: its server, the purchase service and a dashboard of the learners."""
    from eventlesson.flows.classroom import HostOptions, run_host

    options = HostOptions(bind=bind, port=port, demo=demo, rate=rate, burst=burst, save=save)
    raise typer.Exit(run_host(ctx.obj, options))


@classroom_app.command("join")
def join(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="The class's address, as the host shows it (nats://join:…)."
        ),
    ],
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="NAME", help="Your name in the class (letters, digits, - and _)."
        ),
    ],
    speed: Annotated[
        float,
        typer.Option(
            "--speed",
            metavar="X",
            help="Your consumers work X times faster than the model's (0.1 or more).",
        ),
    ] = 1.0,
    json_: Annotated[
        bool, typer.Option("--json", help="At the end, print your session's summary as JSON.")
    ] = False,
) -> None:
    """Join a class and run your five consumers on its server."""
    from eventlesson.flows.classroom import JoinOptions, run_join

    options = JoinOptions(url=url, name=name, speed=speed, json=json_)
    raise typer.Exit(run_join(ctx.obj, options))
