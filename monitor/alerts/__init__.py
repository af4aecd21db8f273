"""Alerts: enqueue matches into the outbox, build digests, render and send emails exactly once.

Entry points (called by the service, ``run --once`` and ``demo``):

- :func:`monitor.alerts.enqueue.enqueue_pending` — match new notices, events, label changes;
- :func:`monitor.alerts.digest.build_due_digests` — bundle held items into due digests;
- :func:`monitor.alerts.sender.send_pending` — claim, send, mark; safe in several processes.
"""
