"""Staff groups: joining, binding (/bindgroup), refusing strangers' groups, migration.

The bot works only in groups bound to a unit. Added to any other group it
leaves, unless a manager or admin added it (they may bind it next). A command
in an unbound group from anyone who cannot bind it is refused, and the bot
leaves. Commands from anonymous admins are refused: we cannot tell who they
are, and Telegram's group admin status grants nothing here anyway. Binding a
unit that already has a group asks first (Move / Keep buttons that only the
asker may press); the old group is told of a move.
"""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.buttons.group_binding import GroupMove, MoveVerdict
from bot.presentation.residents.keyboards import inline
from bot.presentation.texts import unit_label
from bot.services import audit, group_binding
from bot.services.access import AccessDenied, NotAManager
from bot.services.context import Context
from bot.services.group_binding import (
    Admission,
    Binding,
    ChooseUnit,
    MoveNeedsConfirmation,
    NotYourConfirmation,
    UnitChoice,
    UnknownUnit,
)
from bot.services.people import Actor
from handlers.audiences import staff_groups
from handlers.middlewares.refusals import refusal_text
from handlers.staff.common import editable, is_anonymous, is_command_for_us, thread_of

JOINED = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED}
GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.KICKED}


def _unit_name(ctx: Context, key: str, stored: str) -> str:
    """A unit's name as this group reads it (the organisation file's English name in an
    English-speaking group)."""
    return html.escape(unit_label(ctx.org, get_i18n().current_locale, key, stored))


def _unit_list(ctx: Context, options: list[UnitChoice]) -> str:
    return "\n".join(
        f"• <code>{html.escape(o.key)}</code> – {_unit_name(ctx, o.key, o.name)}" for o in options
    )


async def _leave(bot: Bot, chat_id: int) -> None:
    try:
        await bot.leave_chat(chat_id)
    except TelegramAPIError:
        pass  # already gone


# ------------------------------------------------------------------ joining


async def bot_added_to_group(
    event: ChatMemberUpdated,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None = None,
) -> None:
    decision = await group_binding.admission(session, actor, event.chat.id)
    if decision is Admission.BOUND:
        unit = await group_binding.unit_for_chat(session, event.chat.id)
        await bot.send_message(
            event.chat.id,
            _("Hello! New tickets of {unit} will appear here.").format(
                unit=_unit_name(ctx, unit.key, unit.name) if unit else ""
            ),
        )
    elif decision is Admission.MAY_BIND:
        await bot.send_message(
            event.chat.id,
            _(
                "Hello! This group is not a staff group yet. A manager or admin can bind it "
                "to their project, region or HQ with /bindgroup (in a forum, send it in the "
                "topic where tickets should go)."
            ),
        )
    else:
        await group_binding.record_refused_group(
            session, ctx.now, actor, event.chat.id, "added_by_non_manager"
        )
        await bot.send_message(
            event.chat.id,
            _("I only work in staff groups of the property office, bound by a manager. Goodbye!"),
        )
        await _leave(bot, event.chat.id)


# ------------------------------------------------------------------ migration


async def group_upgraded(message: Message, session: AsyncSession, ctx: Context) -> None:
    """A basic group became a supergroup (two service messages: both lead here)."""
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        assert message.migrate_from_chat_id is not None
        old, new = message.migrate_from_chat_id, message.chat.id
    await group_binding.follow_migration(session, ctx, old, new)


# ------------------------------------------------------------------ refusals


async def refuse_anonymous(message: Message, session: AsyncSession, ctx: Context) -> None:
    await audit.refused(
        session,
        ctx.now,
        None,
        "group.command",
        "anonymous_admin",
        data={"chat_id": message.chat.id, "command": (message.text or "").split()[0][:64]},
    )
    await message.reply(
        _(
            "I can't tell who sent this: you are writing anonymously as the group. "
            "Please turn off “Remain anonymous” in your admin rights, or send the command "
            "from your own account."
        )
    )


async def refuse_in_unbound_group(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None = None,
) -> None:
    if actor is not None and actor.is_manager:
        await message.reply(
            _("This group is not a staff group yet. Bind it first with /bindgroup.")
        )
        return
    await group_binding.record_refused_group(
        session, ctx.now, actor, message.chat.id, "command_in_unbound_group"
    )
    await message.reply(
        _("I only work in staff groups of the property office, bound by a manager. Goodbye!")
    )
    await _leave(bot, message.chat.id)


# ------------------------------------------------------------------ binding


async def bind_group(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None = None,
) -> None:
    was_bound = await group_binding.unit_for_chat(session, message.chat.id) is not None
    try:
        if actor is None or actor.person_id is None:
            raise NotAManager(code="no_role")
        binding = await group_binding.bind_group(
            session, ctx, actor, message.chat.id, thread_of(message), command.args
        )
    except ChooseUnit as choose:
        await message.reply(
            _("Which unit is this group for? Send one of:\n{units}").format(
                units="\n".join(
                    f"/bindgroup {html.escape(o.key)} – {_unit_name(ctx, o.key, o.name)}"
                    for o in choose.options
                )
            )
        )
        return
    except UnknownUnit as unknown:
        await message.reply(
            _("There is no unit “{key}”. You can bind this group to:\n{units}").format(
                key=html.escape(unknown.key), units=_unit_list(ctx, unknown.options)
            )
        )
        return
    except MoveNeedsConfirmation as move:
        assert actor is not None  # refused above otherwise
        await message.reply(
            await _move_question(bot, ctx, move),
            reply_markup=_move_keyboard(move, actor.telegram_id),
        )
        return
    except AccessDenied as denied:
        # Answered here, not by the refusal middleware: the bot leaves the group after it.
        data = {"chat_id": message.chat.id}
        await audit.refused(session, ctx.now, actor, "group.bind", denied.code, data=data)
        await message.reply(refusal_text(denied))
        if not was_bound:
            await _leave(bot, message.chat.id)
        return
    await message.reply(_bound_text(ctx, binding))


def _bound_text(ctx: Context, binding: Binding) -> str:
    if binding.thread_id is not None:
        text = _("✅ This topic is now the staff desk of {unit}. New tickets will appear here.")
    else:
        text = _("✅ This group is now the staff group of {unit}. New tickets will appear here.")
    return text.format(unit=_unit_name(ctx, binding.unit_key, binding.unit_name))


async def _group_title(bot: Bot, chat_id: int) -> str:
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramAPIError:
        return str(chat_id)  # the bot was removed from it, or it is gone
    return chat.title or str(chat_id)


async def _move_question(bot: Bot, ctx: Context, move: MoveNeedsConfirmation) -> str:
    text = _(
        "⚠️ {unit} already has a staff group: “{group}”. Move it to this group? Its new "
        "tickets will come here instead, and “{group}” will be told."
    ).format(
        unit=_unit_name(ctx, move.unit_key, move.unit_name),
        group=html.escape(await _group_title(bot, move.bound_chat_id)),
    )
    if move.replaces is not None:
        text += "\n" + _("This group would stop being the staff group of {unit}.").format(
            unit=_unit_name(ctx, move.replaces_key, move.replaces)
        )
    return text


def _move_keyboard(move: MoveNeedsConfirmation, asked_by: int) -> InlineKeyboardMarkup:
    def data(verdict: MoveVerdict) -> str:
        return GroupMove(
            action=verdict, unit_id=move.unit_id, from_chat=move.bound_chat_id, asked_by=asked_by
        ).pack()

    return inline(
        [
            [
                (_("✅ Move it here"), data(MoveVerdict.CONFIRM)),
                (_("✖️ Keep it where it is"), data(MoveVerdict.CANCEL)),
            ]
        ]
    )


async def move_answered(
    callback: CallbackQuery,
    callback_data: GroupMove,
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None = None,
) -> None:
    """The manager who asked answers: move the unit's staff desk here, or keep it."""
    message = editable(callback)
    if actor is None:
        raise NotYourConfirmation
    if callback_data.action == MoveVerdict.CANCEL:
        await group_binding.cancel_move(
            session, ctx.now, actor, asked_by=callback_data.asked_by, unit_id=callback_data.unit_id
        )
        await callback.answer()
        await message.edit_text(_("✖️ Nothing was moved: the unit keeps its staff group."))
        return
    binding = await group_binding.confirm_move(
        session,
        ctx,
        actor,
        asked_by=callback_data.asked_by,
        unit_id=callback_data.unit_id,
        from_chat_id=callback_data.from_chat,
        chat_id=message.chat.id,
        thread_id=thread_of(message),
    )
    await callback.answer()
    await message.edit_text(_bound_text(ctx, binding), reply_markup=None)


def build_router() -> Router:
    router = staff_groups("staff.groups")
    router.my_chat_member.register(
        bot_added_to_group,
        F.old_chat_member.status.in_(GONE),
        F.new_chat_member.status.in_(JOINED),
    )
    # Order matters: service messages, then anonymous senders, then unbound groups.
    router.message.register(group_upgraded, F.migrate_to_chat_id | F.migrate_from_chat_id)
    router.message.register(refuse_anonymous, is_anonymous, is_command_for_us)
    router.message.register(bind_group, Command("bindgroup"))
    router.message.register(refuse_in_unbound_group, is_command_for_us, _unbound)
    # Only the manager who asked may answer; the service checks it on every press.
    router.callback_query.register(move_answered, GroupMove.filter(), flags={"audit": "group.bind"})
    return router


async def _unbound(message: Message, session: AsyncSession) -> bool:
    return await group_binding.unit_for_chat(session, message.chat.id) is None
