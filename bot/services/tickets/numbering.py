"""Human-readable ticket numbers per project: SG-000123."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrgUnit


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:06d}"


# As people type a number: any case, the zeros left out, a space for the dash ("sg 123").
_TYPED = re.compile(r"\s*([A-Za-z]{1,6})\s*(-|\s)\s*(\d{1,12})\s*")


def typed_number(text: str, prefixes: Collection[str] | None = None) -> str | None:
    """The ticket number ``text`` is, as stored ("sg-123" → "SG-000123"); None if it is
    anything else. Given the ``prefixes`` in use, a number written with a space instead
    of the dash counts only with one of them: "Room 302" is not a ticket."""
    found = _TYPED.fullmatch(text)
    if found is None:
        return None
    prefix, dash, digits = found.group(1).upper(), found.group(2) == "-", found.group(3)
    if not dash and prefixes is not None and prefix not in prefixes:
        return None
    return format_number(prefix, int(digits))


# One statement takes the number and moves the counter on. The increment is the
# database's, on the row it locks: concurrent writers (another instance) queue on that
# row and each gets the value after the one before it, so two tickets never share one.
_TAKE_NEXT = (
    update(OrgUnit)
    .where(OrgUnit.id == bindparam("project"), OrgUnit.ticket_prefix.is_not(None))
    .values(next_ticket_number=OrgUnit.next_ticket_number + 1)
    .returning(OrgUnit.next_ticket_number, OrgUnit.ticket_prefix)
    .execution_options(synchronize_session=False)
)


async def allocate_number(session: AsyncSession, project_id: int) -> tuple[int, str]:
    """Take the project's next sequence number; safe with concurrent writers."""
    taken = (await session.execute(_TAKE_NEXT, {"project": project_id})).first()
    if taken is None or taken.ticket_prefix is None:
        raise ValueError("tickets belong to projects, and this unit has no ticket prefix")
    seq = taken.next_ticket_number - 1
    return seq, format_number(taken.ticket_prefix, seq)
