"""Exercise: outbox (reference solution)."""


def complete_purchase(store, bus, purchase):
    # The purchase and the event that announces it commit together, or not at all
    with store.transaction():
        store.mark_completed(purchase.id)
        store.add_to_outbox("purchase.completed", {"purchase_id": purchase.id})


def relay(outbox, bus):
    for row in outbox.pending():
        # Publish first, then mark: a crash in between publishes the row again (a repeat,
        # which consumers skip by event id), never not at all (a lost event)
        bus.publish(row.topic, {"purchase_id": row.purchase_id}, event_id=row.event_id)
        outbox.mark_published(row)
