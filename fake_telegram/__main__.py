"""``python -m fake_telegram --port 8081``: run the fake server standalone.

For a try-it-locally mode: start this, point the bot at the printed base URL
(``TelegramAPIServer.from_base(url)``) and use the token shown.  Updates can be
pushed over HTTP while it runs, which keeps the fake usable without Python access:

    POST {base}/_fake/send_text   {"user_id": 1001, "text": "/start"}
    GET  {base}/_fake/messages?chat_id=1001
    POST {base}/_fake/press       {"user_id": 1001, "chat_id": 1001,
                                   "message_id": 2, "data": "menu:repair"}
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from typing import Any

from aiohttp import web

from fake_telegram.models import FakeUser
from fake_telegram.server import FakeTelegramServer


def _user(server: FakeTelegramServer, body: dict[str, Any]) -> FakeUser:
    user_id = int(body["user_id"])
    known = server.state.users.get(user_id)
    if known is not None:
        return known
    return server.user(
        user_id,
        first_name=body.get("first_name") or f"User{user_id}",
        username=body.get("username"),
        language_code=body.get("language_code", "zh-hans"),
    )


def add_control_routes(app: web.Application, server: FakeTelegramServer) -> None:
    """Tiny HTTP control surface under ``/_fake/`` for manual testing."""

    async def send_text(request: web.Request) -> web.Response:
        body = await request.json()
        update = server.send_text(_user(server, body), str(body["text"]), body.get("chat_id"))
        return web.json_response(update)

    async def press(request: web.Request) -> web.Response:
        body = await request.json()
        update = server.press_raw(
            _user(server, body), int(body["chat_id"]), int(body["message_id"]), str(body["data"])
        )
        return web.json_response(update)

    async def messages(request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        found = server.messages_in(chat_id, include_user_messages=True)
        return web.json_response(
            [m.data for m in found], dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    app.router.add_post("/_fake/send_text", send_text)
    app.router.add_post("/_fake/press", press)
    app.router.add_get("/_fake/messages", messages)


async def _run(args: argparse.Namespace) -> None:
    server = FakeTelegramServer(
        token=args.token,
        bot_id=int(args.token.split(":", 1)[0]),
        bot_username=args.username,
        enforce_rate_limits=args.rate_limits,
        host=args.host,
        port=args.port,
        response_delay=args.latency_ms / 1000,
    )
    server.on_app_created = lambda app: add_control_routes(app, server)
    await server.start()
    print(f"fake Telegram Bot API listening on {server.base_url}", flush=True)
    print(f"token: {server.token}  (bot @{server.bot_username})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--username", default="resident_test_bot")
    parser.add_argument("--rate-limits", action="store_true", help="enforce flood limits")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="hold every answer back this long"
    )
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
