"""What the sender and the SLA sweeper count, as the composition root's metrics give it
(``bot/app/observability/metrics.py``; prometheus_client's types fit these shapes).
The scheduler layer sees only these protocols, never the layer above."""

from __future__ import annotations

from typing import Protocol


class Counting(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class Labelled(Protocol):
    def labels(self, *values: str) -> Counting: ...


class Observing(Protocol):
    def observe(self, amount: float) -> None: ...


class SenderMetrics(Protocol):
    @property
    def outbox_sent(self) -> Counting: ...

    @property
    def outbox_failed(self) -> Labelled: ...  # by reason

    @property
    def mailing_sent(self) -> Labelled: ...  # by kind: survey, notice


class SweepMetrics(Protocol):
    @property
    def escalations(self) -> Labelled: ...  # by ladder and level

    @property
    def sla_sweep_seconds(self) -> Observing: ...
