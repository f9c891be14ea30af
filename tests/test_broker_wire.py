"""The event body every broker run publishes and reads back: one encoding, checked on the way in."""

from __future__ import annotations

import pytest

from eventlesson.broker.wire import CURRENCY, WireError, decode_event, encode_event
from eventlesson.sim.scenarios import EVENT_TYPE
from eventlesson.sim.services import Event


def test_an_event_comes_back_as_it_went() -> None:
    event = Event("evt-000007", EVENT_TYPE, 7, "kafka-in-practice", 4900, 1.25)
    assert decode_event(encode_event(event)) == (event, CURRENCY)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{}", "event_id"),
        (b'{"event_id":"evt-000001"}', "purchase_id"),
        (b'{"event_id":"evt-000001","purchase_id":"1"}', "purchase_id"),
        (b'{"event_id":"evt-000001","purchase_id":0}', "purchase_id"),
        (b'{"event_id":7,"purchase_id":1}', "event_id"),
        (b"[1]", "not a JSON object"),
        (b"\xff", "not JSON"),
    ],
)
def test_a_body_that_is_not_an_event_is_a_wire_error(body: bytes, says: str) -> None:
    with pytest.raises(WireError, match=says):
        decode_event(body)
