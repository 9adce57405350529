"""Incidents (mass faults, issue 18), end to end on the fake Bot API.

Staff make a ticket the incident of its category and building with ``/incident NUMBER``
in their group: the open tickets of that category and building are linked (a ticket of
another building or category is not); one ``answer`` reaches every linked resident,
including one who reported after the incident was opened; ``close`` resolves them all
and tells each resident; the closed incident takes no more answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from storage.models import (
    AuditEntry,
    Incident,
    IncidentTicket,
    Ticket,
    TicketStatus,
)
from tests.conftest import eventually
from tests.e2e.notice_support import write_notices_org
from tests.e2e.residents import delivered, settled
from tests.e2e.staff_helpers import AGENT, SUNSHINE_GROUP, file_ticket, staff_user
from tests.e2e.survey_support import unit_id

FLOODED = "3号楼水管爆裂"


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


async def report(
    app: Application,
    telegram: FakeTelegramServer,
    resident: int,
    building: str,
    unit: str,
    *,
    category: str = "water",
) -> Ticket:
    return await file_ticket(
        app, telegram, resident_id=resident, name=f"住户{resident}", description=FLOODED,
        category_key=category, property_unit_id=await unit_id(app, building, unit),
    )  # fmt: skip


def texts_to(telegram: FakeTelegramServer, chat_id: int, fragment: str) -> list[str]:
    return [
        call.params.get("text", "")
        for call in telegram.calls
        if call.method == "sendMessage"
        and call.params.get("chat_id") == chat_id
        and fragment in call.params.get("text", "")
    ]


async def in_group(telegram: FakeTelegramServer, text: str, fragment: str) -> str:
    """The agent writes ``text`` in the sunshine group; the bot's answer there."""
    agent = staff_user(telegram, AGENT)
    mark = telegram.mark()
    telegram.send_text(agent, text, chat_id=SUNSHINE_GROUP)
    call = await telegram.wait_for(
        "sendMessage",
        lambda c: fragment in c.params.get("text", ""),
        chat_id=SUNSHINE_GROUP,
        since=mark,
    )
    return str(call.params["text"])


async def statuses(app: Application) -> dict[str, TicketStatus]:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        return {t.number: t.status for t in (await session.scalars(select(Ticket))).all()}


async def test_an_incident_links_its_building_answers_them_all_and_closing_tells_each(
    app: Application, telegram: FakeTelegramServer
) -> None:
    first = await report(app, telegram, 7501, "3", "301")
    second = await report(app, telegram, 7502, "3", "302")
    elsewhere = await report(app, telegram, 7505, "5", "501")  # another building
    other_kind = await report(app, telegram, 7503, "3", "303", category="lift")
    await delivered(app)

    opened = await in_group(telegram, f"/incident {first.number}", "⚡")
    linked = opened.split("\n")[0]
    # not 5号楼, not the lift
    assert linked.endswith(f"关联工单：{first.number}、{second.number}。")
    assert "（漏水）" in linked

    later = await report(app, telegram, 7504, "3", "303")  # reported while it is open
    answered = await in_group(
        telegram, f"/incident {first.number} answer 正在抢修,预计18:00恢复供水", "💬"
    )
    assert f"故障事件 {first.number}：已回复 3 张工单" in answered
    for resident in (7501, 7502, 7504):
        await eventually(lambda r=resident: texts_to(telegram, r, "预计18:00恢复供水"))
    await delivered(app)
    assert texts_to(telegram, 7505, "预计18:00恢复供水") == []
    assert texts_to(telegram, 7503, "预计18:00恢复供水") == []

    closed = await in_group(telegram, f"/incident {second.number} close 水管已修复,恢复供水", "✅")
    assert f"故障事件 {first.number} 已关闭：3 张工单已解决" in closed
    for resident in (7501, 7502, 7504):
        await eventually(lambda r=resident: texts_to(telegram, r, "水管已修复"))
    await delivered(app)
    assert texts_to(telegram, 7505, "水管已修复") == []
    now = await statuses(app)
    assert {now[t.number] for t in (first, second, later)} == {TicketStatus.RESOLVED}
    assert now[elsewhere.number] is TicketStatus.NEW and now[other_kind.number] is TicketStatus.NEW

    refused = await in_group(telegram, f"/incident {first.number} answer 还有问题吗", first.number)
    assert "已关闭" in refused

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        [incident] = (await session.scalars(select(Incident))).all()
        links = (
            await session.scalars(
                select(IncidentTicket.ticket_id).where(IncidentTicket.incident_id == incident.id)
            )
        ).all()
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith("incident."))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert sorted(links) == sorted([first.id, second.id, later.id])
    assert incident.closed_at is not None
    assert list(actions) == ["incident.open", "incident.answer", "incident.close"]


async def test_answering_a_ticket_that_is_not_an_incident_says_how_to_make_one(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await report(app, telegram, 7501, "3", "301")
    how = f"/incident {ticket.number}"
    answer = await in_group(telegram, f"{how} answer 你好", how)
    assert answer.startswith(f"{ticket.number} ")
    usage = await in_group(telegram, "/incident", "/incident")
    assert "/incident 编号 answer 文字" in usage and "例如：/incident SG-000123" in usage
    unknown = await in_group(telegram, "/incident SG-999999", "SG-999999")
    assert "SG-999999" in unknown
    assert (await statuses(app))[ticket.number] is TicketStatus.NEW
