"""Exercise: commit-then-publish.

The purchase service completes one purchase at a time by calling complete_purchase(). This
version tells the world before the purchase is true: it publishes `purchase.completed`, then
commits. When a commit fails (the database times out), the event is already out, and the
consumers grant access and mail receipts for a purchase that does not exist: a ghost event.

Change complete_purchase() so that no event ever announces a purchase the store did not record.

What your function is handed:
    purchase.id                     the purchase to complete
    store.mark_completed(id)        commit the purchase (it can fail: then nothing after it runs)
    bus.publish(topic, payload)     publish an event now, e.g.
                                    bus.publish("purchase.completed", {"purchase_id": purchase.id})
Each call takes its time in the order you make it, and a failed commit ends the rest.
"""


def complete_purchase(store, bus, purchase):
    bus.publish("purchase.completed", {"purchase_id": purchase.id})
    store.mark_completed(purchase.id)
