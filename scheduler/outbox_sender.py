"""Delivers the outbox: at least once, in order per chat, never dropping a message.

Telegram's answers decide what happens to a message:
- success → sent;
- 429 → wait ``retry_after`` and try again (not counted as a failure);
- 5xx, network errors, time-outs → retry with capped exponential back-off and
  jitter; after ``max_attempts`` the message is parked as *dead* for admins;
- 403 (blocked, kicked) → the recipient is marked inactive, no retry loop; an
  escalation refused by a staff group goes to the group one level up;
- group upgraded to a supergroup → follow ``migrate_to_chat_id`` and retry;
- "can't parse entities" → resend once as plain text;
- any other 400 → dead at once (retrying cannot help).

Pacing (``scheduler/rate_limits.py``) sends as fast as Telegram allows: a 429 slows the
sender down for a while as well as retrying the message. Mailings (survey campaigns,
notices to residents) give way to everything else: they are claimed after the
conversations' messages, and with ``paid_broadcast`` they go as Telegram's paid
broadcasts, on a lane of their own.

With several instances on one PostgreSQL database only the leader sends
(``scheduler/leadership.py``; ``active`` says whether this instance leads): one pacer
then keeps Telegram's limits for the fleet. A sender that stops leading gives back
what it had claimed and not sent yet; one that takes over (:meth:`OutboxSender.take_over`)
frees, after a grace period, the claims a vanished leader left.

When the database goes away, what was learnt from Telegram is not lost: the
bookkeeping of each message already sent (or refused) is kept in memory and done
first when the database is back, so nothing is sent twice; messages claimed but not
yet sent are given back. Meanwhile the loop backs off (``scheduler/batch_loop.py``).
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from aiogram import Bot, methods
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.methods.base import TelegramMethod
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import DEFAULT_LOCALE
from bot.presentation.json_session import message_ids_only
from bot.presentation.outbound import topics
from bot.presentation.outbound.escalations import forward_refused_escalation
from bot.presentation.telegram_errors import is_network_outage
from bot.services import delivery_outcomes
from bot.services.announcements.sending import NOTICE_REF_PREFIX
from bot.services.surveys.campaigns import campaign_ref
from scheduler.batch_loop import BatchLoop
from scheduler.observed import SenderMetrics
from scheduler.rate_limits import SendPacer
from scheduler.resilience import Outage, is_transient
from storage import outbox_queue
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]+>")
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
# Messages of a mailing carry the campaign's ref: they are the broadcasts.
BROADCAST_REF_PREFIX = campaign_ref("")
# A notice to residents is a mailing too (its copies and their edits, not the sender's
# progress): conversations' messages go first.
BROADCAST_REF_PREFIXES = (BROADCAST_REF_PREFIX, NOTICE_REF_PREFIX)
CLAIM_SECONDS = 1.0  # a batch holds about this many seconds of sending at the lane's rate
MIN_BATCH, MAX_BATCH = 20, 500


def is_broadcast(message: OutboxMessage) -> bool:
    return (message.ref or "").startswith(BROADCAST_REF_PREFIXES) and message.method.startswith(
        "send"
    )


def mailing_kind(message: OutboxMessage) -> str:
    """A mailing's kind for the metrics: a survey campaign's or a notice's copy."""
    return "survey" if (message.ref or "").startswith(BROADCAST_REF_PREFIX) else "notice"


def failure_reason(error: Exception) -> str:
    """A refused send's reason for the metrics (a few fixed values)."""
    if isinstance(error, TelegramRetryAfter):
        return "retry_after"
    if isinstance(error, TelegramMigrateToChat):
        return "migrated"
    if isinstance(error, TelegramForbiddenError):
        return "forbidden"
    if isinstance(error, TelegramBadRequest):
        return "bad_request"
    if is_network_outage(error):
        return "network"
    return "other"


def build_method(method: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    """Turn a stored ``(method, payload)`` into an aiogram method object."""
    cls = getattr(methods, method[0].upper() + method[1:], None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, TelegramMethod):
        raise ValueError(f"unknown Bot API method {method!r}")
    return cls.model_validate(payload)


def as_plain_text(payload: dict[str, Any]) -> dict[str, Any]:
    """The same message without formatting, for when Telegram refuses the markup."""
    # An explicit None: leaving the key out would let the bot's default (HTML) apply again.
    plain = {**payload, "parse_mode": None}
    for field in ("text", "caption"):
        if isinstance(plain.get(field), str):
            plain[field] = html.unescape(_TAG.sub("", plain[field]))
    return plain


class OutboxSender(BatchLoop):
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        sender_id: str,
        max_attempts: int,
        poll_interval: float,
        rng: random.Random | None = None,
        pacer: SendPacer | None = None,
        lease: timedelta = timedelta(minutes=2),
        locale: str = DEFAULT_LOCALE,
        outage: Outage | None = None,
        paid_broadcast: bool = False,
        active: Callable[[], bool] | None = None,
        metrics: SenderMetrics | None = None,
    ) -> None:
        super().__init__(poll_interval, outage=outage or Outage("outbox sender"))
        self._metrics = metrics
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._sender_id = sender_id
        self._max_attempts = max_attempts
        self._rng = rng or random.Random()
        self._pacer = pacer or SendPacer()
        self._lease = lease
        self._locale = locale
        self._paid_broadcast = paid_broadcast
        self._active = active or (lambda: True)
        self._free_others_at: float | None = None  # loop time: take over a leader's claims
        # Outcomes that could not be written while the database was away, oldest first.
        self._unrecorded: list[Callable[[], Awaitable[None]]] = []

    async def _one_batch(self) -> int:
        return await self.send_due()

    async def _record(self, write: Callable[[], Awaitable[None]]) -> None:
        """Write an outcome; if the database is away, keep it to write when it is back."""
        try:
            await write()
        except Exception as error:
            if is_transient(error):
                self._unrecorded.append(write)
            raise

    async def _record_pending(self) -> None:
        while self._unrecorded:
            await self._unrecorded[0]()  # an outage again: kept, and the loop backs off
            self._unrecorded.pop(0)

    async def send_due(self) -> int:
        """Deliver one batch of due messages; returns how many were attempted."""
        await self._record_pending()
        if not self._active():
            return 0
        await self._free_others()
        async with self._sessionmaker() as session, session.begin():
            batch = await outbox_queue.claim_due(
                session,
                self._sender_id,
                self._clock.now(),
                self._lease,
                limit=self._batch_size(),
                exclude_chats=self._pacer.busy_chats(),
                bulk_ref_prefix=BROADCAST_REF_PREFIXES,
            )
        outcomes = await asyncio.gather(
            *(self._deliver(message) for message in batch), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # the database went away (or a fault): the loop decides
        return len(batch)

    def take_over(self, grace: float) -> None:
        """This instance now leads: in ``grace`` seconds (time for a send the previous
        leader had in flight to end), what other senders still hold is free to claim."""
        self._free_others_at = asyncio.get_running_loop().time() + grace
        self.wake()

    async def _free_others(self) -> None:
        at = self._free_others_at
        if at is None or asyncio.get_running_loop().time() < at:
            return
        async with self._sessionmaker() as session, session.begin():
            freed = await outbox_queue.release_locks_of_others(session, self._sender_id)
        self._free_others_at = None
        if freed:
            log.warning("Took over %s outbox messages another sender had claimed", freed)

    def _batch_size(self) -> int:
        rate = self._pacer.rate(paid=self._paid_broadcast)
        return max(MIN_BATCH, min(MAX_BATCH, round(rate * CLAIM_SECONDS)))

    async def _deliver(self, message: OutboxMessage) -> None:
        paid = self._paid_broadcast and is_broadcast(message)
        await self._pacer.wait_turn(message.chat_id, paid=paid)
        if not self._active():  # no longer the leader: the next one sends it
            await self._record(partial(self._settle, message))
            return
        try:
            method, params = await self._resolve(message)
            if paid:
                params["allow_paid_broadcast"] = True
        except Exception as error:
            if is_transient(error):
                # Nothing was sent: give the message back once the database is back.
                self._unrecorded.append(partial(self._settle, message))
                raise
            await self._record(partial(self._failed, message, error))
            return
        try:
            with message_ids_only():  # the id is all that is kept of the answer
                result = await self._bot(build_method(method, params))
        except asyncio.CancelledError:
            # Shutting down mid-send: leave the claim to expire; it is retried after restart.
            raise
        except Exception as error:
            if isinstance(error, TelegramRetryAfter):
                self._pacer.retry_after(error.retry_after, paid=paid)
            if self._metrics is not None:
                self._metrics.outbox_failed.labels(failure_reason(error)).inc()
            await self._record(partial(self._failed, message, error))
        else:
            if self._metrics is not None:
                self._metrics.outbox_sent.inc()
                if is_broadcast(message):
                    self._metrics.mailing_sent.labels(mailing_kind(message)).inc()
            await self._record(partial(self._sent, message, result, sent_as=method))

    async def _failed(self, message: OutboxMessage, error: Exception) -> None:
        """Record what Telegram's refusal (or the network's failure) means for ``message``."""
        if isinstance(error, TelegramRetryAfter):
            await self._retry_later(
                message,
                timedelta(seconds=error.retry_after),
                count=False,
                error=f"429 retry after {error.retry_after}s",
            )
        elif isinstance(error, TelegramMigrateToChat):
            await self._follow_migration(message, error.migrate_to_chat_id)
        elif isinstance(error, TelegramForbiddenError):
            await self._recipient_inactive(message, str(error))
        elif isinstance(error, TelegramBadRequest):
            await self._bad_request(message, error)
        elif is_network_outage(error):
            await self._retry_with_backoff(message, f"{type(error).__name__}: {error}")
        else:
            log.exception("Outbox message %s failed unexpectedly", message.id, exc_info=error)
            await self._retry_with_backoff(message, f"{type(error).__name__}: {error}")

    async def _resolve(self, message: OutboxMessage) -> tuple[str, dict[str, Any]]:
        """The call to make now: an edit by ``ref`` needs the id of the message it edits."""
        params = {**outbox_queue.opened(message.payload), "chat_id": message.chat_id}
        topic = params.pop(delivery_outcomes.IN_TOPIC_OF, None)
        if topic is not None:
            params = await self._in_topic(params, topic)
        if not message.method.startswith("edit") or "message_id" in params or not message.ref:
            return message.method, params
        async with self._sessionmaker() as session:
            target = await delivery_outcomes.delivered_message_for(session, message.ref)
        if target is None:
            # The original never arrived (it was parked as dead): post the current version anew.
            return "sendMessage", params
        chat_id, message_id = target
        return message.method, {**params, "chat_id": chat_id, "message_id": message_id}

    async def _in_topic(self, params: dict[str, Any], topic_ref: str) -> dict[str, Any]:
        """A message for a ticket's forum topic goes there once the topic exists; if it
        could not be created, to the group itself."""
        async with self._sessionmaker() as session:
            topic = await delivery_outcomes.delivered_message_for(session, topic_ref)
        if topic is None or topic[0] != params["chat_id"]:
            return params
        return {**params, "message_thread_id": topic[1]}

    async def _settle(self, message: OutboxMessage, **values: Any) -> None:
        async with self._sessionmaker() as session, session.begin():
            await outbox_queue.settle(session, message.id, **values)

    async def _sent(self, message: OutboxMessage, result: Any, sent_as: str = "") -> None:
        first = result[0] if isinstance(result, list) and result else result
        message_id = getattr(first, "message_id", None)
        if sent_as == "createForumTopic":  # a ForumTopic: its thread is what is recorded
            message_id = getattr(first, "message_thread_id", None)
        chat = getattr(first, "chat", None)
        is_forum = bool(chat.is_forum) if chat is not None and chat.id < 0 else None
        async with self._sessionmaker() as session, session.begin():
            created = sent_as.startswith("send") or sent_as == "createForumTopic"
            if message.ref and message_id is not None and created:
                chat_id = chat.id if chat is not None else message.chat_id
                await delivery_outcomes.message_delivered(session, message.ref, chat_id, message_id)
                topic_of = delivery_outcomes.ticket_of_topic(message.ref)
                if sent_as == "createForumTopic" and topic_of is not None:
                    name = outbox_queue.opened(message.payload).get("name", "")
                    await topics.topic_created(
                        session, topic_of, chat_id, message_id, name=name, now=self._clock.now()
                    )
            await delivery_outcomes.group_reachable(session, message.chat_id, is_forum=is_forum)
            await outbox_queue.settle(
                session,
                message.id,
                status=OutboxStatus.SENT,
                sent_at=self._clock.now(),
                attempts=message.attempts + 1,
                telegram_message_id=message_id,
                last_error=None,
                # A sealed call may carry personal data: once sent, nothing of it is kept.
                **({"payload": {}} if outbox_queue.is_sealed(message.payload) else {}),
            )

    async def _retry_later(
        self, message: OutboxMessage, delay: timedelta, *, count: bool, error: str
    ) -> None:
        attempts = message.attempts + (1 if count else 0)
        await self._settle(
            message, attempts=attempts, next_attempt_at=self._clock.now() + delay, last_error=error
        )

    async def _retry_with_backoff(self, message: OutboxMessage, error: str) -> None:
        attempts = message.attempts + 1
        if attempts >= self._max_attempts:
            log.error(
                "Outbox message %s is dead after %s attempts: %s", message.id, attempts, error
            )
            await self._settle(
                message, status=OutboxStatus.DEAD, attempts=attempts, last_error=error
            )
            return
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
        delay = timedelta(seconds=ceiling * (0.5 + self._rng.random() / 2))
        await self._settle(
            message, attempts=attempts, next_attempt_at=self._clock.now() + delay, last_error=error
        )

    async def _follow_migration(self, message: OutboxMessage, new_chat_id: int) -> None:
        async with self._sessionmaker() as session, session.begin():
            await delivery_outcomes.group_migrated(session, message.chat_id, new_chat_id)
            await outbox_queue.settle(session, message.id, last_error=f"migrated to {new_chat_id}")

    async def _recipient_inactive(self, message: OutboxMessage, error: str) -> None:
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            await delivery_outcomes.recipient_unreachable(session, message.chat_id, now, error)
            forwarded = await forward_refused_escalation(session, message, now, self._locale)
            if forwarded is not None:
                log.warning(
                    "Group %s refused escalation %s (%s); forwarded to %s",
                    message.chat_id,
                    message.id,
                    error,
                    forwarded,
                )
            await outbox_queue.settle(
                session,
                message.id,
                status=OutboxStatus.INACTIVE,
                attempts=message.attempts + 1,
                last_error=error,
            )

    async def _bad_request(self, message: OutboxMessage, error: TelegramBadRequest) -> None:
        text = str(error).lower()
        if "message is not modified" in text or "topic_not_modified" in text:
            await self._sent(message, None)  # the chat already shows exactly this
        elif "can't parse entities" in text and (
            params := outbox_queue.opened(message.payload)
        ).get("parse_mode"):
            plain = outbox_queue.stored_like(message.payload, as_plain_text(params))
            await self._settle(message, payload=plain, last_error=str(error))
        else:
            log.error("Outbox message %s refused by Telegram: %s", message.id, error)
            await self._settle(
                message,
                status=OutboxStatus.DEAD,
                attempts=message.attempts + 1,
                last_error=str(error),
            )
