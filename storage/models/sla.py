"""What the SLA sweep and the outbox remember besides the ticket columns.

``SlaNotice``: a warning or update reminder sent for one deadline of one ticket.
The primary key makes "send it once" an insert that either happens or not,
whichever sweep or process gets there first.

``InactiveChat``: a staff group that answered 403 (the bot was removed). New
escalations skip it and go one level up until it receives a message again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UtcDateTime


class SlaNotice(Base):
    __tablename__ = "sla_notices"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    # "response" | "resolution" | "update"
    ladder: Mapped[str] = mapped_column(String(16), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InactiveChat(Base):
    __tablename__ = "inactive_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
