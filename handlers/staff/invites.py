"""/invite agent|manager [unit] and opening the link it makes (/start inv_…).

The link is a secret, so it is made only in a private chat. Opening it is a
``/start`` deep link: this router is included before the residents' /start.
"""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.i18n import DEFAULT_LOCALE, normalise_locale
from bot.services import audit, invites
from bot.services.access import AccessDenied
from bot.services.group_binding import ChooseUnit, UnknownUnit
from bot.services.invites import INVITE_PREFIX, InvalidInvite
from bot.services.notifications.texts import local_time
from bot.services.people import Actor
from bot.services.staff_desk import describe_refusal
from handlers.staff.common import GROUP_TYPES, bot_username, refusal_text


def _role_label(role) -> str:
    return {
        "agent": _("agent"),
        "manager": _("manager"),
        "admin": _("admin"),
    }[role.value]


async def make_invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None = None,
) -> None:
    words = (command.args or "").split()
    if not words or words[0].lower() not in invites.INVITABLE_ROLES:
        await message.answer(
            _(
                "Usage: /invite agent or /invite manager, optionally followed by the unit, "
                "for example /invite agent sunshine."
            )
        )
        return
    unit_key = words[1] if len(words) > 1 else None
    try:
        assert actor is not None
        invite = await invites.create_invite(session, clock.now(), actor, words[0], unit_key)
    except ChooseUnit as choose:
        keys = ", ".join(html.escape(o.key) for o in choose.options)
        await message.answer(_("For which unit? Add one of: {units}").format(units=keys))
        return
    except UnknownUnit as unknown:
        keys = ", ".join(html.escape(o.key) for o in unknown.options)
        await message.answer(
            _("There is no unit “{key}”. You can invite to: {units}").format(
                key=html.escape(unknown.key), units=keys
            )
        )
        return
    except AccessDenied as denied:
        await audit.refused(session, clock.now(), actor, "invite.create", denied.code)
        await message.answer(refusal_text(describe_refusal(denied)))
        return
    link = f"https://t.me/{await bot_username(bot)}?start={INVITE_PREFIX}{invite.token}"
    await message.answer(
        _(
            "Invitation as {role} of {unit}, for one person, valid until {until}:\n{link}\n\n"
            "Send it only to the person it is for: whoever opens it first joins."
        ).format(
            role=_role_label(invite.role),
            unit=html.escape(invite.unit_name),
            until=local_time(invite.expires_at, organisation.zone()),
            link=link,
        )
    )


async def invite_in_group(message: Message) -> None:
    await message.reply(_("Invitation links are secret: send /invite to me in a private chat."))


async def open_invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    assert message.from_user is not None and command.args is not None
    token = command.args.removeprefix(INVITE_PREFIX)
    user = message.from_user
    default = normalise_locale(organisation.default_language) or DEFAULT_LOCALE
    try:
        joined = await invites.redeem_invite(
            session,
            clock.now(),
            user.id,
            user.full_name,
            user.language_code,
            token,
            default,
        )
    except InvalidInvite as invalid:
        opener = {"telegram_id": user.id}
        await audit.refused(session, clock.now(), actor, "invite.redeem", invalid.code, data=opener)
        await message.answer(_(invalid.reason))
        return
    await message.answer(
        _(
            "Welcome! You are now {role} of {unit}.\n"
            "/queue – open tickets of your units\n"
            "/mine – tickets assigned to you\n"
            "/ticket NUMBER – open one ticket"
        ).format(role=_role_label(joined.role), unit=html.escape(joined.unit_name))
    )


def _is_staff(_event: object, actor: Actor | None = None) -> bool:
    return actor is not None and actor.is_staff


def build_router() -> Router:
    router = Router(name="staff.invites")
    private = F.chat.type == "private"
    router.message.register(
        open_invite,
        CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)),
        private,
    )
    router.message.register(make_invite, Command("invite"), private, _is_staff)
    router.message.register(invite_in_group, Command("invite"), F.chat.type.in_(GROUP_TYPES))
    return router
