"""A resident hears from us when the answer or the fix they were promised is late.

At filing the bot promises a first answer and a resolution by given times. When one of
them is missed (its ladder's first escalation) every resident of the ticket is told,
with an apology, once per promise; later levels of the same ladder add nothing. In the
quiet hours the apology waits for them to end, and news of the ticket meanwhile makes
it unnecessary. An operator may turn it off (``[sla] tell_residents_when_late``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import FIXTURES, eventually
from tests.e2e.conftest import AppFactory, org_file_edited
from tests.e2e.test_sla_escalation import (
    PROJECT,
    START,
    delivered,
    file_complaints,
    sla_texts,
    sweep_at,
    take,
    texts,
)

RESIDENT, NEIGHBOUR = 7100, 7101
ANSWER_LATE = (
    "⏳ 很抱歉：我们承诺在 {deadline} 前响应您的工单 {number}，目前还没有做到。"
    "已提醒物业服务中心尽快处理，一有进展我会在这里告诉您。"
)
FIX_LATE = (
    "⏳ 很抱歉：我们力争在 {deadline} 前处理完 {number}，目前还没有完成。"
    "已提醒物业服务中心尽快处理，一有进展我会在这里告诉您。"
)


def residents_in_telegram(telegram: FakeTelegramServer) -> None:
    """The residents file_complaints makes, as Telegram knows them (they can be written to)."""
    for number, telegram_id in enumerate((RESIDENT, NEIGHBOUR)):
        telegram.user(id=telegram_id, first_name=f"住户{number}", language_code="zh-hans")


def apologies(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [t for t in texts(telegram, chat_id) if t.startswith("⏳")]


async def test_each_late_promise_is_owned_up_to_once(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    residents_in_telegram(telegram)
    (ticket,) = await file_complaints(app)  # 09:00 in Shanghai: answer by 09:00 tomorrow
    await sweep_at(app, clock, 23.9)
    await delivered(app)
    assert apologies(telegram, RESIDENT) == []

    await sweep_at(app, clock, 24)  # the answer is late: the project group is told, and so
    await delivered(app)  # is the resident
    assert len(sla_texts(telegram, PROJECT)) == 2  # the warning and the escalation
    number = ticket.number
    assert apologies(telegram, RESIDENT) == [
        ANSWER_LATE.format(deadline="2026-11-03 09:00", number=number)
    ]
    await sweep_at(app, clock, 32)  # the region hears of it; the resident is not told again
    await delivered(app)
    assert len(apologies(telegram, RESIDENT)) == 1

    await take(app, ticket)
    await sweep_at(app, clock, 48)  # the fix is late too: a promise of its own
    await sweep_at(app, clock, 60)
    await delivered(app)
    assert apologies(telegram, RESIDENT) == [
        ANSWER_LATE.format(deadline="2026-11-03 09:00", number=number),
        FIX_LATE.format(deadline="2026-11-04 09:00", number=number),
    ]


QUIET_MORNING = (
    'resolution = "48h"\n',
    'resolution = "48h"\n\n[quiet_hours]\nstart = "08:30"\nend = "12:00"\n',
)


async def _held(app: Application, chat_id: int) -> list[OutboxMessage]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING
        )
        return list((await session.scalars(query)).all())


async def test_in_the_quiet_hours_the_apology_waits_and_news_makes_it_unnecessary(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock, tmp_path: Path
) -> None:
    org = org_file_edited(FIXTURES / "organisation.toml", tmp_path, QUIET_MORNING)
    app = await start_app(bot_config=org)
    residents_in_telegram(telegram)
    answered, waiting = await file_complaints(app, 2)
    await sweep_at(app, clock, 24)  # 09:00 local, in the quiet hours (08:30–12:00)
    [held] = await eventually(lambda: _held(app, RESIDENT))
    assert held.next_attempt_at == START + timedelta(hours=27)  # 12:00 local
    assert len(await _held(app, NEIGHBOUR)) == 1
    assert apologies(telegram, RESIDENT) == apologies(telegram, NEIGHBOUR) == []

    await take(app, answered)  # news before the quiet hours end: no apology for it any more
    await eventually(lambda: any("👀" in t for t in texts(telegram, RESIDENT)))
    await sweep_at(app, clock, 27)  # 12:00 local
    await delivered(app)
    assert apologies(telegram, RESIDENT) == []
    assert apologies(telegram, NEIGHBOUR) == [
        ANSWER_LATE.format(deadline="2026-11-03 09:00", number=waiting.number)
    ]


async def test_an_operator_may_keep_lateness_among_staff(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock, tmp_path: Path
) -> None:
    told_off = ('resolution = "48h"\n', 'resolution = "48h"\ntell_residents_when_late = false\n')
    app = await start_app(
        bot_config=org_file_edited(FIXTURES / "organisation.toml", tmp_path, told_off)
    )
    residents_in_telegram(telegram)
    await file_complaints(app)
    await sweep_at(app, clock, 24)
    await sweep_at(app, clock, 48)
    await delivered(app)
    assert any(t.startswith("🔺") for t in sla_texts(telegram, PROJECT))
    assert apologies(telegram, RESIDENT) == []
