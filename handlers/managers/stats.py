"""/stats [period] [project or region] [text] and /export [period] [project or region] [csv],
in private chat.

The figures can name staff members, so they are only sent to the manager who asks,
never to a group: ``/stats`` sent in a group is answered in the manager's private chat
(the group is told so, or, when the bot may not write to them yet, told to open that
chat first); ``/export`` and ``/outbox`` sent in a group get a pointer to the private
chat. Refusals (not a manager, a scope beyond one's own, an unknown scope, an argument
that means nothing) are answered by the refusal middleware.

Only that check runs in the update's transaction. The figures (most of a second over a
million tickets) are read after it, in a read-only session of their own, and the chart
is drawn in a worker thread: other updates are not kept waiting meanwhile.
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.orgfile import Organisation
from bot.i18n import N_
from bot.presentation.stats.chart import render_chart
from bot.presentation.stats.export import build_csv, build_xlsx
from bot.presentation.stats.texts import render_report, scope_name
from bot.presentation.uploads import file_not_sent, upload
from bot.services.people import Actor
from bot.services.stats.report import StatsReport
from bot.services.stats.requests import (
    CheckedRequest,
    Reading,
    check_request,
    export_in,
    parse_arguments,
    reading_from,
    record_export_in,
    report_in,
)
from handlers.audiences import PrivateChatOnly, private_chat, staff_groups
from handlers.background import Background, in_background
from handlers.desk import KnownDesk, at_desk, known_actor
from handlers.staff.common import bot_username

log = logging.getLogger(__name__)
SORRY = N_(
    "Sorry, something went wrong while handling your last message. Nothing was saved from it; "
    "please try again in a moment."
)


async def show_stats(
    message: Message, command: CommandObject, desk: KnownDesk, deps: Background
) -> None:
    checked, reading = await _checked_stats(command, desk, deps)
    report = _send_report(desk, message.chat.id, checked, reading)
    in_background(deps, desk.session, report, "stats-report")


async def stats_sent_privately(
    message: Message, command: CommandObject, desk: KnownDesk, deps: Background
) -> None:
    """``/stats`` in a group: the report goes to the manager's private chat, never here."""
    checked, reading = await _checked_stats(command, desk, deps)
    report = _send_report_privately(message, desk, checked, reading)
    in_background(deps, desk.session, report, "stats-report")


async def _checked_stats(
    command: CommandObject, desk: KnownDesk, deps: Background
) -> tuple[CheckedRequest, Reading]:
    """The /stats arguments, checked in the update's transaction (a refusal raises), and
    where the report will read them from once it has committed."""
    request = parse_arguments(command.args, "stats")
    checked = await check_request(desk.session, desk.ctx, desk.actor, request)
    return checked, reading_from(deps.sessionmaker)


async def _send_report(
    desk: KnownDesk, chat_id: int, checked: CheckedRequest, reading: Reading
) -> None:
    try:
        report = await report_in(reading, checked)
    except Exception:
        log.exception("Statistics for %s failed", chat_id)
        await desk.bot.send_message(chat_id, _(SORRY))
        return
    await _send_texts(desk, chat_id, report)
    if not checked.request.text_only:
        await _send_chart(desk.bot, chat_id, report, desk.locale, desk.ctx.org)


async def _send_report_privately(
    message: Message, desk: KnownDesk, checked: CheckedRequest, reading: Reading
) -> None:
    private_chat_id = desk.actor.telegram_id
    try:
        report = await report_in(reading, checked)
    except Exception:
        log.exception("Statistics for %s failed", private_chat_id)
        await message.reply(_(SORRY))
        return
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
    if not checked.request.text_only:  # the chart takes a while: the group is told first
        await _send_chart(desk.bot, private_chat_id, report, desk.locale, desk.ctx.org)


async def _send_texts(desk: KnownDesk, chat_id: int, report: StatsReport) -> None:
    for text in render_report(report, desk.ctx.org, desk.locale):
        await desk.bot.send_message(chat_id, text)


async def _send_chart(
    bot: Bot, chat_id: int, report: StatsReport, locale: str, organisation: Organisation
) -> None:
    try:
        png = await asyncio.to_thread(render_chart, report, locale, organisation)
    except Exception:
        log.exception("Statistics chart failed")
        await bot.send_message(chat_id, _("The chart could not be drawn this time."))
        return
    chart = SendPhoto(
        chat_id=chat_id,
        photo=BufferedInputFile(png, filename="stats.png"),
        caption=_("Tickets opened and resolved per day, and deadlines kept ({period}).").format(
            period=report.period.label()
        ),
    )
    try:
        await upload(bot, chart)
    except Exception as error:
        log.warning("Statistics chart not sent: %s", error)
        await bot.send_message(chat_id, file_not_sent())


async def point_to_private_chat(message: Message, command: CommandObject, bot: Bot) -> None:
    """``/export`` or ``/outbox`` in a group: nothing of it is posted there."""
    raise PrivateChatOnly(command=command.command, link=f"https://t.me/{await bot_username(bot)}")


async def send_export(
    message: Message, command: CommandObject, desk: KnownDesk, deps: Background
) -> None:
    request = parse_arguments(command.args, "export")
    checked = await check_request(desk.session, desk.ctx, desk.actor, request, "export")
    # A month of HQ tickets is read and made into a workbook in seconds: outside this
    # update's transaction, so that other updates do not wait on it.
    in_background(
        deps,
        desk.session,
        _send_file(
            desk.bot, message, checked, deps.sessionmaker, desk.actor, desk.ctx.org, desk.locale
        ),
        "stats-export",
    )


async def _send_file(
    bot: Bot,
    message: Message,
    checked: CheckedRequest,
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    organisation: Organisation,
    locale: str,
) -> None:
    period = checked.period
    name = f"tickets-{checked.scope.unit_key}-{period.first_day}-{period.last_day}"
    # The task runs in a copy of this update's context: the reader's locale included.
    try:
        report, rows = await export_in(reading_from(sessionmaker), checked)
        await record_export_in(sessionmaker, actor, checked, rows)
        if checked.request.csv:
            data = await asyncio.to_thread(build_csv, rows, organisation, locale)
            filename = f"{name}.csv"
        else:
            data = await asyncio.to_thread(build_xlsx, report, rows, organisation, locale)
            filename = f"{name}.xlsx"
        caption = ngettext(
            "{count} ticket opened in {period} · {scope}",
            "{count} tickets opened in {period} · {scope}",
            len(rows.rows),
        ).format(
            count=len(rows.rows),
            period=period.label(),
            scope=html.escape(scope_name(report, organisation, locale)),
        )
        if rows.truncated:
            caption += "\n" + ngettext(
                "Only the first {count} ticket fits in one file.",
                "Only the first {count} tickets fit in one file.",
                len(rows.rows),
            ).format(count=len(rows.rows))
        document = BufferedInputFile(data, filename=filename)
        await upload(bot, SendDocument(chat_id=message.chat.id, document=document, caption=caption))
    except Exception:
        log.exception("Export for %s failed", message.chat.id)
        await message.answer(_("The export could not be made this time. Please try again."))


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
