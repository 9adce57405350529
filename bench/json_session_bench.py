"""Bot API calls as aiogram's form or as one JSON body (``bot/app/runtime/json_session.py``).

Runs the fake Bot API in a process of its own (its CPU is not counted) and makes the
same ``sendMessage`` — a Chinese text with an inline keyboard of six buttons, the shape of
most of the bot's replies — through a bot on aiogram's ``AiohttpSession`` and through
one on ``JsonSession`` (its answer validated as aiogram does, and read for the sent
message's id alone, as the bot's senders read it), in alternating rounds. Prints this
process's CPU µs per call.

    .venv/bin/python -m bench.json_session_bench [--calls 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from contextlib import nullcontext

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.presentation.json_session import JsonSession, message_ids_only

TOKEN = "123456:BENCH-TOKEN"
CHAT = 1001
TEXT = (
    "<b>报修 SG-000123</b>\n类别：水电 · 漏水\n位置：3 栋 2 单元 1203\n"
    "描述：厨房水槽下面的管子一直在滴水，地上已经湿了。\n请选择下一步："
)
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text=f"选项 {row}-{col}", callback_data=f"rf:1:area:{row}{col}")
            for col in range(3)
        ]
        for row in range(2)
    ]
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _round(bot: Bot, calls: int, ids_only: bool = False) -> float:
    start = time.process_time()
    with message_ids_only() if ids_only else nullcontext():
        for _ in range(calls):
            await bot.send_message(CHAT, TEXT, reply_markup=KEYBOARD)
    return (time.process_time() - start) / calls * 1e6


async def _measure(base: str, calls: int, rounds: int) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{base}/_fake/send_text", json={"user_id": CHAT, "text": "/start"})
    api = TelegramAPIServer.from_base(base)
    default = DefaultBotProperties(parse_mode=ParseMode.HTML)
    json_bot = Bot(TOKEN, session=JsonSession(api=api), default=default)
    ways = {
        "form (aiogram)": (Bot(TOKEN, session=AiohttpSession(api=api), default=default), False),
        "JSON body": (json_bot, False),
        "JSON, id only": (json_bot, True),
    }
    for bot, ids_only in ways.values():  # warm up: connections, response models
        await _round(bot, 50, ids_only)
    figures: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, (bot, ids_only) in ways.items():
            figures[name].append(await _round(bot, calls, ids_only))
    print(f"CPU µs per sendMessage, this process, {calls} calls a round:")
    for name, values in figures.items():
        print(f"  {name:<16} " + ", ".join(f"{v:.0f}" for v in values))
    for bot, _ in ways.values():
        await bot.session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fake_telegram", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # listening
        asyncio.run(_measure(f"http://127.0.0.1:{port}", args.calls, args.rounds))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
