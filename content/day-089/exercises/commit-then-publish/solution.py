"""Exercise: commit-then-publish (reference solution)."""


def complete_purchase(store, bus, purchase):
    # First the purchase becomes true: if the commit fails, nothing below runs
    store.mark_completed(purchase.id)
    # Then the event announces a fact that already holds
    bus.publish("purchase.completed", {"purchase_id": purchase.id})
