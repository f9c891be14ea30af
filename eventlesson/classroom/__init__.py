"""Classroom mode: one instructor's terminal is the purchase service, each learner's runs the five
consumers, all on one real NATS JetStream server that the instructor's `classroom host` starts.

Core package: no rich, questionary or typer. `roster` (names, the join address, the server's
accounts and permissions), `state` (what the dashboard and the summaries show) and `narrate` need
the standard library only; `service`, `host` and `learner` talk to the server through nats-py
(the optional `broker` extra), so callers ask `eventlesson.broker.missing_extra()` first and
import them lazily.

Who may do what is the server's business, not ours: the host writes the server's configuration
(accounts, users and their publish/subscribe allow-lists) and has it reloaded whenever a learner
joins. A learner's user may fetch from and acknowledge on its own five durable consumers and
nothing else; it cannot publish a purchase, create a consumer, or touch another learner's.
"""
