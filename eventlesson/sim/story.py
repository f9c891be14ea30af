"""What the live view tells: a running log of recent steps, and each recent purchase's sequence.

Core module: standard library only (no rich, questionary or typer, no SimPy). A `Story` is a trace
listener: it keeps the last lines worth reading (commit, publish, handle, crash, ...) with their
virtual times, marks the key moments (a ghost event, a lost event, a crash, the broker going down,
a poison event parked, a duplicate effect), and remembers, for the last purchases, when each step
of their sequence happened. It never looks at a clock: which key moments stay highlighted, and for
how long, is the flow's business.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventlesson.sim.narrate import describe
from eventlesson.sim.scenarios import CONSUMER_NAMES, Scenario
from eventlesson.sim.state import StepView

QUIET = frozenset({"offset_commit", "lag"})  # in the trace and the broker panel, not the log


def in_log(record: dict[str, Any]) -> bool:
    """Whether a record earns a log line: a first delivery does not (the handle line that
    follows names its offset), a redelivery does, as does every call of the synchronous chain."""
    kind = record["type"]
    if kind in QUIET:
        return False
    if kind == "deliver":
        return record.get("via") == "call" or record.get("delivery", 1) > 1
    return True


KEPT_LINES = 64
KEPT_PURCHASES = 256


@dataclass(frozen=True)
class LogLine:
    """One line of the running log."""

    seq: int  # position in the trace: unique, increasing
    t: float  # virtual seconds
    type: str
    text: str
    key: bool  # a key moment: highlight it and keep it in view for a while
    purchase_id: int | None


def is_key(record: dict[str, Any]) -> bool:
    """Ghost and lost events, crashes, outages, parked events, duplicate effects, errors shown,
    and (in a classroom) a learner's publish that the server refused."""
    kind = record["type"]
    if kind in (
        "crash",
        "broker_down",
        "dead_letter",
        "purchase_failed",
        "consumer_down",
        "publish_refused",
    ):
        return True
    if kind == "commit_failed":
        return bool(record.get("ghost") or record.get("rolled_back"))
    if kind == "handle":
        return bool(record.get("duplicate")) or not record.get("committed", True)
    if kind == "publish_failed":
        return bool(record.get("gave_up"))
    return kind == "publish" and record.get("repeat", False)


@dataclass
class PurchaseStory:
    """When each step of one purchase happened, as far as the trace has told."""

    purchase_id: int
    asked: float
    committed: float | None = None
    commit_failed: str | None = None  # "failed" or "rolled back"
    published: float | None = None
    offset: int | None = None
    in_outbox: bool = False
    publish_problem: str | None = None  # "lost", "rejected", "retrying"
    confirmed: float | None = None
    told_failed: float | None = None
    reached: set[str] = field(default_factory=set)  # consumers that handled or parked it
    calls: set[str] = field(default_factory=set)  # synchronous chain: consumers called so far


class Story:
    """A trace listener that keeps what the live view narrates (`words`: another backend's
    sentences for its records, such as the real broker's)."""

    def __init__(
        self, scenario: Scenario, words: Callable[[dict[str, Any]], str] = describe
    ) -> None:
        self.scenario = scenario
        self.words = words
        self.lines: deque[LogLine] = deque(maxlen=KEPT_LINES)
        self.keys: deque[LogLine] = deque(maxlen=8)  # the latest key moments
        self.purchases: OrderedDict[int, PurchaseStory] = OrderedDict()
        self.latest: int | None = None  # the newest purchase
        self.seq = 0
        self.last: dict[str, Any] | None = None

    def __call__(self, record: dict[str, Any]) -> None:
        self.seq += 1
        self.last = record
        kind = record["type"]
        pid = record.get("purchase_id")
        if kind == "command" and pid is not None:
            self.latest = pid
            self.purchases[pid] = PurchaseStory(pid, record["t"])
            if len(self.purchases) > KEPT_PURCHASES:
                self.purchases.popitem(last=False)
        story = self.purchases.get(pid) if pid is not None else None
        if story is not None:
            self._advance(story, record)
        if not in_log(record):
            return
        line = LogLine(self.seq, record["t"], kind, self.words(record), is_key(record), pid)
        self.lines.append(line)
        if line.key:
            self.keys.append(line)

    @staticmethod
    def _advance(story: PurchaseStory, record: dict[str, Any]) -> None:
        kind, t = record["type"], record["t"]
        if kind == "commit":
            story.committed = t
            story.in_outbox = bool(record.get("outbox"))
        elif kind == "commit_failed":
            story.commit_failed = "rolled back" if record.get("rolled_back") else "failed"
        elif kind == "publish":
            if story.published is None:
                story.published, story.offset = t, record.get("offset")
            story.in_outbox = False
            story.publish_problem = None
        elif kind == "publish_failed":
            story.publish_problem = "lost" if record.get("gave_up") else "rejected, retrying"
        elif kind == "crash" and record.get("lost"):
            story.publish_problem = "lost"
        elif kind == "confirm":
            story.confirmed = t
        elif kind == "purchase_failed":
            story.told_failed = t
        elif kind in ("handle", "duplicate_skipped", "dead_letter"):
            story.reached.add(record["consumer"])
        elif kind == "deliver" and record.get("via") == "call":
            story.calls.add(record["consumer"])

    # -- what the view reads --

    def recent(self, count: int) -> list[LogLine]:
        """The last `count` log lines, oldest first."""
        lines = self.lines
        return list(lines)[-count:] if count > 0 else []

    def steps(self, purchase_id: int | None) -> tuple[StepView, ...]:
        """The purchase's sequence in this design's order, each step with its state and time."""
        story = self.purchases.get(purchase_id) if purchase_id is not None else None
        names = self.scenario.steps
        if story is None:
            return tuple(StepView(name, "pending", "") for name in names)
        return tuple(self._step(name, story) for name in names)

    def _step(self, name: str, s: PurchaseStory) -> StepView:
        if name == "command":
            return StepView(name, "done", f"P{s.purchase_id}", s.asked)
        if name == "commit":
            if s.committed is not None:
                return StepView(name, "done", "+ outbox row" if s.in_outbox else "", s.committed)
            if s.commit_failed:
                return StepView(name, "failed", s.commit_failed)
            return StepView(name, "waiting", "")
        if name == "publish":
            if s.published is not None:
                return StepView(name, "done", f"offset {s.offset}", s.published)
            if s.publish_problem == "lost":
                return StepView(name, "failed", "lost")
            if s.publish_problem:
                return StepView(name, "waiting", s.publish_problem)
            if s.commit_failed:
                return StepView(name, "skipped", "")
            if s.in_outbox:
                return StepView(name, "waiting", "in outbox")
            return StepView(name, "waiting" if s.committed is not None else "pending", "")
        if name == "consumers":
            total = len(CONSUMER_NAMES)
            reached = len(s.reached)
            if reached == total:
                return StepView(name, "done", f"{reached}/{total}")
            if s.publish_problem == "lost" or (s.commit_failed and s.published is None):
                return StepView(name, "skipped", f"{reached}/{total}")
            if s.told_failed is not None:
                return StepView(name, "failed", f"{reached}/{total}")
            return StepView(
                name, "waiting" if reached or s.calls else "pending", f"{reached}/{total}"
            )
        # confirm (the synchronous chain shows it as a step)
        if s.confirmed is not None:
            return StepView(name, "done", "", s.confirmed)
        if s.told_failed is not None:
            return StepView(name, "failed", "error shown", s.told_failed)
        return StepView(name, "waiting", "")

    def learner(self, purchase_id: int | None) -> str:
        """What the learner of this purchase has been told, and when, in a few words."""
        s = self.purchases.get(purchase_id) if purchase_id is not None else None
        if s is None:
            return "waiting for the first learner"
        if s.told_failed is not None:
            if s.committed is not None:
                return f"shown an error at {s.told_failed:.2f} s, yet it committed: paid, told it failed"
            return f"shown an error at {s.told_failed:.2f} s"
        if s.confirmed is None:
            if s.commit_failed:
                if s.published is not None:
                    return "told it failed (nothing stored), yet its event went out: a ghost event"
                return "told it failed (nothing stored)"
            if self.scenario.mode == "sync" and s.committed is not None:
                return f"still waiting: {len(s.reached)} of {len(CONSUMER_NAMES)} services answered"
            return "waiting for the commit"
        told = f"'successful' at {s.confirmed:.2f} s"
        if self.scenario.mode == "sync":
            return f"{told}, only after every service answered"
        if s.publish_problem == "lost":
            return f"{told}, but the publish was lost: paid, never enrolled"
        if s.published is not None and s.published < s.confirmed:
            return f"{told}; its event went out before the commit"
        if s.published is None and s.in_outbox:
            return f"{told}, at the commit; the event waits in the outbox"
        if s.published is None:
            return f"{told}, at the commit; the publish is still to come"
        return f"{told}, at the commit, before the publish"
