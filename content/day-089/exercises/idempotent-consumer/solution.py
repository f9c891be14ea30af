"""Exercise: idempotent-consumer (reference solution)."""


def handle_email(store, event):
    # The processed id and the effect are written in one transaction: both, or neither
    with store.transaction() as tx:
        if tx.seen(event.id):
            return  # a repeat: the receipt was sent when this id was first processed
        tx.remember(event.id)
        tx.apply(event.purchase_id, event.amount_cents)
