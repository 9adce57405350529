"""Prometheus metrics of one :class:`~bot.app.application.Application`.

Each application has its own ``CollectorRegistry`` (not prometheus_client's global
one), so several applications in one process — tests, restarts — never clash. The
loops hold a :class:`Metrics` and bump it where things happen: a counter increment or
a histogram observation per update or message, never a query. What lives in the
database (the backlogs) is read when ``/metrics`` is scraped (:mod:`.http`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "resident_bot"
# From claim to done: a main-menu press takes milliseconds, a report seconds.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.updates_handled = Counter(
            f"{PREFIX}_updates_handled",
            "Updates handled to the end (committed).",
            registry=registry,
        )
        self.updates_failed = Counter(
            f"{PREFIX}_updates_failed",
            "Attempts at an update that failed (retried with back-off, then parked).",
            registry=registry,
        )
        self.handling_seconds = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "Seconds from an update's claim to its done mark.",
            buckets=HANDLING_BUCKETS,
            registry=registry,
        )
        self.outbox_sent = Counter(
            f"{PREFIX}_outbox_sent",
            "Outbox messages Telegram accepted.",
            registry=registry,
        )
        self.outbox_failed = Counter(
            f"{PREFIX}_outbox_failed",
            "Outbox sends that Telegram (or the network) refused, by reason.",
            ["reason"],
            registry=registry,
        )
        self.mailing_sent = Counter(
            f"{PREFIX}_mailing_copies_sent",
            "Copies of a mailing delivered: survey campaign invitations, notices to residents.",
            ["kind"],
            registry=registry,
        )
        self.escalations = Counter(
            f"{PREFIX}_escalations",
            "SLA escalations, by ladder (response, resolution) and level reached.",
            ["ladder", "level"],
            registry=registry,
        )
        self.sla_sweep_seconds = Histogram(
            f"{PREFIX}_sla_sweep_seconds",
            "Seconds one SLA sweep (all its batches) took.",
            buckets=SWEEP_BUCKETS,
            registry=registry,
        )
        # Read from the database at each scrape.
        self.inbox_pending = Gauge(
            f"{PREFIX}_inbox_pending", "Updates stored, not yet handled.", registry=registry
        )
        self.inbox_oldest_seconds = Gauge(
            f"{PREFIX}_inbox_oldest_pending_seconds",
            "Age of the oldest update not yet handled (0: none).",
            registry=registry,
        )
        self.outbox_pending = Gauge(
            f"{PREFIX}_outbox_pending", "Outbox messages not yet delivered.", registry=registry
        )
        self.outbox_oldest_seconds = Gauge(
            f"{PREFIX}_outbox_oldest_pending_seconds",
            "Age of the oldest outbox message not yet delivered (0: none).",
            registry=registry,
        )
        self.database_up = Gauge(
            f"{PREFIX}_database_up",
            "1 if the database answered the last scrape in time, else 0.",
            registry=registry,
        )
