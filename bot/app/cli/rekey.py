"""``resident-bot rekey``: stored personal data encrypted again with the newest key.

resident-bot rekey      # once DATA_ENCRYPTION_KEY=NEW,OLD is in place on every instance

Once it reports nothing unreadable, the older keys can leave ``DATA_ENCRYPTION_KEY``
(``docs/deploy.md``, "The encryption key and rotating it").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config.settings import Settings
    from storage.rekey import RekeyReport


def add_rekey_command(commands) -> None:
    commands.add_parser(
        "rekey", help="encrypt stored personal data again with the newest key"
    ).set_defaults(func=cmd_rekey)


def cmd_rekey(_args: argparse.Namespace) -> int:
    from bot.app.cli.common import encryption_keys, load_settings
    from storage.crypto import configure_cipher

    settings = load_settings()
    keys = encryption_keys(settings)
    if keys is None:
        return 2
    configure_cipher(keys)
    report = asyncio.run(_rekey(settings))
    print(
        f"Encrypted again with the newest key: {report.phones} phone numbers, "
        f"{report.updates} stored updates, {report.outbox_messages} outbox messages."
        + (f" ({report.retried} batches tried again after a conflict.)" if report.retried else "")
    )
    if report.unreadable:
        print(
            f"{report.unreadable} stored values open with none of the configured keys and "
            "were left as they are: keep every key until they are dealt with.",
            file=sys.stderr,
        )
        return 1
    if len(keys) > 1:
        print(
            "No stored value needs an older key now: remove them from DATA_ENCRYPTION_KEY "
            "once every instance runs with the newest key first."
        )
    return 0


async def _rekey(settings: Settings) -> RekeyReport:
    from bot.app.cli.common import migrated_database
    from storage.rekey import rekey

    async with migrated_database(settings) as sessionmaker:
        return await rekey(sessionmaker, retryable=worth_retrying)


def worth_retrying(error: BaseException) -> bool:
    """A batch that failed beside a live bot is tried again: a deadlock PostgreSQL ended
    by aborting it, a SQLite file locked longer than the busy timeout, a server that
    restarted meanwhile."""
    from scheduler.resilience import is_database_outage, is_lost_race

    return is_lost_race(error) or is_database_outage(error)
