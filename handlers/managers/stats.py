"""/stats [period] [project or region] [text] and /export [period] [project or region] [csv],
in private chat.

The figures can name staff members, so they are only sent to the manager who asks,
never to a group: ``/stats`` sent in a group is answered in the manager's private chat
(the group is told so, or, when the bot may not write to them yet, told to open that
chat first); ``/export`` and ``/outbox`` sent in a group get a pointer to the private
chat. Refusals (not a manager, a scope beyond one's own, an unknown scope, an argument
that means nothing) are answered by the refusal middleware.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _

from bot.config.orgfile import Organisation
from bot.presentation.stats.chart import render_chart
from bot.presentation.stats.export import build_csv, build_xlsx
from bot.presentation.stats.texts import render_report
from bot.services.stats.report import StatsReport
from bot.services.stats.requests import StatsRequest, export_for, parse_arguments, report_for
from bot.services.stats.rows import TicketRows
from handlers.audiences import PrivateChatOnly, private_chat, staff_groups
from handlers.desk import KnownDesk, at_desk, known_actor
from handlers.staff.common import bot_username

log = logging.getLogger(__name__)


async def show_stats(message: Message, command: CommandObject, desk: KnownDesk) -> None:
    request = parse_arguments(command.args, "stats")
    report = await report_for(desk.session, desk.ctx, desk.actor, request)
    await _send_texts(desk, message.chat.id, report)
    if not request.text_only:
        await _send_chart(desk.bot, message.chat.id, report, desk.locale)


async def stats_sent_privately(message: Message, command: CommandObject, desk: KnownDesk) -> None:
    """``/stats`` in a group: the report goes to the manager's private chat, never here."""
    request = parse_arguments(command.args, "stats")
    report = await report_for(desk.session, desk.ctx, desk.actor, request)
    private_chat_id = desk.actor.telegram_id
    try:
        await _send_texts(desk, private_chat_id, report)
    except (TelegramForbiddenError, TelegramBadRequest) as error:
        if isinstance(error, TelegramBadRequest) and "chat not found" not in error.message:
            raise
        # Telegram lets a bot write only to people who have started a chat with it.
        await message.reply(
            _(
                "I can't send you the statistics privately yet: open {link}, press Start, "
                "then send /stats again."
            ).format(link=f"https://t.me/{await bot_username(desk.bot)}")
        )
        return
    await message.reply(_("📊 I sent you the statistics in our private chat."))
    if not request.text_only:  # the chart takes a while: the group is told first
        await _send_chart(desk.bot, private_chat_id, report, desk.locale)


async def _send_texts(desk: KnownDesk, chat_id: int, report: StatsReport) -> None:
    for text in render_report(report, desk.ctx.org, desk.locale):
        await desk.bot.send_message(chat_id, text)


async def _send_chart(bot: Bot, chat_id: int, report: StatsReport, locale: str) -> None:
    try:
        png = await asyncio.to_thread(render_chart, report, locale)
    except Exception:
        log.exception("Statistics chart failed")
        await bot.send_message(chat_id, _("The chart could not be drawn this time."))
        return
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename="stats.png"),
        caption=_("Tickets opened and resolved per day, and deadlines kept ({period}).").format(
            period=report.period.label()
        ),
    )


async def point_to_private_chat(message: Message, command: CommandObject, bot: Bot) -> None:
    """``/export`` or ``/outbox`` in a group: nothing of it is posted there."""
    raise PrivateChatOnly(command=command.command, link=f"https://t.me/{await bot_username(bot)}")


async def send_export(message: Message, command: CommandObject, desk: KnownDesk) -> None:
    request = parse_arguments(command.args, "export")
    report, rows = await export_for(desk.session, desk.ctx, desk.actor, request)
    # A month of HQ tickets makes a workbook that takes seconds to build: build and send
    # it outside this update's transaction, so that other updates do not wait on it.
    _in_background(_send_file(message, report, rows, request, desk.ctx.org, desk.locale))


async def _send_file(
    message: Message,
    report: StatsReport,
    rows: TicketRows,
    request: StatsRequest,
    organisation: Organisation,
    locale: str,
) -> None:
    period = report.period
    name = f"tickets-{report.scope.unit_key}-{period.first_day}-{period.last_day}"
    # The task runs in a copy of this update's context: the reader's locale included.
    try:
        if request.csv:
            data = await asyncio.to_thread(build_csv, rows, organisation, locale)
            filename = f"{name}.csv"
        else:
            data = await asyncio.to_thread(build_xlsx, report, rows, organisation, locale)
            filename = f"{name}.xlsx"
        caption = _("{count} tickets opened in {period} · {scope}").format(
            count=len(rows.rows), period=period.label(), scope=html.escape(report.scope.name)
        )
        if rows.truncated:
            caption += "\n" + _("Only the first {count} tickets fit in one file.").format(
                count=len(rows.rows)
            )
        await message.answer_document(BufferedInputFile(data, filename=filename), caption=caption)
    except Exception:
        log.exception("Export for %s failed", message.chat.id)
        await message.answer(_("The export could not be made this time. Please try again."))


_PENDING: set[asyncio.Task[None]] = set()


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work, name="stats-export")
    _PENDING.add(task)  # keep a reference until it is done
    task.add_done_callback(_PENDING.discard)


def build_router() -> Router:
    router = private_chat("managers.stats")
    router.message.filter(at_desk, known_actor)
    router.message.register(show_stats, Command("stats"))
    router.message.register(send_export, Command("export"))
    return router


def build_group_router() -> Router:
    router = staff_groups("managers.stats.groups")
    router.message.register(stats_sent_privately, Command("stats"), at_desk, known_actor)
    router.message.register(point_to_private_chat, Command("export", "outbox"))
    return router
