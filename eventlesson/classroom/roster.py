"""Who is in the class and what the server lets each of them do: names, the join address, and the
server's configuration (one account, its users and their publish/subscribe allow-lists).

Core module: standard library only (no nats-py, rich, questionary or typer).

How identities map onto the server's users, and why: learners pick their own names, and the
server must keep each of them to their own consumers, so every learner is a server user of their
own (`learner-ada`) whose allow-lists name their five durable consumers and nothing else. Nobody
can give themselves such a user: a learner first connects as the shared `join` user, whose
password is the class's join secret and whose only right is to send a join request to the host.
The learner's join request carries a password the learner chose at random; the host adds (or, on
a rejoin, replaces) that learner's user in the configuration and has the server reload it, then
creates the learner's five durable consumers and answers. The learner reconnects as its own user.
Replies carry no secret, so it does not matter that every `join` connection may read them.

NATS has no per-name template for plain users and passwords (templates need JWT accounts), so a
reload per join is the simplest thing the server itself enforces: it takes a few milliseconds
and leaves every other connection alone. A rejoin replaces the password, so an older session
under the same name (a laptop waking up) is shut out by the server rather than by us.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from eventlesson.errors import EventlessonError
from eventlesson.sim.scenarios import CONSUMER_NAMES
from eventlesson.text import quoted

ACCOUNT = "CLASS"
HOST_USER = "host"
LOBBY_USER = "join"  # the shared user a learner joins with; its password is the join secret
STREAM = "PURCHASES"
SUBJECT = "purchase.completed"
DEAD_LETTER_STREAM = "DEADLETTERS"
DEAD_LETTER_SUBJECTS = "deadletter.>"
JOIN_SUBJECT = "classroom.join"  # join requests: only the host may read them
TRACE_SUBJECT = "classroom.trace"  # the purchase service's steps, for the learners' screens
NOTICE_SUBJECT = "classroom.notice"  # "the class has ended"
LOBBY_INBOX = "_INBOX.lobby"
DEFAULT_PORT = 4222  # NATS's own: what a learner would guess
PING_SECONDS = 5  # the server pings every client this often; two missed and it is gone
MAX_NAME = 24
MAX_LEARNERS = 200
SECRET_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a projector
SECRET_LENGTH = 8

_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME - 1}}}")
_URL = re.compile(
    r"nats://(?:(?P<user>[^:@/\s]*)(?::(?P<secret>[^@/\s]*))?@)?"
    r"(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})/?"
)


class ClassroomError(EventlessonError):
    """The class cannot go on as asked (a refused join, a host that went away); one line."""


class NameProblem(ValueError):
    """A learner name the class cannot use; the message says why (it never names an option)."""


def check_name(name: str) -> str:
    """The learner's key in the class: the name in lower case, so `Ada` and `ada` are one learner.

    Letters, digits, `-` and `_` only: the name becomes part of server user names, consumer
    names and subjects, where a dot, a space or a wildcard would mean something else."""
    if not name:
        raise NameProblem("a name must not be empty")
    if not _NAME.fullmatch(name):
        raise NameProblem(
            f"a name may use letters, digits, '-' and '_' (up to {MAX_NAME}, starting with a "
            f"letter or digit); got {quoted(name, limit=40)}"
        )
    return name.lower()


def new_secret() -> str:
    return "".join(secrets.choice(SECRET_LETTERS) for _ in range(SECRET_LENGTH))


def new_password() -> str:
    return secrets.token_urlsafe(18)


# -- names on the server --


def durable(learner: str, consumer: str) -> str:
    """A learner's durable consumer: `ada_email`."""
    return f"{learner}_{consumer}"


def learner_user(learner: str) -> str:
    return f"learner-{learner}"


def learner_inbox(learner: str) -> str:
    """The learner's reply subjects start here, and only the learner may subscribe to them."""
    return f"_INBOX.learner.{learner}"


def dead_letter_subject(learner: str, consumer: str) -> str:
    return f"deadletter.{learner}.{consumer}"


def learner_permissions(learner: str) -> dict[str, dict[str, list[str]]]:
    """What the server lets a learner do: fetch from, read and acknowledge on its own five
    consumers, park a poison event on its own dead-letter subject, and listen to the class.
    Everything else (publishing a purchase, creating or deleting a consumer, another learner's
    consumers or replies) is refused by the server."""
    publish: list[str] = []
    for consumer in CONSUMER_NAMES:
        name = durable(learner, consumer)
        publish += [
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{name}",
            f"$JS.API.CONSUMER.INFO.{STREAM}.{name}",
            f"$JS.ACK.{STREAM}.{name}.>",
        ]
    publish.append(f"deadletter.{learner}.>")
    subscribe = [f"{learner_inbox(learner)}.>", TRACE_SUBJECT, NOTICE_SUBJECT]
    return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


def lobby_permissions() -> dict[str, dict[str, list[str]]]:
    """The `join` user: send a join request, read the answer; nothing else."""
    return {
        "publish": {"allow": [JOIN_SUBJECT]},
        "subscribe": {"allow": [f"{LOBBY_INBOX}.>"]},
    }


def server_config(host_password: str, secret: str, learners: Mapping[str, str]) -> str:
    """The server's configuration (JSON, which nats-server reads as its own format): one account
    with JetStream, the host, the `join` user and one user per learner (key -> password).
    Monitoring answers on loopback only, whatever address the class listens on."""
    users: list[dict[str, object]] = [
        {"user": HOST_USER, "password": host_password},
        {"user": LOBBY_USER, "password": secret, "permissions": lobby_permissions()},
    ]
    for learner in sorted(learners):
        users.append(
            {
                "user": learner_user(learner),
                "password": learners[learner],
                "permissions": learner_permissions(learner),
            }
        )
    config = {
        "ping_interval": f"{PING_SECONDS}s",  # a learner whose laptop slept is gone in ~15 s
        "ping_max": 2,
        "http": "127.0.0.1:-1",
        "accounts": {ACCOUNT: {"jetstream": "enabled", "users": users}},
    }
    return json.dumps(config, indent=1)


# -- the join address --


@dataclass(frozen=True)
class JoinAddress:
    """Where the class is and its join secret: `nats://join:SECRET@HOST:PORT`."""

    host: str
    port: int
    secret: str

    @property
    def url(self) -> str:
        """The server's address without the secret (for connecting and for messages)."""
        return f"nats://{self.host}:{self.port}"

    @property
    def join_url(self) -> str:
        return f"nats://{LOBBY_USER}:{self.secret}@{self.host}:{self.port}"

    def command(self, name: str = "NAME") -> str:
        """The one command a learner types."""
        return f"eventlesson classroom join {self.join_url} --name {name}"


class AddressProblem(ValueError):
    """A join address that cannot be used; the message says what is wrong."""


def parse_join_url(text: str) -> JoinAddress:
    """`nats://join:SECRET@HOST:PORT`, as the host prints it."""
    match = _URL.fullmatch(text.strip())
    if match is None:
        raise AddressProblem(
            f"not a class address (nats://{LOBBY_USER}:SECRET@HOST:PORT): {quoted(text)}"
        )
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise AddressProblem(f"the port must be from 1 to 65535: {quoted(text)}")
    if not match["secret"] or match["user"] != LOBBY_USER:
        raise AddressProblem(
            f"the address has no join secret (nats://{LOBBY_USER}:SECRET@HOST:PORT): copy the "
            "whole command from the host's screen"
        )
    return JoinAddress(match["host"], port, match["secret"])
