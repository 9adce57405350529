"""/stats [period] [scope] [text] and /export [period] [scope] [csv], in private chat.

The figures can name staff members, so they are only sent to the manager who asks,
never to a group.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Coroutine
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.people import Actor
from bot.services.stats.chart import render_chart
from bot.services.stats.export import TicketRows, build_csv, build_xlsx
from bot.services.stats.report import StatsReport
from bot.services.stats.requests import (
    ArgumentError,
    StatsRequest,
    export_for,
    parse_arguments,
    report_for,
)
from bot.services.stats.scope import UnknownScope, own_unit_keys
from bot.services.stats.texts import render_report

log = logging.getLogger(__name__)


def _usage(command: str) -> str:
    if command == "export":
        return _(
            "Usage: /export [period] [project or region] [csv]\n"
            "Period: today, 7d, 30d, 2026-11 or 2026-11-01..2026-11-15 (default 30d)."
        )
    return _(
        "Usage: /stats [period] [project or region] [text]\n"
        "Period: today, 7d, 30d, 2026-11 or 2026-11-01..2026-11-15 (default 30d)."
    )


async def _explain_failure(message: Message, error: Exception, actor: Actor, command: str) -> None:
    if isinstance(error, AccessDenied):
        units = ", ".join(own_unit_keys(actor))
        await message.answer(_(error.reason).format(units=html.escape(units)))
    elif isinstance(error, UnknownScope):
        await message.answer(
            _("There is no project or region “{key}”.").format(key=html.escape(error.key))
        )
    elif isinstance(error, ArgumentError):
        await message.answer(
            _("I don't understand “{argument}”.").format(argument=html.escape(error.argument))
            + "\n"
            + _usage(command)
        )


async def show_stats(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    try:
        request = parse_arguments(command.args)
        report = await report_for(session, actor, request, organisation, clock.now())
    except (AccessDenied, UnknownScope, ArgumentError) as error:
        await _explain_failure(message, error, actor, "stats")
        return
    for text in render_report(report, organisation, locale):
        await message.answer(text)
    if request.text_only:
        return
    try:
        png = await asyncio.to_thread(render_chart, report, locale)
    except Exception:
        log.exception("Statistics chart failed")
        await message.answer(_("The chart could not be drawn this time."))
        return
    await message.answer_photo(
        BufferedInputFile(png, filename="stats.png"),
        caption=_("Tickets opened and resolved per day, and deadlines kept ({period}).").format(
            period=report.period.label()
        ),
    )


async def send_export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    try:
        request = parse_arguments(command.args)
        report, rows = await export_for(session, actor, request, organisation, clock.now())
    except (AccessDenied, UnknownScope, ArgumentError) as error:
        await _explain_failure(message, error, actor, "export")
        return
    # A month of HQ tickets makes a workbook that takes seconds to build: build and send
    # it outside this update's transaction, so that other updates do not wait on it.
    _in_background(_build_and_send(message, report, rows, request, organisation, locale))


async def _build_and_send(
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
    router = Router(name="managers.stats")
    router.message.filter(F.chat.type == "private")
    router.message.register(show_stats, Command("stats"))
    router.message.register(send_export, Command("export"))
    return router
