"""Messages in and out of Telegram, stored so that nothing is lost.

``InboundUpdate`` is the inbox: every update from Telegram is committed here
before it is confirmed to Telegram, then handled exactly once.
``OutboxMessage`` is the outbox: every notification is committed together with
the change that causes it, then delivered by the sender.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk, stored_enum
from storage.types import UtcDateTime


class Leased:
    """The columns of a queue row that a worker claims for a while (``storage.claim``) and
    retries: how often it was tried, who holds it until when, why the last try failed."""

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class InboundStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    # Done, and the Bot API calls it made are kept in the payload until they are sent
    # (bot/app/runtime/replies.py); then done.
    REPLYING = "replying"
    FAILED = "failed"


class InboundUpdate(Leased, Base):
    __tablename__ = "inbound_updates"
    __table_args__ = (Index("ix_inbound_updates_pending", "status", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Updates of one chat are handled in order; different chats in parallel.
    chat_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[InboundStatus] = mapped_column(stored_enum(InboundStatus, "inbound_status"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up after repeated failures; visible to admins
    INACTIVE = "inactive"  # recipient blocked the bot or removed it from the group


class OutboxMessage(Leased, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat_order", "chat_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Telegram method name (sendMessage, sendPhoto, ...) and its parameters.
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the message is about, e.g. "ticket-card:42": lets an edit find the
    # message id of a card that is delivered later, and delivery be reported back.
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    # Optional idempotency key: enqueuing the same key twice keeps one row.
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(stored_enum(OutboxStatus, "outbox_status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)


class FsmRecord(Base):
    """aiogram conversation state and data, one row per storage key."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
