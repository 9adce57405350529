"""/invite agent|manager [unit] and opening the link it makes (/start inv_…).

The link is a secret, so it is made only in a private chat. Opening it is a
``/start`` deep link: this router is included before the residents' /start.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.i18n import listed
from bot.presentation.outbound.invites import ROLE_NAMES
from bot.presentation.texts import local_time, unit_label, with_aside
from bot.services import invites
from bot.services.group_binding import ChooseUnit, UnitChoice, UnknownUnit
from bot.services.invites import INVITE_PREFIX
from handlers.audiences import any_chat, private_chat, staff_groups
from handlers.desk import Desk, KnownDesk, at_desk, known_actor
from handlers.staff.common import bot_username, is_staff


async def make_invite(message: Message, command: CommandObject, desk: KnownDesk) -> None:
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
        invite = await invites.create_invite(
            desk.session, desk.ctx.now, desk.actor, words[0], unit_key
        )
    except ChooseUnit as choose:
        keys = _unit_keys(desk, choose.options)
        await message.answer(_("For which unit? Add one of: {units}").format(units=keys))
        return
    except UnknownUnit as unknown:
        keys = _unit_keys(desk, unknown.options)
        await message.answer(
            _("There is no unit “{key}”. You can invite to: {units}").format(
                key=html.escape(unknown.key), units=keys
            )
        )
        return
    link = f"https://t.me/{await bot_username(desk.bot)}?start={INVITE_PREFIX}{invite.token}"
    await message.answer(
        _(
            "Invitation as {role} of {unit}, for one person, valid until {until}:\n{link}\n\n"
            "Send it only to the person it is for: whoever opens it first joins."
        ).format(
            role=_(ROLE_NAMES[invite.role]),
            unit=_unit_name(desk, invite.unit_key, invite.unit_name),
            until=local_time(invite.expires_at, desk.ctx.org.zone()),
            link=link,
        )
    )


def _unit_name(desk: Desk, key: str, stored: str) -> str:
    """A unit's name as the reader knows it (HTML)."""
    return html.escape(unit_label(desk.ctx.org, desk.locale, key, stored))


def _unit_keys(desk: KnownDesk, options: list[UnitChoice]) -> str:
    """The keys to type, each with the unit's name as the reader knows it."""
    keys = [
        with_aside(desk.locale, html.escape(o.key), _unit_name(desk, o.key, o.name))
        for o in options
    ]
    return listed(desk.locale, keys)


async def invite_in_group(message: Message) -> None:
    await message.reply(_("Invitation links are secret: send /invite to me in a private chat."))


async def open_invite(message: Message, command: CommandObject, desk: Desk) -> None:
    assert message.from_user is not None and command.args is not None
    user = message.from_user
    joined = await invites.redeem_invite(
        desk.session,
        desk.ctx,
        user.id,
        user.full_name,
        user.language_code,
        command.args.removeprefix(INVITE_PREFIX),
        opener=desk.actor,
    )
    await message.answer(
        _(
            "Welcome! You are now {role} of {unit}.\n"
            "/queue – open tickets of your units\n"
            "/mine – tickets assigned to you\n"
            "/ticket NUMBER – open one ticket"
        ).format(
            role=_(ROLE_NAMES[joined.role]),
            unit=_unit_name(desk, joined.unit_key, joined.unit_name),
        )
    )


def build_router() -> Router:
    """Links are made and opened in private chats; asked for in a group, the bot says so."""
    router = any_chat("staff.invites")
    private = private_chat("staff.invites.private")
    private.message.filter(at_desk)
    private.message.register(
        open_invite, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX))
    )
    private.message.register(
        make_invite, Command("invite"), is_staff, known_actor, flags={"audit": "invite.create"}
    )
    groups = staff_groups("staff.invites.groups")
    groups.message.register(invite_in_group, Command("invite"))
    router.include_routers(private, groups)
    return router
