"""/outbox for admins, in private chat: undelivered messages and why."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.presentation.outbox_report import outbox_report, requeued
from bot.services import outbox_admin
from bot.services.access import AccessDenied
from bot.services.context import Context
from bot.services.people import Actor
from handlers.audiences import private_chat
from storage.models import OutboxStatus


async def show_outbox(
    message: Message, command: CommandObject, session: AsyncSession, ctx: Context, actor: Actor
) -> None:
    if not actor.is_admin:
        raise AccessDenied(N_("Only administrators can see the outbox."), code="not_admin")
    args = (command.args or "").split()
    if args[:1] == ["retry"]:
        ids = [int(a) for a in args[1:] if a.isdigit()]
        await message.answer(requeued(await outbox_admin.retry(session, ids, ctx.now)))
        return
    status = OutboxStatus.INACTIVE if args[:1] == ["inactive"] else OutboxStatus.DEAD
    await message.answer(outbox_report(await outbox_admin.report(session, status, limit=10)))


def build_router() -> Router:
    router = private_chat("admin.outbox")
    router.message.register(show_outbox, Command("outbox"))
    return router
