"""``resident-bot recompute-deadlines``: after changing ``[sla]``, move open tickets' deadlines.

Every open ticket's deadlines are recomputed from its history as if the new
policy (targets, calendars) had applied from the start; escalation levels
already reached stay. Run it after editing the SLA part of the organisation
file (the bot may keep running).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.app.cli.common import with_organisation

if TYPE_CHECKING:
    from bot.config.orgfile import Organisation
    from bot.config.settings import Settings


def add_sla_command(commands) -> None:
    sub = commands.add_parser(
        "recompute-deadlines", help="recompute open tickets' deadlines after an SLA change"
    )
    sub.set_defaults(func=cmd_recompute_deadlines)


@with_organisation
def cmd_recompute_deadlines(
    _args: argparse.Namespace, settings: Settings, org: Organisation
) -> int:
    changed = asyncio.run(_recompute(settings, org))
    print(f"deadlines changed on {changed} open ticket(s)")
    return 0


async def _recompute(settings: Settings, org: Organisation) -> int:
    from bot.app.cli.common import migrated_database
    from bot.clock import SystemClock
    from bot.services.sla.deadlines import recompute_open_tickets

    total, after = 0, 0
    async with migrated_database(settings) as sessionmaker:
        while True:  # one transaction per batch of tickets
            async with sessionmaker() as session, session.begin():
                after, changed = await recompute_open_tickets(
                    session, org, SystemClock().now(), after_id=after
                )
            total += changed
            if after == 0:
                return total
