"""The ``resident-bot`` command."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.cli.common import (
    checked_organisation,
    encryption_keys,
    load_settings,
    migrated_session,
    report_problems,
    with_organisation,
)
from bot.app.cli.outbox import add_outbox_command
from bot.app.cli.rekey import add_rekey_command
from bot.app.cli.sla import add_sla_command
from bot.app.cli.unit_codes import add_unit_codes_command
from bot.app.logging_setup import configure_logging
from bot.app.runtime import event_loop
from bot.app.sandbox.cli import add_sandbox_command
from bot.config.settings import MissingTokenError, Settings

if TYPE_CHECKING:
    from bot.config.orgfile import Organisation

NO_TOKEN_MESSAGE = """\
BOT_TOKEN is not set, so the bot cannot connect to Telegram.

How to get a token:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a name and a username; BotFather answers with a token like 123456789:AAE...
Where to put it:
  - in a file named .env in this folder:   BOT_TOKEN=123456789:AAE...
  - or in the environment:                 export BOT_TOKEN=123456789:AAE...
Then run the same command again.

未设置 BOT_TOKEN。请在 Telegram 中向 @BotFather 发送 /newbot 获取令牌，
然后写入本目录下的 .env 文件（BOT_TOKEN=...）或设置环境变量后重新运行。
"""


BAD_TOKEN_MESSAGE = """\
BOT_TOKEN does not look like a Telegram bot token (digits, a colon, then letters,
digits, '-' or '_', e.g. 123456789:AAE...). Copy it again from @BotFather.

BOT_TOKEN 格式不正确，请从 @BotFather 重新复制令牌。
"""


def looks_like_token(token: str) -> bool:
    left, sep, right = token.partition(":")
    return (
        bool(sep)
        and left.isdigit()
        and bool(right)
        and right.replace("-", "").replace("_", "").isalnum()
    )


NO_WEBHOOK_MESSAGE = """\
Webhook mode needs {missing}.

  WEBHOOK_URL     the public https:// address Telegram reaches (a proxy in front of
                  this process), e.g. https://bot.example.com; updates go to it
                  followed by WEBHOOK_PATH (default /telegram)
  WEBHOOK_SECRET  1-256 characters of A-Z a-z 0-9 _ - (Telegram sends it back with
                  every update; requests without it are refused)
  WEBHOOK_HOST, WEBHOOK_PORT  where this process listens (default 127.0.0.1:8080)
"""


def cmd_run(_args: argparse.Namespace) -> int:
    return _run_bot(webhook=False)


def cmd_webhook(_args: argparse.Namespace) -> int:
    return _run_bot(webhook=True)


def _run_bot(*, webhook: bool) -> int:
    settings = load_settings()
    try:
        token = settings.token
    except MissingTokenError:
        print(NO_TOKEN_MESSAGE, file=sys.stderr)
        return 2
    if not looks_like_token(token):
        print(BAD_TOKEN_MESSAGE, file=sys.stderr)
        return 2
    if webhook:
        missing = [
            name
            for name, value in (
                ("WEBHOOK_URL", settings.webhook_url),
                ("WEBHOOK_SECRET", settings.webhook_secret),
            )
            if not value
        ]
        if missing:
            print(NO_WEBHOOK_MESSAGE.format(missing=" and ".join(missing)), file=sys.stderr)
            return 2
    if report_problems(settings.bot_config) != 0:
        return 1
    secrets = [token]
    if webhook and settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    configure_logging(settings.log_level, secrets=secrets, log_format=settings.log_format)
    if encryption_keys(settings) is None:
        return 2
    return event_loop.run(_run(settings, webhook=webhook))


async def _run(settings: Settings, *, webhook: bool = False) -> int:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.app.application import Application, ApplicationFailed

    app = Application(settings, webhook=webhook)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, app.request_stop)
    try:
        await app.run()
    except TelegramUnauthorizedError:
        print("Telegram rejected BOT_TOKEN. Check the token from @BotFather.", file=sys.stderr)
        return 2
    except ApplicationFailed as failure:
        # Asked to stop (SIGTERM, Ctrl-C) exits 0; a loop that gave up must not look like that.
        print(f"The bot stopped on an error: {failure}", file=sys.stderr)
        return 1
    except OSError as error:
        if not webhook:
            raise
        # Most likely WEBHOOK_HOST:WEBHOOK_PORT is taken or not this machine's.
        print(
            f"Cannot listen on {settings.webhook_host}:{settings.webhook_port}: {error}",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, log_format=settings.log_format)

    async def migrate() -> str | None:
        from storage.db import create_engine
        from storage.migrate import current_revision, upgrade

        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(f"Database is at revision {asyncio.run(migrate())}")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.file or load_settings().bot_config
    org = checked_organisation(path)
    if org is None:
        return 1
    print(
        f"{path}: OK — {len(org.regions)} regions, {len(org.projects)} projects, "
        f"{len(org.staff)} staff, {len(org.categories)} categories"
    )
    return 0


@with_organisation
def cmd_sync_config(_args: argparse.Namespace, settings: Settings, org: Organisation) -> int:
    configure_logging(settings.log_level, log_format=settings.log_format)

    async def sync() -> str:
        from bot.clock import SystemClock
        from bot.services.directory import sync_organisation

        async with migrated_session(settings) as session:
            report = await sync_organisation(session, org, SystemClock().now())
        return report.summary()

    print(f"Synced: {asyncio.run(sync())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resident-bot", description="Resident Service Bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    commands.add_parser(
        "webhook", help="run the bot, receiving updates by webhook (WEBHOOK_* settings)"
    ).set_defaults(func=cmd_webhook)
    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(
        func=cmd_migrate
    )
    for name, func, text in (
        ("check-config", cmd_check_config, "validate the organisation file"),
        ("sync-config", cmd_sync_config, "load the organisation file into the database"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--file", type=Path, help="organisation file (default: BOT_CONFIG)")
        sub.set_defaults(func=func)
    add_unit_codes_command(commands)
    add_outbox_command(commands)
    add_sla_command(commands)
    add_rekey_command(commands)
    add_sandbox_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
