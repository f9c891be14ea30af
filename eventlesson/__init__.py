"""eventlesson: a terminal tutor for event-driven architecture."""

__version__ = "0.1.0"
