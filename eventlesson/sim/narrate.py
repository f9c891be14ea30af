"""Plain words for trace records: the running log, the "what just happened" line, `--plain`.

Core module: standard library only (no rich, questionary or typer, no SimPy).
"""

from __future__ import annotations

from typing import Any

from eventlesson.sim.scenarios import CONSUMERS, MAX_DELIVERIES

REFRESHES = frozenset(spec.name for spec in CONSUMERS if spec.refresh)


def _who(record: dict[str, Any]) -> str:
    return str(record.get("consumer") or record.get("component") or "someone")


def describe(record: dict[str, Any]) -> str:
    """One sentence a learner can read, for any record the engine emits."""
    kind = record["type"]
    pid = f"P{record['purchase_id']}" if "purchase_id" in record else "the purchase"
    eid = record.get("event_id", "the event")
    who = _who(record)
    if kind == "command":
        text = f"A learner buys {record.get('course', 'a course')}: CompletePurchase {pid}."
        if record.get("waits"):
            text += " The service is restarting: the learner waits."
        return text
    if kind == "commit":
        if record.get("outbox"):
            return f"{pid} and its outbox row commit in one transaction."
        return f"{pid} is committed: the purchase is now true in the store."
    if kind == "commit_failed":
        if record.get("rolled_back"):
            return f"{pid}: {record.get('reason', 'rolled back')}; nothing half-written."
        text = f"{pid} did not commit ({record.get('reason', 'rolled back')})."
        if record.get("ghost"):
            text += " Its event is already out: a ghost event."
        return text
    if kind == "confirm":
        return (
            f"{pid}: the learner sees 'Purchase successful' after {record.get('latency', 0):.2f} s."
        )
    if kind == "purchase_failed":
        return (
            f"{pid}: the learner sees an error after {record.get('latency', 0):.2f} s"
            f" ({record.get('reason', 'failed')})."
        )
    if kind == "publish":
        by = "The relay publishes" if record.get("via") == "relay" else "Published"
        again = " again (a repeat)" if record.get("repeat") else ""
        return f"{by} {eid} for {pid}{again} at offset {record.get('offset')}."
    if kind == "publish_failed":
        if record.get("gave_up"):
            if record.get("lost"):
                return f"The broker rejected {eid} again; the service gives up: {pid} is lost."
            return f"The broker rejected {eid} again; the service gives up."
        return f"The broker rejected {eid} (unavailable); trying again."
    if kind == "deliver":
        if record.get("via") == "call":
            return f"The service calls {who} for {pid}; the learner waits."
        again = f" (delivery {record['delivery']})" if record.get("delivery", 1) > 1 else ""
        return f"{who} reads {eid} at offset {record.get('offset')}{again}."
    if kind == "handle":
        text = f"{who} {record.get('effect', 'handled it')} for {pid}"
        if "offset" in record:
            text = (
                f"{who} handled offset {record['offset']}: {record.get('effect', 'done')} for {pid}"
            )
        if record.get("duplicate"):
            return text + " again: a duplicate effect."
        if not record.get("committed", True):
            return text + ", which the store does not hold (yet)."
        return text + "."
    if kind == "duplicate_skipped":
        if who in REFRESHES:
            return f"{who} refreshes for {pid} again: nothing changes (a refresh is idempotent)."
        return f"{who} already processed {eid}: skipped (idempotent by event id)."
    if kind == "offset_commit":
        return f"{who} commits offset {record.get('offset')}."
    if kind == "lag":
        return (
            f"{who} is {record.get('lag_events')} events behind;"
            f" this one waited {record.get('lag_seconds', 0):.2f} s."
        )
    if kind == "crash":
        if record.get("component") == "purchase-service":
            if record.get("lost"):
                return f"The service crashed after committing {pid}, before publishing: lost."
            return f"The service crashed at {pid}; nothing is lost (it is in the outbox or undone)."
        if record.get("component") == "relay":
            return f"The relay crashed after publishing {eid}, before marking it: it will repeat."
        if record.get("between_transactions"):
            return (
                f"{who} crashed between two transactions of its handler: the first had "
                "committed, the next never did."
            )
        return (
            f"{who} crashed after its side effect, before committing offset {record.get('offset')}."
        )
    if kind == "restart":
        return f"{who} restarts."
    if kind == "handle_failed":
        if record.get("event_id", "").startswith("call-"):
            return f"{who} failed for {pid}: {record.get('reason', 'error')}."
        return (
            f"{who} failed on {eid}, delivery {record.get('delivery')} of {MAX_DELIVERIES}:"
            f" {record.get('reason', 'error')}; the events behind it wait."
        )
    if kind == "dead_letter":
        return f"{who} parks {eid} in the dead-letter queue; the next events flow."
    if kind == "broker_down":
        return "The broker is down: no publish gets in, no event gets out."
    if kind == "broker_up":
        return "The broker is back: publishing and delivery resume."
    if kind == "consumer_down":
        return f"{who} stops answering."
    if kind == "consumer_up":
        return f"{who} answers again."
    return kind.replace("_", " ")
