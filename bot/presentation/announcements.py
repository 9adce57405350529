"""Notices as people read them: the notice itself (in the reader's language), the
composing steps and preview for staff, the sender's progress, and the self-service
answers residents are shown (an active notice, a FAQ answer)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.config.orgfile.models import FaqEntry
from bot.i18n import N_, NP_, listed, translate, translate_plural
from bot.presentation.buttons.announcements import (
    ComposeChoice,
    ComposeStep,
    FaqShow,
    ManageAction,
    NoticeManage,
    SelfServiceAction,
    SelfServiceChoice,
)
from bot.presentation.residents.keyboards import InlineReply, Row, in_rows, inline
from bot.presentation.texts import (
    building_label,
    category_name,
    project_label,
    unit_label,
    with_aside,
    zone_name,
)
from bot.services.announcements.drafts import AnnouncementKind, Draft
from bot.services.announcements.sending import AudienceUnit
from storage.models import Announcement, Building, OrgLevel, OrgUnit

KIND_TITLES = {
    AnnouncementKind.OUTAGE: N_("🚧 <b>Planned outage or works</b>"),
    AnnouncementKind.INCIDENT: N_("⚠️ <b>Incident</b>"),
    AnnouncementKind.GENERAL: N_("📢 <b>Notice</b>"),
}
KIND_BUTTONS = {
    AnnouncementKind.OUTAGE: N_("🚧 Planned outage or works"),
    AnnouncementKind.INCIDENT: N_("⚠️ Incident (urgent)"),
    AnnouncementKind.GENERAL: N_("📢 General notice"),
}
WITHDRAWN = N_("❌ <b>This notice was withdrawn.</b>")
CORRECTED = N_("✏️ Corrected")


def _language(locale: str) -> str:
    return "zh" if locale.startswith("zh") else "en"


def window_text(start: datetime | None, end: datetime | None, zone: ZoneInfo, locale: str) -> str:
    if start is None or end is None:
        return ""
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date():
        span = f"{first:%m-%d %H:%M}–{last:%H:%M}"
    else:
        span = f"{first:%m-%d %H:%M} – {last:%m-%d %H:%M}"
    return with_aside(locale, span, zone_name(zone, locale))


async def place_names(
    session: AsyncSession, org: Organisation, announcement: Announcement, locale: str
) -> str:
    """The buildings (or projects) a notice is for, in the reader's language."""
    if announcement.building_ids:
        rows = await session.execute(
            select(Building.key, Building.name, OrgUnit.key)
            .join(OrgUnit, OrgUnit.id == Building.project_id)
            .where(Building.id.in_(announcement.building_ids))
            .order_by(Building.id)
        )
        buildings = [
            building_label(org, locale, project_key, building_key, name)
            for building_key, name, project_key in rows
        ]
        return listed(locale, buildings)
    projects = await session.execute(
        select(OrgUnit.key, OrgUnit.name).where(OrgUnit.id.in_(announcement.project_ids))
    )
    return listed(locale, [project_label(org, locale, key, name) for key, name in projects])


def notice_body(
    org: Organisation, announcement: Announcement, places: str, locale: str, zone: ZoneInfo
) -> str:
    """The notice in one reader's language (HTML)."""
    lines = [translate(locale, KIND_TITLES[AnnouncementKind(announcement.kind)])]
    about = [html.escape(places)]
    if announcement.category_key:
        about.insert(0, html.escape(category_name(org, locale, announcement.category_key)))
    lines.append(" · ".join(a for a in about if a))
    window = window_text(announcement.starts_at, announcement.ends_at, zone, locale)
    if window:
        lines.append(f"🕙 {window}")
    text = announcement.text_zh
    if _language(locale) == "en" and announcement.text_en:
        text = announcement.text_en
    lines += ["", html.escape(text)]
    if announcement.withdrawn_at is not None:
        lines = [translate(locale, WITHDRAWN), "", *lines]
    elif announcement.edited_at is not None:
        lines.append(f"\n<i>{translate(locale, CORRECTED)}</i>")
    return "\n".join(lines)


def zone_of(org: Organisation, announcement: Announcement, project_key: str | None) -> ZoneInfo:
    try:
        return org.zone(project_key)
    except KeyError:
        return org.zone()


# ------------------------------------------------------------------ composing (staff)


def _choice(draft: Draft, step: ComposeStep, value: str = "") -> str:
    return ComposeChoice(draft=draft.id, step=step, value=value).pack()


def _cancel_row(draft: Draft, locale: str) -> Row:
    return [(translate(locale, N_("✖️ Cancel")), _choice(draft, ComposeStep.CANCEL))]


LEVEL_MARKS = {OrgLevel.HQ: "🏢", OrgLevel.REGION: "🗺", OrgLevel.PROJECT: "🏘"}


def ask_audience(
    draft: Draft, units: list[AudienceUnit], org: Organisation, locale: str
) -> InlineReply:
    rows: list[Row] = [
        [
            (
                f"{LEVEL_MARKS.get(u.level, '')} {unit_label(org, locale, u.key, u.name)}",
                _choice(draft, ComposeStep.UNIT, str(u.id)),
            )
        ]
        for u in units
    ]
    rows.append(_cancel_row(draft, locale))
    text = translate(
        locale,
        N_(
            "📢 <b>New notice</b>\nWho is it for? Choose a project (you can then choose "
            "some of its buildings), a region, or everyone you look after."
        ),
    )
    return InlineReply(text, inline(rows))


def ask_buildings(draft: Draft, buildings: list[tuple[int, str]], locale: str) -> InlineReply:
    chosen = set(draft.building_ids)
    buttons = [
        (("✅ " if building_id in chosen else "") + name,
         _choice(draft, ComposeStep.BUILDING, str(building_id)))
        for building_id, name in buildings
    ]  # fmt: skip
    rows = in_rows(buttons, 3)
    if chosen:
        rows.append(
            [(translate(locale, N_("➡️ Done choosing")), _choice(draft, ComposeStep.BUILDINGS_DONE))]
        )
    rows.append([(translate(locale, N_("🏘 The whole project")), _choice(draft, ComposeStep.WHOLE))])
    rows.append(_cancel_row(draft, locale))
    text = translate(
        locale, N_("Which buildings? Press each building it concerns, or the whole project.")
    )
    return InlineReply(text, inline(rows))


def ask_kind(draft: Draft, locale: str) -> InlineReply:
    rows: list[Row] = [
        [(translate(locale, label), _choice(draft, ComposeStep.KIND, kind.value))]
        for kind, label in KIND_BUTTONS.items()
    ]
    rows.append(_cancel_row(draft, locale))
    return InlineReply(translate(locale, N_("What kind of notice is it?")), inline(rows))


def ask_category(draft: Draft, org: Organisation, locale: str) -> InlineReply:
    buttons = [
        (c.name.get(locale), _choice(draft, ComposeStep.CATEGORY, c.key)) for c in org.categories
    ]
    rows = in_rows(buttons, 2)
    rows.append([(translate(locale, N_("No category")), _choice(draft, ComposeStep.CATEGORY))])
    rows.append(_cancel_row(draft, locale))
    text = translate(
        locale,
        N_(
            "What does it affect? While an outage or incident notice is on, residents "
            "of its buildings who report this are shown the notice first."
        ),
    )
    return InlineReply(text, inline(rows))


def ask_window(draft: Draft, locale: str, zone: ZoneInfo) -> InlineReply:
    rows: list[Row] = [
        [(translate(locale, N_("No time window")), _choice(draft, ComposeStep.NO_WINDOW))],
        _cancel_row(draft, locale),
    ]
    text = translate(
        locale,
        N_(
            "When? Write the time window ({zone}), e.g. 10:00-16:00 for today, "
            "11-03 10:00-16:00, or 11-03 22:00-11-04 06:00."
        ),
        zone=zone_name(zone, locale),
    )
    return InlineReply(text, inline(rows))


def ask_text_zh(draft: Draft, locale: str) -> InlineReply:
    text = translate(locale, N_("Write the notice in Chinese (every resident can read it)."))
    return InlineReply(text, inline([_cancel_row(draft, locale)]))


def ask_text_en(draft: Draft, locale: str) -> InlineReply:
    rows: list[Row] = [
        [(translate(locale, N_("No English text")), _choice(draft, ComposeStep.SKIP_EN))],
        _cancel_row(draft, locale),
    ]
    text = translate(
        locale,
        N_("Now the English text, for residents who read English (or skip: they get Chinese)."),
    )
    return InlineReply(text, inline(rows))


def ask_photo(draft: Draft, locale: str) -> InlineReply:
    rows: list[Row] = [
        [(translate(locale, N_("No photo")), _choice(draft, ComposeStep.SKIP_PHOTO))],
        _cancel_row(draft, locale),
    ]
    return InlineReply(translate(locale, N_("Add a photo? Send it now, or skip.")), inline(rows))


# Over each version of a notice written in both languages, in its preview.
VERSION_LABELS = {"zh": N_("<i>— In Chinese —</i>"), "en": N_("<i>— In English —</i>")}


def preview(
    bodies: Sequence[tuple[str, str]],
    reach: int,
    waits_until: str | None,
    draft: Draft,
    locale: str,
) -> InlineReply:
    """The draft as it will be sent: ``bodies`` holds (reader's locale, notice text), one
    or, for a notice written in both languages, each language's version (labelled)."""
    lines = [translate(locale, N_("👀 <b>Preview</b>")), ""]
    for reader, body in bodies:
        if len(bodies) > 1:
            lines.append(translate(locale, VERSION_LABELS[_language(reader)]))
        lines += [body, ""]
    lines += [
        translate_plural(
            locale,
            NP_("👥 It will reach {count} resident.", "👥 It will reach {count} residents."),
            reach,
            count=reach,
        ),
    ]
    if waits_until:
        lines.append(
            translate(
                locale,
                N_("🌙 Quiet hours: it will be delivered at {time}."),
                time=waits_until,
            )
        )
    rows: list[Row] = [
        [(translate(locale, N_("📤 Send")), _choice(draft, ComposeStep.SEND))],
        _cancel_row(draft, locale),
    ]
    return InlineReply("\n".join(lines), inline(rows))


def manage_keyboard(notice_id: int, locale: str) -> InlineKeyboardMarkup:
    def button(action: ManageAction) -> str:
        return NoticeManage(action=action, notice_id=notice_id).pack()

    return inline(
        [
            [
                (translate(locale, N_("✏️ Correct")), button(ManageAction.CORRECT)),
                (translate(locale, N_("🗑 Withdraw")), button(ManageAction.WITHDRAW)),
            ]
        ]
    )


def sent_text(reach: int, waits_until: str | None, locale: str) -> str:
    if waits_until:
        return translate_plural(
            locale,
            NP_(
                "📤 Queued for {count} resident. Quiet hours: it goes out at {time}. "
                "I will tell you when it is delivered.",
                "📤 Queued for {count} residents. Quiet hours: it goes out at {time}. "
                "I will tell you when it is delivered.",
            ),
            reach,
            count=reach,
            time=waits_until,
        )
    return translate_plural(
        locale,
        NP_(
            "📤 Sending to {count} resident. I will tell you when it is delivered.",
            "📤 Sending to {count} residents. I will tell you when it is delivered.",
        ),
        reach,
        count=reach,
    )


def progress_text(delivered: int, unreachable: int, waiting: int, final: bool, locale: str) -> str:
    if final:
        return translate_plural(
            locale,
            NP_(
                "✅ Notice delivered: {delivered} resident received it, "
                "{unreachable} could not be reached.",
                "✅ Notice delivered: {delivered} residents received it, "
                "{unreachable} could not be reached.",
            ),
            delivered,
            delivered=delivered,
            unreachable=unreachable,
        )
    return translate(
        locale,
        N_(
            "⏳ Notice on its way: {delivered} delivered, {unreachable} unreachable, "
            "{waiting} to go."
        ),
        delivered=delivered,
        unreachable=unreachable,
        waiting=waiting,
    )


# ------------------------------------------------------------------ residents' self-service


def _self_service(action: SelfServiceAction, event_id: int) -> str:
    return SelfServiceChoice(action=action, event_id=event_id).pack()


def active_notice(body: str, event_id: int, locale: str) -> InlineReply:
    text = "\n".join(
        [
            translate(locale, N_("ℹ️ We know about this already:")),
            "",
            body,
        ]
    )
    rows: list[Row] = [
        [(translate(locale, N_("👌 OK")), _self_service(SelfServiceAction.OK, event_id))],
        [
            (
                translate(locale, N_("Still a problem → file anyway")),
                _self_service(SelfServiceAction.FILE, event_id),
            )
        ],
    ]
    return InlineReply(text, inline(rows))


def _faq_language(locale: str) -> str:
    """The organisation file's language of a reader's locale ("zh_CN" or "en")."""
    return "zh_CN" if _language(locale) == "zh" else "en"


def faq_text(entry: FaqEntry, locale: str) -> str:
    """A FAQ entry: its question and answer, in the reader's language."""
    language = _faq_language(locale)
    question = html.escape(entry.question.get(language))
    return f"💡 <b>{question}</b>\n\n{html.escape(entry.answer.get(language))}"


def faq_answer(entry: FaqEntry, event_id: int, locale: str) -> InlineReply:
    """The FAQ's answer to a resident's question, with This answered it / I still need help."""
    rows: list[Row] = [
        [
            (
                translate(locale, N_("✅ This answered it")),
                _self_service(SelfServiceAction.ANSWERED, event_id),
            )
        ],
        [
            (
                translate(locale, N_("🙋 I still need help")),
                _self_service(SelfServiceAction.HELP, event_id),
            )
        ],
    ]
    return InlineReply(faq_text(entry, locale), inline(rows))


def faq_menu(entries: list[FaqEntry], locale: str) -> InlineReply:
    """/faq: a button per question; a tap shows its answer."""
    if not entries:
        return InlineReply(translate(locale, N_("There are no common questions yet.")), None)
    language = _faq_language(locale)
    text = "\n\n".join(
        [
            translate(locale, N_("💡 <b>Common questions</b>")),
            translate(locale, N_("Tap a question to see its answer.")),
            translate(locale, N_("Anything else: just write your question to me.")),
        ]
    )
    rows: list[Row] = [
        [(entry.question.get(language), FaqShow(key=entry.key).pack())] for entry in entries
    ]
    return InlineReply(text, inline(rows))


def mute_label(muted: bool, locale: str) -> str:
    if muted:
        return translate(locale, N_("🔔 Receive general notices"))
    return translate(locale, N_("🔕 Mute general notices"))


def mute_line(muted: bool, locale: str) -> str:
    if muted:
        return translate(
            locale, N_("General notices: muted (outages and incidents still reach you).")
        )
    return translate(locale, N_("General notices: on."))
