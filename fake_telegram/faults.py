"""Fault injection: make the next matching calls fail or arrive late.

The bot's delivery guarantees (retry on 429/5xx, no duplicates when an answer is
lost, giving up on 403) can only be tested if the transport misbehaves on demand.
Rules are consumed in FIFO order per method, so lookups are O(1) for the common
case of no rules at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fake_telegram.errors import ApiError

ANY_METHOD = "*"


@dataclass
class FailRule:
    """Answer ``error`` instead of executing the call, ``remaining`` more times."""

    method: str
    error: ApiError
    remaining: int
    chat_id: int | str | None = None


@dataclass
class DelayRule:
    """Hold the response ``seconds``; ``apply`` says whether the call takes effect."""

    method: str
    seconds: float
    remaining: int
    chat_id: int | str | None = None
    apply: bool = True


class FaultInjector:
    """Holds pending fail/delay rules, keyed by canonical method name (or ``*``)."""

    def __init__(self, canonical: Callable[[str], str]) -> None:
        self._canonical = canonical
        self._fail: dict[str, list[FailRule]] = {}
        self._delay: dict[str, list[DelayRule]] = {}

    def _key(self, method: str) -> str:
        return ANY_METHOD if method == ANY_METHOD else self._canonical(method)

    def add_failure(self, rule: FailRule) -> None:
        """Queue a failure rule (``rule.method`` may use any casing or ``*``)."""
        rule.method = self._key(rule.method)
        self._fail.setdefault(rule.method, []).append(rule)

    def add_delay(self, rule: DelayRule) -> None:
        """Queue a delay rule (``rule.method`` may use any casing or ``*``)."""
        rule.method = self._key(rule.method)
        self._delay.setdefault(rule.method, []).append(rule)

    def take_failure(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """Consume one matching failure for this call, if any."""
        rule = self._take(self._fail, method, params)
        return rule.error if rule else None

    def take_delay(self, method: str, params: dict[str, Any]) -> DelayRule | None:
        """Consume one matching delay for this call, if any."""
        return self._take(self._delay, method, params)

    def clear(self) -> None:
        """Drop every pending rule."""
        self._fail.clear()
        self._delay.clear()

    def pending(self) -> int:
        """Number of rule applications still armed (for assertions in tests)."""
        failing = sum(r.remaining for rules in self._fail.values() for r in rules)
        delaying = sum(r.remaining for rules in self._delay.values() for r in rules)
        return failing + delaying

    @staticmethod
    def _take(table: dict[str, list[Any]], method: str, params: dict[str, Any]) -> Any:
        if not table:
            return None
        for key in (method, ANY_METHOD):
            rules = table.get(key)
            if not rules:
                continue
            for rule in rules:
                if rule.chat_id is not None and str(params.get("chat_id")) != str(rule.chat_id):
                    continue
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
                    if not rules:
                        del table[key]
                return rule
        return None
