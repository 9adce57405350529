"""``resident-bot sandbox``: the bot and its chat page on this machine, no Telegram needed.

``python -m bot.app.sandbox.cli --token-configured`` exits 0 when a ``BOT_TOKEN`` is set
(environment or ``.env``) and 1 when not; ``make run`` uses it to choose between the
real bot and the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from bot.app.runtime import event_loop

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088
DEFAULT_DATA = Path(".sandbox")


def add_sandbox_command(commands: Any) -> None:
    sub = commands.add_parser(
        "sandbox",
        help="try the bot without Telegram: a local page with chats for residents and staff",
    )
    sub.add_argument("--host", default=DEFAULT_HOST, help=f"address to serve on ({DEFAULT_HOST})")
    sub.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    sub.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder for the sandbox's database and chats ({DEFAULT_DATA})",
    )
    sub.set_defaults(func=cmd_sandbox)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.app.logging_setup import configure_logging

    configure_logging("WARNING")
    try:
        return event_loop.run(_serve(args.host, args.port, args.data))
    except KeyboardInterrupt:
        return 0


async def _serve(host: str, port: int, data: Path) -> int:
    from bot.app.sandbox.runtime import Sandbox
    from bot.app.sandbox.seed import seed
    from bot.app.sandbox.web import run_sandbox

    sandbox = Sandbox(data, seeder=seed)
    ready = asyncio.Event()
    serving = asyncio.create_task(run_sandbox(sandbox, host, port, ready))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    waiting = asyncio.create_task(ready.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        waiting.cancel()
        stopping.cancel()
        error = serving.exception()
        print(f"The sandbox could not start: {error}", file=sys.stderr)
        return 1
    if ready.is_set():
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        print(
            f"Sandbox running: open http://{shown}:{port}/ in your browser "
            f"(data in {data}/; Ctrl+C to stop)",
            flush=True,
        )
    await stopping
    waiting.cancel()
    serving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await serving
    return 0


def token_configured() -> bool:
    """Whether ``resident-bot run`` has a token to use (a broken setting counts as set,
    so that ``run`` reports it)."""
    from pydantic import ValidationError

    from bot.config.settings import MissingTokenError, Settings

    try:
        Settings().token  # noqa: B018 - the property raises when there is none
    except MissingTokenError:
        return False
    except ValidationError:
        return True
    return True


if __name__ == "__main__":
    if sys.argv[1:] == ["--token-configured"]:
        raise SystemExit(0 if token_configured() else 1)
    raise SystemExit("usage: python -m bot.app.sandbox.cli --token-configured")
