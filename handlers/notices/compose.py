"""/notice in a staff member's private chat: audience, buildings, kind, category, time
window, Chinese text, English text, photo, preview with the reach, send. The draft lives
in the conversation state (a restart resumes it); its buttons carry the draft's id.
The sender's confirmation carries Correct / Withdraw."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.i18n import SUPPORTED_LOCALES
from bot.presentation import announcements as texts
from bot.presentation.buttons.announcements import (
    ComposeChoice,
    ComposeStep,
    ManageAction,
    NoticeManage,
)
from bot.presentation.residents.keyboards import InlineReply
from bot.presentation.texts import building_label, local_time
from bot.services.announcements import sending
from bot.services.announcements.drafts import (
    AnnouncementKind,
    Draft,
    clean_text,
    deliver_at,
    parse_window,
)
from bot.services.errors import StaleButton
from bot.services.resident_units import Choice, buildings_of
from handlers.audiences import private_chat
from handlers.desk import KnownDesk, at_desk, known_actor
from handlers.resident.common import done_with_buttons, photo_of, replace_text
from storage.models import Announcement, OrgLevel, OrgUnit


class NoticeSteps(StatesGroup):
    choosing = State()  # a step answered with buttons
    window = State()
    text_zh = State()
    text_en = State()
    photo = State()
    preview = State()
    correct_zh = State()
    correct_en = State()


def _message(callback: CallbackQuery) -> Message:
    assert isinstance(callback.message, Message)
    return callback.message


async def _draft(desk: KnownDesk, pressed: ComposeChoice | None = None) -> Draft:
    draft = Draft.from_data(await desk.state.get_data())
    if draft is None or (pressed is not None and pressed.draft != draft.id):
        raise StaleButton()
    return draft


async def _unit(desk: KnownDesk, draft: Draft) -> OrgUnit:
    assert draft.unit_id is not None
    unit = await desk.session.get(OrgUnit, draft.unit_id)
    assert unit is not None
    return unit


def _zone(desk: KnownDesk, unit: OrgUnit):
    return desk.ctx.org.zone(unit.key if unit.level == OrgLevel.PROJECT else None)


def _named(desk: KnownDesk, buildings: list[Choice]) -> list[tuple[int, str]]:
    """The buildings' buttons' names, as the composer reads them."""
    org, locale = desk.ctx.org, desk.locale
    return [(b.id, building_label(org, locale, b.project_key, b.key, b.name)) for b in buildings]


async def _preview(desk: KnownDesk, draft: Draft) -> InlineReply:
    unit = await _unit(desk, draft)
    zone = _zone(desk, unit)
    starts_at, ends_at = draft.window
    projects = await sending.project_ids_of(desk.session, unit.id)
    shown = Announcement(
        project_ids=projects,
        building_ids=draft.building_ids,
        kind=draft.kind,
        category_key=draft.category_key,
        starts_at=starts_at,
        ends_at=ends_at,
        text_zh=draft.text_zh or "",
        text_en=draft.text_en,
    )
    # Written in both languages: each version as its readers will see it.
    readers = SUPPORTED_LOCALES if draft.text_en else (desk.locale,)
    bodies = []
    for reader in readers:
        places = await texts.place_names(desk.session, desk.ctx.org, shown, reader)
        bodies.append((reader, texts.notice_body(desk.ctx.org, shown, places, reader, zone)))
    reach = await sending.reach_of(desk.session, draft)
    assert draft.kind is not None
    due = deliver_at(desk.ctx.org.quiet_hours, draft.kind, starts_at, desk.ctx.now, zone)
    waits = local_time(due, zone) if due > desk.ctx.now else None
    return texts.preview(bodies, reach, waits, draft, desk.locale)


async def advance(message: Message, desk: KnownDesk, draft: Draft) -> None:
    """Ask for the first thing the draft lacks, or show the preview."""
    await desk.state.set_data(draft.to_data())
    locale, state = desk.locale, desk.state
    if draft.unit_id is None:
        units = await sending.audience_units(desk.session, desk.actor)
        reply = texts.ask_audience(draft, units, desk.ctx.org, locale)
        step = NoticeSteps.choosing
    elif not draft.buildings_chosen:
        buildings = await buildings_of(desk.session, draft.unit_id)
        reply = texts.ask_buildings(draft, _named(desk, buildings), locale)
        step = NoticeSteps.choosing
    elif draft.kind is None:
        reply, step = texts.ask_kind(draft, locale), NoticeSteps.choosing
    elif not draft.category_chosen:
        reply, step = texts.ask_category(draft, desk.ctx.org, locale), NoticeSteps.choosing
    elif not draft.window_chosen:
        zone = _zone(desk, await _unit(desk, draft))
        reply, step = texts.ask_window(draft, locale, zone), NoticeSteps.window
    elif not draft.text_zh:
        reply, step = texts.ask_text_zh(draft, locale), NoticeSteps.text_zh
    elif not draft.en_chosen:
        reply, step = texts.ask_text_en(draft, locale), NoticeSteps.text_en
    elif not draft.photo_chosen:
        reply, step = texts.ask_photo(draft, locale), NoticeSteps.photo
    else:
        reply, step = await _preview(desk, draft), NoticeSteps.preview
    await state.set_state(step)
    await message.answer(reply.text, reply_markup=reply.markup)


async def start_notice(message: Message, desk: KnownDesk) -> None:
    await sending.audience_units(desk.session, desk.actor)  # refuses residents
    await desk.state.clear()
    await advance(message, desk, Draft(id=message.message_id))


async def unit_chosen(
    callback: CallbackQuery, callback_data: ComposeChoice, desk: KnownDesk
) -> None:
    draft = await _draft(desk, callback_data)
    unit_id = int(callback_data.value or 0)
    await sending.require_audience(desk.session, desk.ctx, desk.actor, unit_id)
    draft.unit_id, draft.building_ids = unit_id, []
    unit = await _unit(desk, draft)
    draft.buildings_chosen = unit.level != OrgLevel.PROJECT
    await advance(await done_with_buttons(callback), desk, draft)


async def building_toggled(
    callback: CallbackQuery, callback_data: ComposeChoice, desk: KnownDesk
) -> None:
    draft = await _draft(desk, callback_data)
    building_id = int(callback_data.value or 0)
    assert draft.unit_id is not None
    buildings = await buildings_of(desk.session, draft.unit_id)
    if building_id not in {b.id for b in buildings}:
        raise StaleButton()
    if building_id in draft.building_ids:
        draft.building_ids.remove(building_id)
    else:
        draft.building_ids.append(building_id)
    await desk.state.set_data(draft.to_data())
    await callback.answer()
    reply = texts.ask_buildings(draft, _named(desk, buildings), desk.locale)
    await replace_text(_message(callback), reply.text, reply.markup)


async def step_pressed(
    callback: CallbackQuery, callback_data: ComposeChoice, desk: KnownDesk
) -> None:
    """A step answered with a button (whole project, done, kind, category, skips)."""
    draft = await _draft(desk, callback_data)
    step, value = callback_data.step, callback_data.value
    if step == ComposeStep.WHOLE:
        draft.building_ids, draft.buildings_chosen = [], True
    elif step == ComposeStep.BUILDINGS_DONE:
        draft.buildings_chosen = True
    elif step == ComposeStep.KIND:
        draft.kind = AnnouncementKind(value).value
    elif step == ComposeStep.CATEGORY:
        if value:
            desk.ctx.org.category(value)  # a key from our own button
        draft.category_key, draft.category_chosen = value or None, True
    elif step == ComposeStep.NO_WINDOW:
        draft.starts_at = draft.ends_at = None
        draft.window_chosen = True
    elif step == ComposeStep.SKIP_EN:
        draft.text_en, draft.en_chosen = None, True
    elif step == ComposeStep.SKIP_PHOTO:
        draft.photo_file_id, draft.photo_chosen = None, True
    await advance(await done_with_buttons(callback), desk, draft)


async def window_typed(message: Message, desk: KnownDesk) -> None:
    draft = await _draft(desk)
    zone = _zone(desk, await _unit(desk, draft))
    starts_at, ends_at = parse_window(message.text or "", desk.ctx.now, zone)
    draft.starts_at, draft.ends_at = starts_at.isoformat(), ends_at.isoformat()
    draft.window_chosen = True
    await advance(message, desk, draft)


async def text_zh_typed(message: Message, desk: KnownDesk) -> None:
    draft = await _draft(desk)
    draft.text_zh = clean_text(message.text)
    await advance(message, desk, draft)


async def text_en_typed(message: Message, desk: KnownDesk) -> None:
    draft = await _draft(desk)
    draft.text_en, draft.en_chosen = clean_text(message.text), True
    await advance(message, desk, draft)


async def photo_sent(message: Message, desk: KnownDesk) -> None:
    draft = await _draft(desk)
    photo = photo_of(message)
    assert photo is not None
    draft.photo_file_id, draft.photo_chosen = photo[0], True
    await advance(message, desk, draft)


async def send_pressed(
    callback: CallbackQuery, callback_data: ComposeChoice, desk: KnownDesk
) -> None:
    draft = await _draft(desk, callback_data)
    message = await done_with_buttons(callback)
    announcement = await sending.send(desk.session, desk.ctx, desk.actor, draft, message.chat.id)
    await desk.state.clear()
    unit = await _unit(desk, draft)
    zone = _zone(desk, unit)
    waits = (
        local_time(announcement.deliver_at, zone)
        if announcement.deliver_at > desk.ctx.now
        else None
    )
    await message.answer(
        texts.sent_text(announcement.reach, waits, desk.locale),
        reply_markup=texts.manage_keyboard(announcement.id, desk.locale),
    )


async def cancel_pressed(
    callback: CallbackQuery, callback_data: ComposeChoice, desk: KnownDesk
) -> None:
    await _draft(desk, callback_data)
    await desk.state.clear()
    await (await done_with_buttons(callback)).answer(_("Cancelled."))


async def typed_instead_of_pressing(message: Message) -> None:
    await message.answer(_("Please answer with the buttons above, or send /cancel."))


async def text_expected(message: Message) -> None:
    """A photo, a sticker… where the window or a text is asked for."""
    await message.answer(_("I can only use text here. Please write it."))


# ------------------------------------------------------------------ after sending


async def correct_pressed(
    callback: CallbackQuery, callback_data: NoticeManage, desk: KnownDesk
) -> None:
    await callback.answer()
    await desk.state.set_state(NoticeSteps.correct_zh)
    await desk.state.set_data({"correct": callback_data.notice_id})
    await _message(callback).answer(_("Write the corrected notice in Chinese."))


async def correction_zh_typed(message: Message, desk: KnownDesk) -> None:
    data = await desk.state.get_data()
    data["zh"] = clean_text(message.text)
    await desk.state.set_data(data)
    await desk.state.set_state(NoticeSteps.correct_en)
    await message.answer(
        _("And in English? Write it, or send - to keep the English text as it was.")
    )


async def correction_en_typed(message: Message, desk: KnownDesk) -> None:
    data = await desk.state.get_data()
    if "correct" not in data or "zh" not in data:
        raise StaleButton()
    english = (message.text or "").strip()
    await sending.correct(
        desk.session,
        desk.ctx,
        desk.actor,
        int(data["correct"]),
        data["zh"],
        None if english in ("-", "—") else english,
    )
    await desk.state.clear()
    await message.answer(_("✏️ Corrected: every copy of the notice now shows the new text."))


async def withdraw_pressed(
    callback: CallbackQuery, callback_data: NoticeManage, desk: KnownDesk
) -> None:
    dropped = await sending.withdraw(desk.session, desk.ctx, desk.actor, callback_data.notice_id)
    message = await done_with_buttons(callback)
    await message.answer(
        _(
            "🗑 Withdrawn: {dropped} copies not yet sent were dropped; "
            "the others say it was withdrawn."
        ).format(dropped=dropped)
    )


def build_router() -> Router:
    router = private_chat("notices.compose")
    router.message.filter(at_desk, known_actor)
    router.callback_query.filter(at_desk, known_actor)
    router.message.register(start_notice, Command("notice"))
    button = router.callback_query.register
    choosing = StateFilter(NoticeSteps.choosing, NoticeSteps.window, NoticeSteps.text_en,
                           NoticeSteps.photo, NoticeSteps.preview)  # fmt: skip
    button(unit_chosen, choosing, ComposeChoice.filter(F.step == ComposeStep.UNIT))
    button(building_toggled, choosing, ComposeChoice.filter(F.step == ComposeStep.BUILDING))
    button(
        send_pressed,
        StateFilter(NoticeSteps.preview),
        ComposeChoice.filter(F.step == ComposeStep.SEND),
    )
    button(cancel_pressed, ComposeChoice.filter(F.step == ComposeStep.CANCEL))
    button(step_pressed, choosing, ComposeChoice.filter())
    button(correct_pressed, NoticeManage.filter(F.action == ManageAction.CORRECT))
    button(withdraw_pressed, NoticeManage.filter(F.action == ManageAction.WITHDRAW))
    text = F.text & ~F.text.startswith("/")
    typed = router.message.register
    typed(window_typed, StateFilter(NoticeSteps.window), text)
    typed(text_zh_typed, StateFilter(NoticeSteps.text_zh), text)
    typed(text_en_typed, StateFilter(NoticeSteps.text_en), text)
    typed(photo_sent, StateFilter(NoticeSteps.photo), F.photo)
    typed(correction_zh_typed, StateFilter(NoticeSteps.correct_zh), text)
    typed(correction_en_typed, StateFilter(NoticeSteps.correct_en), text)
    writing = StateFilter(NoticeSteps.window, NoticeSteps.text_zh, NoticeSteps.text_en,
                          NoticeSteps.correct_zh, NoticeSteps.correct_en)  # fmt: skip
    typed(text_expected, writing, ~F.text)
    typed(typed_instead_of_pressing, StateFilter(NoticeSteps))
    return router
