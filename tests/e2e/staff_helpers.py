"""Helpers for the staff desk end-to-end tests: file tickets, find cards, press, read audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app.application import Application
from bot.app.context import Context
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from fake_telegram import FakeTelegramServer, FakeUser, StoredMessage
from storage.models import (
    AuditEntry,
    OrgUnit,
    OutboxMessage,
    Person,
    StaffMembership,
    StaffRole,
    Ticket,
    TicketKind,
)
from tests.conftest import eventually
from tests.e2e.residents import settled
from tests.integration.ticket_fixtures import actor, add_resident, project_id

SUNSHINE_GROUP = -1009000000100
PLAZA_GROUP = -1009000000200
EAST_GROUP = -1009000000010
AGENT, MANAGER, REGION_MANAGER, ADMIN = 5001, 5002, 5010, 5100
RESIDENT = 7001


def ctx(app: Application) -> Context:
    assert app.organisation is not None
    return Context(org=app.organisation, now=app.clock.now())


def staff_user(telegram: FakeTelegramServer, telegram_id: int) -> FakeUser:
    names = {AGENT: "王芳", MANAGER: "李强", REGION_MANAGER: "陈静", ADMIN: "赵敏"}
    return telegram.user(id=telegram_id, first_name=names.get(telegram_id, "员工"))


async def file_ticket(
    app: Application,
    telegram: FakeTelegramServer,
    *,
    project: str = "sunshine",
    resident_id: int = RESIDENT,
    name: str = "张小明",
    language: str | None = "zh_CN",
    description: str = "天花板漏水",
    **draft: Any,
) -> Ticket:
    """A resident's ticket, filed through the lifecycle (the resident flows test the chat)."""
    assert app.sessionmaker is not None and app.sender is not None
    telegram.user(id=resident_id, first_name=name)  # a real chat the bot can write to
    async with app.sessionmaker() as session, session.begin():
        resident = await session.scalar(select(Person).where(Person.telegram_id == resident_id))
        if resident is None:
            resident = await add_resident(session, resident_id, name, app.clock.now(), language)
        fields = {"kind": TicketKind.REPAIR, "description": description, "category_key": "water"}
        ticket = await lifecycle.create_ticket(
            session,
            ctx(app),
            resident,
            TicketDraft(project_id=await project_id(session, project), **(fields | draft)),
        )
    app.sender.wake()
    return ticket


async def as_actor(app: Application, telegram_id: int, change) -> Any:
    """Run ``change(session, ctx, actor)`` in one committed transaction."""
    assert app.sessionmaker is not None and app.sender is not None
    async with app.sessionmaker() as session, session.begin():
        who = await actor(session, telegram_id)
        result = await change(session, ctx(app), who)
    app.sender.wake()
    return result


async def card(
    telegram: FakeTelegramServer, chat_id: int, number: str, *, with_buttons: bool = True
) -> StoredMessage:
    """The current card of a ticket in a group (waits for it to be delivered)."""

    def find() -> StoredMessage | None:
        for message in reversed(telegram.messages_in(chat_id)):
            text = message.text or ""
            if number in text.split("\n")[0] and (message.buttons() or not with_buttons):
                return message
        return None

    return await eventually(find)


def button_data(message: StoredMessage, action: str) -> str:
    for button in message.buttons():
        if str(button.get("callback_data", "")).startswith(f"tk:{action}:"):
            return button["callback_data"]
    raise LookupError(f"no {action} button on {message.text!r}")


def press(
    telegram: FakeTelegramServer, user: FakeUser, message: StoredMessage, action: str
) -> dict[str, Any]:
    return telegram.press(user, message, data=button_data(message, action))


async def press_on_card(
    telegram: FakeTelegramServer,
    user: FakeUser,
    ticket: Ticket,
    action: str,
    *,
    chat_id: int = SUNSHINE_GROUP,
) -> dict[str, Any]:
    """Wait for the ticket's card in the group, then press its ``action`` button."""
    return press(telegram, user, await card(telegram, chat_id, ticket.number), action)


async def alert(telegram: FakeTelegramServer, update: dict[str, Any]) -> str:
    """The text the bot answered a button press with."""
    answer = await eventually(lambda: telegram.answer_for(update))
    return answer.text or ""


async def reload(app: Application, ticket_id: int) -> Ticket:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        found = await session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def refusals(app: Application) -> list[AuditEntry]:
    """The refusals written so far (the bot answers just before it commits: wait for that)."""
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        query = select(AuditEntry).where(AuditEntry.outcome == "refused").order_by(AuditEntry.id)
        return list((await session.scalars(query)).all())


async def seed_refusals(
    app: Application, lines: list[tuple[str, str]], *, actor_telegram_id: int, reason: str
) -> None:
    """Refused audit lines, one per (unit key, action), as if written just now."""
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        for key, action in lines:
            unit_id = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == key))
            session.add(
                AuditEntry(
                    at=app.clock.now(),
                    actor_telegram_id=actor_telegram_id,
                    action=action,
                    outcome="refused",
                    reason=reason,
                    org_unit_id=unit_id,
                )
            )


async def queued_to(app: Application, chat_id: int) -> list[OutboxMessage]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def add_staff(
    app: Application, telegram_id: int, name: str, role: StaffRole, unit_key: str
) -> None:
    """Staff who are not in the organisation file (as if invited)."""
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == unit_key))
        assert unit is not None
        person = Person(
            telegram_id=telegram_id, full_name=name, created_at=app.clock.now(), reachable=True
        )
        session.add(person)
        await session.flush()
        session.add(
            StaffMembership(
                person_id=person.id, org_unit_id=unit.id, role=role, source="invite", active=True
            )
        )


def photo_file_id(update: dict[str, Any]) -> str:
    return update["message"]["photo"][-1]["file_id"]


async def bot_says(
    telegram: FakeTelegramServer, chat_id: int, fragment: str, *, since: int = 0
) -> StoredMessage:
    """The bot's message in a chat whose text contains ``fragment`` (waits for it)."""
    call = await telegram.wait_for(
        "sendMessage",
        lambda c: c.ok and fragment in (c.result.get("text") or ""),
        chat_id=chat_id,
        since=since,
    )
    found = telegram.message(chat_id, call.result["message_id"])
    assert found is not None
    return found


def texts_to(telegram: FakeTelegramServer, chat_id: int, *, since: int = 0) -> list[str]:
    return [
        c.params.get("text", "")
        for c in telegram.calls_of("sendMessage", chat_id=chat_id)
        if c.seq >= since
    ]


async def audit_entries(app: Application) -> list[AuditEntry]:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())
