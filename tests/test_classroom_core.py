"""The classroom's core without a server: names, the join address, the server's permissions as
configured, what travels on the wire, and the dashboard's order."""

from __future__ import annotations

import json

import pytest

from eventlesson.broker.wire import WireError, decode_event, encode_event
from eventlesson.classroom.roster import (
    JOIN_SUBJECT,
    LOBBY_USER,
    STREAM,
    AddressProblem,
    JoinAddress,
    NameProblem,
    check_name,
    dead_letter_subject,
    durable,
    learner_inbox,
    learner_permissions,
    new_secret,
    parse_join_url,
    server_config,
)
from eventlesson.classroom.state import (
    furthest_behind_first,
)
from eventlesson.classroom.wire import JoinAnswer, decode_answer, decode_record, encode_answer
from eventlesson.sim import CONSUMER_NAMES
from eventlesson.sim.services import Event

from .support import class_summary, learner_row, modules_after


def test_a_name_is_its_key_in_lower_case() -> None:
    assert check_name("Ada") == "ada"
    assert check_name("x") == "x"
    assert check_name("team-2_b") == "team-2_b"
    assert check_name("a" * 24) == "a" * 24


@pytest.mark.parametrize(
    "name",
    ["", "a.b", "a b", "a*", "a>", "-lead", "_x", "a" * 25, "é", "ada\x1b[2J", "ad\u202ea", "a/b"],
)
def test_odd_names_are_refused_with_the_rule_and_no_control_codes(name: str) -> None:
    with pytest.raises(NameProblem) as caught:
        check_name(name)
    message = str(caught.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert "letters, digits" in message or "empty" in message


def test_the_join_address_round_trips_through_the_command() -> None:
    address = JoinAddress("192.168.1.5", 4222, new_secret())
    url = address.command("ada").split()[3]
    assert parse_join_url(url) == address
    assert address.secret not in address.url


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nats://127.0.0.1:4222", "no join secret"),
        ("nats://join@127.0.0.1:4222", "no join secret"),
        ("nats://other:pw@127.0.0.1:4222", "no join secret"),
        ("http://join:pw@127.0.0.1:4222", "not a class address"),
        ("nats://join:pw@127.0.0.1", "not a class address"),
        ("nats://join:pw@127.0.0.1:99999", "port"),
        ("join:pw@host:1\x1b]52;c;x\x07", "not a class address"),
    ],
)
def test_bad_addresses_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(AddressProblem) as caught:
        parse_join_url(text)
    assert words in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_the_server_configuration_gives_each_learner_only_their_own_consumers() -> None:
    config = json.loads(server_config("hostpw", "secret", {"ada": "pw-a", "bob": "pw-b"}))
    users = {u["user"]: u for u in config["accounts"]["CLASS"]["users"]}
    assert set(users) == {"host", LOBBY_USER, "learner-ada", "learner-bob"}
    assert "permissions" not in users["host"]  # the instructor's service may do anything
    assert users[LOBBY_USER]["password"] == "secret"
    assert users[LOBBY_USER]["permissions"]["publish"]["allow"] == [JOIN_SUBJECT]
    ada = users["learner-ada"]["permissions"]
    published = ada["publish"]["allow"]
    assert not any("purchase" in s for s in published)
    assert not any("bob" in s for s in published + ada["subscribe"]["allow"])
    assert not any("CREATE" in s or "DELETE" in s for s in published)
    for consumer in CONSUMER_NAMES:
        assert f"$JS.API.CONSUMER.MSG.NEXT.PURCHASES.{durable('ada', consumer)}" in published
    assert config["http"].startswith("127.0.0.1:")  # monitoring stays on loopback


def _matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one whole token, `>` one or more at the end."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


def _uses(name: str) -> dict[str, list[str]]:
    """The subjects a learner's session publishes and subscribes on (NATS's JetStream API
    subjects, an ack's reply subject, its dead letters, its reply inbox), by the roster's names."""
    publish = [dead_letter_subject(name, c) for c in CONSUMER_NAMES]
    for consumer in CONSUMER_NAMES:
        durable_name = durable(name, consumer)
        publish += [
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{durable_name}",
            f"$JS.API.CONSUMER.INFO.{STREAM}.{durable_name}",
            f"$JS.ACK.{STREAM}.{durable_name}.1.3.3.1700000000000000000.0",
        ]
    return {"publish": publish, "subscribe": [f"{learner_inbox(name)}.abc123.1"]}


def test_permissions_never_use_a_wildcard_that_reaches_another_learner() -> None:
    """`ada` must not match `adam`'s subjects (nor `adam` hers): every entry names whole tokens."""
    allowed = learner_permissions("ada")
    for subject in allowed["publish"]["allow"] + allowed["subscribe"]["allow"]:
        for token in subject.split("."):
            assert token in (">", "*") or "*" not in token
    for me, other in (("ada", "adam"), ("adam", "ada")):
        for direction in ("publish", "subscribe"):
            patterns = learner_permissions(me)[direction]["allow"]
            mine, theirs = _uses(me)[direction], _uses(other)[direction]
            assert mine and all(any(_matches(p, s) for p in patterns) for s in mine)
            assert not [s for s in theirs if any(_matches(p, s) for p in patterns)]


def test_an_event_round_trips_and_bad_bodies_are_wire_errors() -> None:
    event = Event("evt-000001", "purchase.completed", 1, "kafka", 7900, 1.5)
    assert decode_event(encode_event(event, "XTS")) == (event, "XTS")
    for body in (b"[]", b"not json", b'{"event_id": 1, "purchase_id": 1}', b'{"event_id": "e"}'):
        with pytest.raises(WireError):
            decode_event(body)
    with pytest.raises(WireError):
        decode_event(b'{"event_id": "e", "purchase_id": true}')  # a bool is not a number


def test_a_service_record_keeps_only_the_fields_a_learner_uses() -> None:
    record = decode_record(
        b'{"type": "publish", "purchase_id": 3, "offset": 3, "evil": "\\u001b[2J", "t": 9}'
    )
    assert record == {"type": "publish", "purchase_id": 3, "offset": 3}
    with pytest.raises(WireError):
        decode_record(b'{"type": "handle", "purchase_id": 3}')


def test_a_join_answer_round_trips() -> None:
    answer = JoinAnswer(True, ack_wait=2.0, max_deliver=10, ghosts=(4, 9), joins=2)
    assert decode_answer(encode_answer(answer)) == answer
    with pytest.raises(WireError):
        decode_answer(b'{"ok": true, "ghosts": ["x"]}')


def test_the_learner_furthest_behind_comes_first() -> None:
    rows = [
        learner_row("ada", [0, 0, 1, 2, 0]),
        learner_row("bob", [5, 5, 5, 5, 5]),
        learner_row("cyd", [0, 0, 0, 9, 0]),
        learner_row("dee", [1, 1, 1, 1, 5]),
    ]
    order = [r.name for r in furthest_behind_first(rows)]
    assert order == ["bob", "cyd", "dee", "ada"]  # 25, then 9 vs 9: slowest consumer first


def test_the_summary_json_names_every_consumer_of_every_learner() -> None:
    summary = class_summary([learner_row("ada", [0, 1, 2, 3, 4])])
    data = json.loads(json.dumps(summary.to_dict()))
    ada = data["learners"][0]
    assert ada["lag"] == 10 and set(ada["consumers"]) == set(CONSUMER_NAMES)
    assert ada["consumers"]["affiliate"]["lag"] == 4


def test_the_classroom_core_imports_no_terminal_libraries() -> None:
    loaded = modules_after(
        "import eventlesson.classroom.roster, eventlesson.classroom.state, "
        "eventlesson.classroom.wire, eventlesson.classroom.learner, eventlesson.classroom.host"
    )
    assert "eventlesson.classroom.host" in loaded
    assert not {"rich", "typer", "questionary", "prompt_toolkit"} & loaded
