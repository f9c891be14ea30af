"""eventlesson: a terminal tutor for event-driven architecture."""

__version__ = "0.1.0"
NAME = "eventlesson"  # the command, where nobody said how it is reached (flows.invocation)
