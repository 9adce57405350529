"""``resident-bot recompute-deadlines``: after changing ``[sla]``, move open tickets' deadlines.

Every open ticket's deadlines are recomputed from its history as if the new
policy (targets, calendars) had applied from the start; escalation levels
already reached stay. Run it after editing the SLA part of the organisation
file (the bot may keep running).
"""

from __future__ import annotations

import argparse
import asyncio


def add_sla_command(commands) -> None:
    sub = commands.add_parser(
        "recompute-deadlines", help="recompute open tickets' deadlines after an SLA change"
    )
    sub.set_defaults(func=cmd_recompute_deadlines)


def cmd_recompute_deadlines(_args: argparse.Namespace) -> int:
    from bot.app.cli.common import load_settings, report_problems

    settings = load_settings()
    if report_problems(settings.bot_config):
        return 1
    changed = asyncio.run(_recompute(settings))
    print(f"deadlines changed on {changed} open ticket(s)")
    return 0


async def _recompute(settings) -> int:
    from bot.clock import SystemClock
    from bot.config.orgfile import load_organisation
    from bot.services.sla.deadlines import recompute_open_tickets
    from storage.db import create_engine, create_sessionmaker
    from storage.migrate import upgrade

    org = load_organisation(settings.bot_config)
    engine = create_engine(settings.database_url)
    total, after = 0, 0
    try:
        await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        while True:
            async with sessionmaker() as session, session.begin():
                after, changed = await recompute_open_tickets(
                    session, org, SystemClock().now(), after_id=after
                )
            total += changed
            if after == 0:
                return total
    finally:
        await engine.dispose()
