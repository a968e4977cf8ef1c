"""Outgoing webhooks: subscriptions, the delivery outbox filled by the event log's trigger, the
dispatcher that posts deliveries signed, and their log."""
