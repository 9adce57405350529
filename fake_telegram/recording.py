"""The ordered log of Bot API calls and the waiting helpers tests build on.

Benchmarks push tens of thousands of calls through the server, so recording is
O(1) (append to the global list and to a per-method list) and waiters are only
woken, never polled.  Methods are recorded under their canonical spelling
(``sendMessage``) whatever case the client used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal, overload

from fake_telegram.models import ApiCall

Predicate = Callable[[ApiCall], bool]


class CallRecorder:
    """Keeps every :class:`ApiCall` and lets coroutines wait for specific ones."""

    def __init__(
        self, canonical: Callable[[str], str], stats: dict[str, int] | None = None
    ) -> None:
        self._canonical = canonical
        #: Counters bumped on every call: ``calls``, and ``errors`` for non-ok answers.
        self._stats = stats if stats is not None else {"calls": 0, "errors": 0}
        self.calls: list[ApiCall] = []
        self._by_method: dict[str, list[ApiCall]] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._next_seq = 0
        #: Called with every recorded call (a sandbox page refreshes on them).
        self.listeners: list[Callable[[ApiCall], None]] = []

    def record(
        self,
        method: str,
        params: dict[str, Any],
        response: dict[str, Any],
        *,
        fault: str | None = None,
        uploads: dict[str, Any] | None = None,
    ) -> ApiCall:
        """Append a call, count it, and wake everybody waiting in :meth:`wait_for`."""
        self._stats["calls"] += 1
        if not response.get("ok"):
            self._stats["errors"] += 1
        call = ApiCall(
            method=method,
            params=params,
            response=response,
            at=time.monotonic(),
            seq=self._next_seq,
            fault=fault,
            uploads=uploads or {},
        )
        self._next_seq += 1
        self.calls.append(call)
        self._by_method.setdefault(method, []).append(call)
        for listener in self.listeners:
            listener(call)
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        return call

    def mark(self) -> int:
        """A position in the call log: the sequence number the next call will get; pass it
        as ``wait_for(..., since=mark)``."""
        return self._next_seq

    def clear(self) -> None:
        """Forget all recorded calls (sequence numbers keep increasing)."""
        self.calls = []
        self._by_method = {}

    def calls_of(self, method: str, **param_filters: Any) -> list[ApiCall]:
        """Calls of ``method`` whose params equal every given filter."""
        found = self._by_method.get(self._canonical(method), [])
        if not param_filters:
            return list(found)
        return [c for c in found if _matches(c, param_filters)]

    @overload
    async def wait_for(
        self,
        method: str,
        predicate: Predicate | None = None,
        *,
        count: Literal[1] = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test API
        since: int = 0,
        **param_filters: Any,
    ) -> ApiCall: ...

    @overload
    async def wait_for(
        self,
        method: str,
        predicate: Predicate | None = None,
        *,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test API
        since: int = 0,
        **param_filters: Any,
    ) -> list[ApiCall]: ...

    async def wait_for(
        self,
        method: str,
        predicate: Predicate | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test API
        since: int = 0,
        **param_filters: Any,
    ) -> ApiCall | list[ApiCall]:
        """Wait for matching calls, including ones that already happened.

        Returns the first matching :class:`ApiCall` when ``count == 1``, else a list
        of the first ``count``.  Matching: same method (any casing), ``seq >= since``
        (see :meth:`mark`), params equal to ``param_filters`` and ``predicate(call)``.
        On timeout raises AssertionError listing the most recent calls.
        """
        name = self._canonical(method)
        wanted = max(count, 1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        matches: list[ApiCall] = []
        scanned_list: list[ApiCall] | None = None
        index = 0
        while True:
            current = self._by_method.get(name)
            if current is not scanned_list:
                # First pass or the log was cleared: rescan from the start.
                scanned_list, index, matches = current, 0, []
            if current is not None:
                while index < len(current) and len(matches) < wanted:
                    call = current[index]
                    index += 1
                    if call.seq < since or not _matches(call, param_filters):
                        continue
                    if predicate is None or predicate(call):
                        matches.append(call)
            if len(matches) >= wanted:
                return matches[0] if count == 1 else matches[:wanted]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_message(name, wanted, len(matches), timeout))
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait (woken by each new call) until ``condition()`` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s; recent calls:\n{self.describe_recent()}"
                )
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, min(remaining, 0.05))
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def describe_recent(self, limit: int = 15) -> str:
        """Human-readable tail of the log for assertion messages."""
        if not self.calls:
            return "  (no calls recorded)"
        lines = []
        for call in self.calls[-limit:]:
            params = {k: v for k, v in call.params.items() if k not in ("reply_markup", "entities")}
            text = repr(params)
            if len(text) > 160:
                text = text[:157] + "..."
            status = "ok" if call.ok else f"{call.error_code} {call.description}"
            fault = f" [{call.fault}]" if call.fault else ""
            lines.append(f"  #{call.seq} {call.method} {text} -> {status}{fault}")
        return "\n".join(lines)

    def _timeout_message(self, method: str, wanted: int, got: int, timeout: float) -> str:
        return (
            f"timed out after {timeout}s waiting for {wanted} matching {method} call(s) "
            f"(got {got}); recent calls:\n{self.describe_recent()}"
        )


def _matches(call: ApiCall, filters: dict[str, Any]) -> bool:
    params = call.params
    return all(key in params and params[key] == value for key, value in filters.items())
