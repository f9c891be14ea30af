"""What the server reports, as plain data: a view can draw it and a test can build it by hand.

Core module: standard library only (no nats-py, rich, questionary or typer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsumerState:
    """One durable consumer as the server reports it."""

    name: str  # the lesson's name
    num_pending: int  # in the stream, not yet delivered
    num_ack_pending: int  # delivered, not yet acknowledged
    # deliveries beyond the first, over the consumer's life: the server's own num_redelivered
    # counts only redelivered messages still unacknowledged, so it is 0 after a drained run
    redeliveries: int
    delivered_seq: int  # the last stream sequence delivered
    ack_floor_seq: int  # every sequence up to this one is acknowledged: the committed offset

    @property
    def lag(self) -> int:
        return self.num_pending + self.num_ack_pending


@dataclass(frozen=True)
class StreamState:
    messages: int
    first_seq: int
    last_seq: int


@dataclass(frozen=True)
class ServerView:
    """The broker as the live view shows it: the stream's end and each consumer's counters."""

    url: str
    stream: str
    last_seq: int  # the log's end: the last stream sequence
    messages: int
    consumers: tuple[ConsumerState, ...]
    reachable: bool  # False while the server is stopped or does not answer
    dropped_repeats: int  # publishes the server dropped by Nats-Msg-Id
    dead_letters: int  # events parked on the dead-letter subject
