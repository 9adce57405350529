"""``resident-bot unit-codes --project KEY``: one-time unit codes as a printable CSV.

Each active unit of the project (or of one building) gets a fresh code, valid
for ``[residents] unit_code_ttl``; only a hash is stored, so the CSV is the only
place the codes can be read. Print it, cut it up, hand each unit its slip.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.cli.common import with_organisation

if TYPE_CHECKING:
    from bot.config.orgfile import Organisation
    from bot.config.settings import Settings


def add_unit_codes_command(commands) -> None:
    sub = commands.add_parser(
        "unit-codes", help="print one-time unit codes for a project's residents (CSV)"
    )
    sub.add_argument("--project", required=True, help="project key from the organisation file")
    sub.add_argument("--building", help="only this building (its key)")
    sub.add_argument("--output", type=Path, help="write the CSV here instead of to stdout")
    sub.add_argument(
        "--bot-username", help="the bot's @username, to print t.me deep links with the codes"
    )
    sub.set_defaults(func=cmd_unit_codes)


@with_organisation
def cmd_unit_codes(args: argparse.Namespace, settings: Settings, org: Organisation) -> int:
    from bot.app.logging_setup import configure_logging

    configure_logging(settings.log_level, log_format=settings.log_format)
    try:
        org.project(args.project)
    except KeyError:
        known = ", ".join(p.key for p in org.projects) or "none"
        print(
            f'No project "{args.project}" in {settings.bot_config} (projects: {known})',
            file=sys.stderr,
        )
        return 2
    codes = asyncio.run(_issue(settings, org, args.project, args.building))
    if not codes:
        print("No active units found: nothing issued.", file=sys.stderr)
        return 1
    from bot.services.unit_codes import write_csv

    username = (args.bot_username or "").lstrip("@") or None
    if args.output:
        with args.output.open("w", encoding="utf-8-sig", newline="") as stream:
            write_csv(codes, stream, username)
    else:
        write_csv(codes, sys.stdout, username)
    ttl: timedelta = org.residents.unit_code_ttl
    print(
        f"{len(codes)} unit code(s) for {args.project}, single-use, valid for {ttl.days} days"
        + ("" if username else " (pass --bot-username for t.me links)"),
        file=sys.stderr,
    )
    return 0


async def _issue(settings, org, project_key: str, building_key: str | None):
    from bot.app.cli.common import migrated_session
    from bot.clock import SystemClock
    from bot.services.directory import sync_organisation
    from bot.services.unit_codes import issue_codes

    now = SystemClock().now()
    async with migrated_session(settings) as session:
        await sync_organisation(session, org, now)  # the units must exist to get codes
        return await issue_codes(
            session, project_key, now, org.residents.unit_code_ttl, building_key=building_key
        )
