"""Setting the scene for survey tests: residents bound to units, resolved tickets.

Residents are written straight into the database (registration is another
feature's test); everything the survey does is then driven through the fake
Bot API like a real resident, agent or manager would.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app.application import Application
from bot.services.people import resolve_actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from scheduler.survey_jobs import SweepReport, run_survey_sweep
from storage.models import (
    OrgUnit,
    Person,
    SurveyInvitation,
    SurveyResponse,
    TicketKind,
)
from tests.e2e.residents import bind_in, bot_says, message_of, settled, unit_query
from tests.e2e.staff_helpers import ctx
from tests.integration.ticket_fixtures import add_resident as add_person

SUNSHINE_GROUP = -1009000000100
AGENT, MANAGER = 5001, 5002


async def unit_id(app: Application, building: str, unit: str, project: str = "sunshine") -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        found = await session.scalar(unit_query(building, unit, project))
    assert found is not None
    return found


async def add_resident(
    app: Application,
    telegram_id: int,
    name: str,
    *,
    language: str | None = None,
    project: str = "sunshine",
    building: str = "1",
    unit: str = "101",
) -> int:
    """A registered resident bound to a unit; returns their person id."""
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        now = app.clock.now()
        person = await add_person(session, telegram_id, name, now, language)
        person.phone = "+8613800138000"  # the number the call-back tests look for
        await bind_in(session, person.id, now, building=building, unit=unit, project=project)
        return person.id


TELEGRAM_LANGUAGE = {"en": "en", "zh_CN": "zh-hans"}  # the bot's locale -> Telegram's code


async def a_resident(
    app: Application,
    telegram: FakeTelegramServer,
    telegram_id: int,
    name: str,
    *,
    language: str,
    project: str = "sunshine",
    building: str = "1",
    unit: str = "101",
) -> FakeUser:
    """A Telegram user (their app in ``language``) the bot has registered under the same
    name and bound to the unit (see ``add_resident``)."""
    user = telegram.user(id=telegram_id, first_name=name, language_code=TELEGRAM_LANGUAGE[language])
    await add_resident(
        app, telegram_id, name, language=language, project=project, building=building, unit=unit
    )
    return user


async def resolved_ticket(
    app: Application, resident_telegram_id: int, *, description: str = "Kitchen tap leaks"
) -> int:
    """A repair ticket filed by the resident, taken and resolved by the agent."""
    assert app.sessionmaker is not None and app.sender is not None
    async with app.sessionmaker() as session, session.begin():
        resident = await session.scalar(
            select(Person).where(Person.telegram_id == resident_telegram_id)
        )
        project = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "sunshine"))
        assert resident is not None and project is not None
        ticket = await lifecycle.create_ticket(
            session,
            ctx(app),
            resident,
            TicketDraft(
                project_id=project,
                kind=TicketKind.REPAIR,
                description=description,
                category_key="water",
            ),
        )
        agent = await resolve_actor(session, AGENT)
        await lifecycle.take(session, ctx(app), ticket.id, agent, ticket.version)
        await lifecycle.resolve(session, ctx(app), ticket.id, agent, "Replaced the washer")
        ticket_id = ticket.id
    app.sender.wake()
    return ticket_id


async def sweep(app: Application) -> SweepReport:
    """Run the survey job once everything the users did so far is committed."""
    await settled(app)
    return await run_survey_sweep(app)


async def rows(app: Application, model: Any, *where: Any) -> list[Any]:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(model).where(*where).order_by(model.id))).all())


async def answers(app: Application, **where: Any) -> list[tuple[str, int | None, str | None]]:
    found = await rows(
        app,
        SurveyResponse,
        *(getattr(SurveyResponse, k) == v for k, v in where.items()),
    )
    return [(r.question_key, r.score, r.text) for r in found]


async def invitation(app: Application, **where: Any) -> SurveyInvitation:
    (found,) = await rows(
        app, SurveyInvitation, *(getattr(SurveyInvitation, k) == v for k, v in where.items())
    )
    return found


def button_data(call: ApiCall) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def press(
    telegram: FakeTelegramServer, user: FakeUser, call: ApiCall, data: str
) -> dict[str, Any]:
    """Press a button of the message ``call`` sent and wait for the bot's answer to it."""
    mark = telegram.mark()
    update = telegram.press(user, message_of(call), data=data)
    query_id = update["callback_query"]["id"]
    await telegram.wait_for("answerCallbackQuery", callback_query_id=query_id, since=mark)
    return update


async def press_then(
    telegram: FakeTelegramServer, user: FakeUser, call: ApiCall, data: str, fragment: str
) -> ApiCall:
    """Press a button, then the bot's next message to the user containing ``fragment``."""
    mark = telegram.mark()
    await press(telegram, user, call, data)
    return await bot_says(telegram, user.id, fragment, since=mark)


async def press_stale(
    telegram: FakeTelegramServer, user: FakeUser, call: ApiCall, data: str
) -> ApiCall:
    """Press with data the message may no longer show; returns the bot's answer."""
    mark = telegram.mark()
    message = message_of(call)
    update = telegram.press_raw(user, message["chat"]["id"], message["message_id"], data)
    return await telegram.wait_for(
        "answerCallbackQuery", callback_query_id=update["callback_query"]["id"], since=mark
    )
