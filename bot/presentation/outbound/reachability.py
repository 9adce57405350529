"""Someone who had blocked the bot is back: they are told plainly what reached them and
what did not."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.recipients import recipient_of
from bot.services.context import Context
from bot.services.delivery_outcomes import BackInTouch

WELCOME_BACK = N_("ℹ️ Welcome back! While the bot was blocked, we could not write to you.")
HELD_RESENT = N_("Messages we held for you, now delivered above: {count}.")
NOT_RESENT = N_("Older messages that are no longer sent: {count}.")
SEE_TICKETS = N_("Where your tickets stand now: /tickets")


@renders(BackInTouch)
async def back_in_touch(session: AsyncSession, ctx: Context, notice: BackInTouch) -> None:
    recipient = await recipient_of(session, notice.person_id, ctx.group_locale)
    if recipient is None:
        return
    lines = [translate(recipient.locale, WELCOME_BACK)]
    if notice.resent:
        lines.append(translate(recipient.locale, HELD_RESENT, count=notice.resent))
    if notice.not_resent:
        lines.append(translate(recipient.locale, NOT_RESENT, count=notice.not_resent))
    if not notice.is_staff:
        lines.append(translate(recipient.locale, SEE_TICKETS))
    await outbox.enqueue_text(
        session, chat_id=recipient.chat_id, text="\n".join(lines), now=ctx.now
    )
