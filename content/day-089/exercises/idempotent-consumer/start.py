"""Exercise: idempotent-consumer.

The broker delivers each event at least once. When the email consumer crashes after sending a
receipt but before committing its offset, it is handed the same event again; when the outbox
relay crashes after publishing but before marking its row, the event goes out twice. This
handler sends the receipt on every delivery, so the learner gets two.

Make handle_email() send each receipt once, however often its event arrives. Remember which
events you have processed in the consumer's own store, in the same transaction as the effect.

What handle_email(store, event) is handed:
    event.id, event.purchase_id, event.amount_cents     the delivered event
    store.apply(purchase_id, amount_cents)  the effect: the receipt is sent
    store.seen(event_id)                    whether this event id is recorded as processed
    with store.transaction() as tx:         writes through tx land together when the block ends,
        tx.seen(event_id)                   or not at all if it raises
        tx.remember(event_id)               record the event id as processed
        tx.apply(purchase_id, amount_cents) the effect
A consumer that crashes restarts with nothing in memory but what its store holds.
"""


def handle_email(store, event):
    store.apply(event.purchase_id, event.amount_cents)
