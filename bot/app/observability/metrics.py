"""Prometheus metrics of one :class:`~bot.app.application.Application`.

Each application has its own ``CollectorRegistry`` (not prometheus_client's global
one), so several applications in one process — tests, restarts — never clash. The
loops hold a :class:`Metrics` and bump it where things happen: a counter increment or
a histogram observation per update or message, never a query. What lives in the
database (the backlogs) is read when ``/metrics`` is scraped (:mod:`.http`).
"""

from __future__ import annotations

from functools import partial

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "resident_bot"
# From claim to done: a main-menu press takes milliseconds, a report seconds.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        # Every series is resident_bot_<name>, in this application's own registry.
        counter = partial(Counter, namespace=PREFIX, registry=registry)
        gauge = partial(Gauge, namespace=PREFIX, registry=registry)
        histogram = partial(Histogram, namespace=PREFIX, registry=registry)

        self.updates_handled = counter("updates_handled", "Updates handled to the end (committed).")
        self.updates_failed = counter(
            "updates_failed",
            "Attempts at an update that failed (retried with back-off, then parked).",
        )
        self.handling_seconds = histogram(
            "update_handling_seconds",
            "Seconds from an update's claim to its done mark.",
            buckets=HANDLING_BUCKETS,
        )
        self.outbox_sent = counter("outbox_sent", "Outbox messages Telegram accepted.")
        self.outbox_failed = counter(
            "outbox_failed",
            "Outbox sends that Telegram (or the network) refused, by reason.",
            ["reason"],
        )
        self.mailing_sent = counter(
            "mailing_copies_sent",
            "Copies of a mailing delivered: survey campaign invitations, notices to residents.",
            ["kind"],
        )
        self.escalations = counter(
            "escalations",
            "SLA escalations, by ladder (response, resolution) and level reached.",
            ["ladder", "level"],
        )
        self.sla_sweep_seconds = histogram(
            "sla_sweep_seconds",
            "Seconds one SLA sweep (all its batches) took.",
            buckets=SWEEP_BUCKETS,
        )
        # Read from the database at each scrape.
        self.inbox_pending = gauge("inbox_pending", "Updates stored, not yet handled.")
        self.inbox_oldest_seconds = gauge(
            "inbox_oldest_pending_seconds", "Age of the oldest update not yet handled (0: none)."
        )
        self.outbox_pending = gauge("outbox_pending", "Outbox messages not yet delivered.")
        self.outbox_oldest_seconds = gauge(
            "outbox_oldest_pending_seconds",
            "Age of the oldest outbox message not yet delivered (0: none).",
        )
        self.database_up = gauge(
            "database_up", "1 if the database answered the last scrape in time, else 0."
        )
