"""A job that queues messages wakes the outbox sender: an escalation does not wait for the
sender's next poll (here an hour away)."""

from __future__ import annotations

from datetime import timedelta

from bot.app.application import Application
from bot.clock import ManualClock
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from fake_telegram import FakeTelegramServer
from scheduler import jobs
from storage.models import TicketKind
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory
from tests.e2e.test_database_outage import all_outbox_settled
from tests.integration.ticket_fixtures import add_resident, project_id

PROJECT_GROUP = -1009000000100  # sunshine
POLL_NEVER = 3600.0  # the sender's own poll: longer than any test


def escalations_in(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [
        m.data.get("text") or ""
        for m in telegram.messages_in(chat_id)
        if (m.data.get("text") or "").startswith("🔺")
    ]


async def test_the_sla_sweep_wakes_the_sender_after_it_commits(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    app: Application = await start_app(outbox_poll_interval=POLL_NEVER)
    async with app.sessionmaker() as session, session.begin():
        resident = await add_resident(session, 7300, "住户", clock.now())
        draft = TicketDraft(
            project_id=await project_id(session, "sunshine"),
            kind=TicketKind.COMPLAINT,
            description="楼道噪音",
        )
        await lifecycle.create_ticket(session, app.context(), resident, draft)
    app.wake_sender()  # the card (queued outside an update, as a test does)
    await eventually(lambda: all_outbox_settled(app), timeout=15)
    assert escalations_in(telegram, PROJECT_GROUP) == []

    clock.advance(timedelta(hours=30))  # the 24 h response target has passed
    result = await jobs.sweep_sla_deadlines(app)
    assert result.escalations >= 1

    # Delivered without anyone else waking the sender.
    await eventually(lambda: escalations_in(telegram, PROJECT_GROUP), timeout=15)
