"""/help, per role: residents, staff and managers in private; staff in their group.

(/start, the registration, lives in handlers/resident/registration.py.)
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.commands import audience_of
from bot.presentation.help import group_help, private_help
from bot.services.context import Context
from bot.services.intake.emergency import hotline_for_resident
from bot.services.people import Actor
from handlers.audiences import private_chat, staff_groups


async def show_help(message: Message, actor: Actor, session: AsyncSession, ctx: Context) -> None:
    audience = audience_of(actor.is_staff, actor.is_manager, actor.is_admin)
    hotline = await hotline_for_resident(session, ctx.org, actor.person_id)
    await message.answer(private_help(audience, hotline))


async def show_group_help(message: Message) -> None:
    await message.answer(group_help())


def build_router() -> Router:
    in_private = private_chat("common.start.private")
    in_private.message.register(show_help, Command("help"))
    in_groups = staff_groups("common.start.groups")
    in_groups.message.register(show_group_help, Command("help"))
    router = Router(name="common.start")
    router.include_routers(in_private, in_groups)
    return router
