"""Human-readable ticket numbers per project: SG-000123."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import claim
from storage.models import OrgUnit


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:06d}"


async def allocate_number(session: AsyncSession, project_id: int) -> tuple[int, str]:
    """Take the project's next sequence number; safe with concurrent writers.

    A conditional update on the counter: whoever loses the race re-reads and
    tries again, so two tickets never share a number.
    """
    while True:
        row = (
            await session.execute(
                select(OrgUnit.next_ticket_number, OrgUnit.ticket_prefix).where(
                    OrgUnit.id == project_id
                )
            )
        ).one()
        seq, prefix = row
        if prefix is None:
            raise ValueError("tickets belong to projects, and this unit has no ticket prefix")
        if await claim(
            session,
            OrgUnit,
            OrgUnit.id == project_id,
            OrgUnit.next_ticket_number == seq,
            next_ticket_number=seq + 1,
        ):
            return seq, format_number(prefix, seq)
