"""End to end: an aiogram Dispatcher polling the fake, as the real bot will."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from fake_telegram import FakeTelegramServer, FakeUser


async def test_polling_dispatcher_round_trip(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="报修", callback_data="repair")]]
        )
        await message.answer("您好，请选择服务", reply_markup=markup)

    @router.callback_query(F.data == "repair")
    async def repair(query: CallbackQuery) -> None:
        await query.answer("已收到")
        await query.message.edit_text("请描述问题")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        server.send_text(alice, "/start")
        await server.wait_for("sendMessage", chat_id=alice.id)
        menu = server.last_message(alice.id)
        assert menu.text == "您好，请选择服务"

        update = server.press(alice, menu, data="repair")
        await server.wait_for("editMessageText", chat_id=alice.id)
        assert server.answer_for(update).text == "已收到"
        assert server.last_message(alice.id).text == "请描述问题"
        await server.wait_updates_consumed()
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
