"""Menus a card opens: whom to reassign to, which project to move to, which category
or urgency. Each choice carries the ticket's version, so a menu outlives no change."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.config.orgfile import Organisation
from bot.config.orgfile.models import Category
from bot.presentation.buttons.tickets import (
    ClassifyAction,
    ClassifyChoice,
    ReassignKind,
    ReassignTarget,
)
from bot.presentation.texts import category_name, project_label
from bot.services.tickets.queries import ProjectOption, StaffOption
from storage.models import Ticket

Menu = tuple[str, InlineKeyboardMarkup]


def _reassign(
    kind: ReassignKind, ticket: Ticket, text: str, target: int = 0
) -> InlineKeyboardButton:
    data = ReassignTarget(kind=kind, ticket_id=ticket.id, version=ticket.version, target_id=target)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def reassign_menu(ticket: Ticket, people: list[StaffOption]) -> Menu:
    rows = [[_reassign(ReassignKind.PERSON, ticket, f"👤 {o.name}", o.person_id)] for o in people]
    rows.append(
        [
            _reassign(ReassignKind.PROJECTS, ticket, _("➡️ Another project")),
            _reassign(ReassignKind.CANCEL, ticket, _("Cancel")),
        ]
    )
    text = _("Who should take over {number}?").format(number=ticket.number)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def projects_menu(
    org: Organisation, ticket: Ticket, projects: list[ProjectOption], locale: str
) -> Menu:
    def name(option: ProjectOption) -> str:
        return project_label(org, locale, option.key, option.name)

    rows = [
        [_reassign(ReassignKind.PROJECT, ticket, f"🏢 {name(o)}", o.project_id)] for o in projects
    ]
    rows.append([_reassign(ReassignKind.CANCEL, ticket, _("Cancel"))])
    text = _("Move {number} to which project?").format(number=ticket.number)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def classify_menu(
    org: Organisation, ticket: Ticket, categories: list[Category], locale: str
) -> Menu:
    """A button per category (the current one marked), the urgency switch, Cancel."""

    def choice(action: ClassifyAction, text: str, key: str = "") -> InlineKeyboardButton:
        data = ClassifyChoice(
            action=action, ticket_id=ticket.id, version=ticket.version, category=key
        )
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    buttons = [
        choice(
            ClassifyAction.CATEGORY,
            ("✓ " if c.key == ticket.category_key else "") + c.name.get(locale),
            c.key,
        )
        for c in categories
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if ticket.urgent:
        urgency = choice(ClassifyAction.NOT_URGENT, _("Mark not urgent"))
    else:
        urgency = choice(ClassifyAction.URGENT, _("⚡ Mark urgent"))
    rows.append([urgency, choice(ClassifyAction.CLOSE, _("Cancel"))])
    text = _("{number} is “{category}”{urgent}. Change it to:").format(
        number=ticket.number,
        category=html.escape(category_name(org, locale, ticket.category_key)),
        urgent=" · ⚡" if ticket.urgent else "",
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
