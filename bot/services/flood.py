"""Telling a resident who floods the bot from one who is just chatting.

Two signs, both per private chat: many of the chat's updates are still waiting
in the inbox behind the one being handled (a burst faster than we handle it),
or more messages in the last minute than the organisation allows. A flood is
skipped quickly, the sender is told once, and other chats are not held up.
"""

from __future__ import annotations

import enum
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile.models import ResidentPolicy
from storage.models import InboundStatus, InboundUpdate

WINDOW = timedelta(minutes=1)


class Verdict(enum.Enum):
    HANDLE = "handle"
    SKIP = "skip"
    SKIP_AND_TELL = "skip_and_tell"


class FloodGuard:
    """In-process memory of recent traffic per chat (each instance keeps its own)."""

    def __init__(self) -> None:
        self._skip_through: dict[int, int] = {}
        self._recent: dict[int, deque[datetime]] = {}
        self._told_at: dict[int, datetime] = {}
        # The last verdict per chat: an update run again (after a write conflict) is judged
        # as it was the first time, not counted twice.
        self._last: dict[int, tuple[int, Verdict]] = {}

    async def judge(
        self,
        session: AsyncSession,
        chat_id: int,
        update_id: int,
        now: datetime,
        policy: ResidentPolicy,
        waiting: tuple[int, int | None] | None = None,
    ) -> Verdict:
        """``waiting``: how many of the chat's updates wait behind this one, and the newest,
        when the caller knows (the worker claimed them together); else they are counted."""
        last = self._last.get(chat_id)
        if last is not None and last[0] == update_id:
            return last[1]
        if update_id <= self._skip_through.get(chat_id, -1):
            verdict = Verdict.SKIP
        else:
            backlog, newest = waiting or await _waiting_behind(session, chat_id, update_id)
            verdict = self._verdict(chat_id, now, policy, backlog, newest)
        self._last[chat_id] = (update_id, verdict)
        return verdict

    def _verdict(
        self, chat_id: int, now: datetime, policy: ResidentPolicy, backlog: int, newest: int | None
    ) -> Verdict:
        """The verdict on a message not skipped already, with ``backlog`` of the chat's
        updates (the newest ``newest``) waiting behind it."""
        if backlog >= policy.flood_backlog and newest is not None:
            # Skip the whole burst that is already queued; later messages are read again.
            self._skip_through[chat_id] = newest
            return self._tell_once(chat_id, now)
        recent = self._recent.setdefault(chat_id, deque())
        while recent and recent[0] <= now - WINDOW:
            recent.popleft()
        if len(recent) >= policy.max_messages_per_minute:
            return self._tell_once(chat_id, now)
        recent.append(now)
        return Verdict.HANDLE

    def _tell_once(self, chat_id: int, now: datetime) -> Verdict:
        told = self._told_at.get(chat_id)
        if told is not None and now - told < WINDOW:
            return Verdict.SKIP
        self._told_at[chat_id] = now
        return Verdict.SKIP_AND_TELL


async def _waiting_behind(
    session: AsyncSession, chat_id: int, update_id: int
) -> tuple[int, int | None]:
    row = (
        await session.execute(
            select(func.count(), func.max(InboundUpdate.update_id)).where(
                InboundUpdate.chat_key == f"chat:{chat_id}",
                InboundUpdate.status == InboundStatus.PENDING,
                InboundUpdate.update_id > update_id,
            )
        )
    ).one()
    return int(row[0] or 0), row[1]
