"""Staff invitations: the inviter hears who joined with their link."""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.presentation.announce import renders
from bot.presentation.recipients import recipient_of, tell
from bot.presentation.texts import unit_label
from bot.services.context import Context
from bot.services.invites import InviteAccepted
from storage.models import OrgUnit, Person, StaffInvite, StaffRole

ROLE_NAMES = {
    StaffRole.AGENT: N_("agent"),
    StaffRole.MANAGER: N_("manager"),
    StaffRole.ADMIN: N_("admin"),
}
INVITE_USED = N_("{name} joined as {role} of {unit} with your invitation.")


@renders(InviteAccepted)
async def invite_accepted(session: AsyncSession, ctx: Context, notice: InviteAccepted) -> None:
    invite = await session.get(StaffInvite, notice.invite_id)
    person = await session.get(Person, notice.person_id)
    assert invite is not None and person is not None
    recipient = await recipient_of(session, invite.created_by_id, ctx.group_locale)
    unit = await session.get(OrgUnit, invite.org_unit_id)
    if recipient is None or unit is None:
        return
    await tell(
        session,
        ctx,
        recipient,
        INVITE_USED,
        name=html.escape(person.full_name or str(person.telegram_id)),
        role=translate(recipient.locale, ROLE_NAMES[invite.role]),
        unit=html.escape(unit_label(ctx.org, recipient.locale, unit.key, unit.name)),
    )
