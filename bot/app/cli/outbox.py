"""``resident-bot outbox``: what the outbox could not deliver, for an operator.

resident-bot outbox                     # counts, and the newest dead letters
resident-bot outbox --status inactive   # messages to people/groups that blocked us
resident-bot outbox --retry 12 15       # queue dead messages again (after a fix)
"""

from __future__ import annotations

import argparse
import asyncio

from bot.config.settings import Settings
from storage.models import OutboxStatus


def add_outbox_command(commands) -> None:
    sub = commands.add_parser("outbox", help="list dead letters of the outbox, or retry them")
    sub.add_argument(
        "--status",
        default=OutboxStatus.DEAD.value,
        choices=[s.value for s in OutboxStatus],
        help="which messages to list (default: dead)",
    )
    sub.add_argument("--limit", type=int, default=20, help="how many to list (newest first)")
    sub.add_argument("--retry", type=int, nargs="+", metavar="ID", help="queue these again")
    sub.set_defaults(func=cmd_outbox)


def cmd_outbox(args: argparse.Namespace) -> int:
    from bot.app.cli.common import load_settings

    print(asyncio.run(_outbox(load_settings(), args)))
    return 0


async def _outbox(settings: Settings, args: argparse.Namespace) -> str:
    from bot.app.cli.common import migrated_session
    from bot.clock import SystemClock
    from bot.services import outbox_admin

    async with migrated_session(settings) as session:
        if args.retry:
            count = await outbox_admin.retry(session, args.retry, SystemClock().now())
            return f"queued again: {count} of {len(args.retry)}"
        report = await outbox_admin.report(session, OutboxStatus(args.status), args.limit)
    return outbox_admin.render_plain(report)
