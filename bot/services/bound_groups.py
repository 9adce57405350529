"""Which unit a staff group serves, read once per transaction.

An update from a staff group asks it twice: the i18n middleware for the group's
language, the desk for where a press came from (access). Both read it from here, one
statement between them. Binding, moving or migrating a group calls :func:`forget`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import transaction_memo
from storage.models import OrgUnit

_MEMO = "bound_groups"  # the transaction's memo: chat id → GroupUnit | None

_UNIT_OF_GROUP = (
    select(OrgUnit.id, OrgUnit.key)
    .where(OrgUnit.group_chat_id == bindparam("chat_id"), OrgUnit.active.is_(True))
    .order_by(OrgUnit.id)
    .limit(1)
)


@dataclass(frozen=True)
class GroupUnit:
    unit_id: int
    unit_key: str


async def unit_of_group(session: AsyncSession, chat_id: int) -> GroupUnit | None:
    """The active unit whose staff group this chat is (None: not a bound group)."""
    known: dict[int, GroupUnit | None] = transaction_memo.memo(session, _MEMO)
    if chat_id not in known:
        row = (await session.execute(_UNIT_OF_GROUP, {"chat_id": chat_id})).first()
        known[chat_id] = None if row is None else GroupUnit(row[0], row[1])
    return known[chat_id]


def forget(session: AsyncSession) -> None:
    """A group's binding changed in this transaction: read them again."""
    transaction_memo.forget(session, _MEMO)
