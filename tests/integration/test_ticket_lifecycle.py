"""Ticket changes on a real database: numbering, history, notifications, locking."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app.context import Context
from bot.services.access import AccessDenied
from bot.services.tickets import lifecycle, queries
from bot.services.tickets.lifecycle import Photo, TicketDraft
from bot.services.tickets.transitions import IllegalTransition
from storage.models import (
    Attachment,
    OutboxMessage,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from tests.integration.ticket_fixtures import actor, add_resident, project_id

GROUP = -1009000000100


async def file_ticket(sessionmaker, ctx: Context, telegram_id: int = 7001, **draft) -> Ticket:
    async with sessionmaker() as session, session.begin():
        resident = await add_resident(session, telegram_id, "张小明", ctx.now)
        project = await project_id(session, "sunshine")
        fields = {
            "kind": TicketKind.REPAIR,
            "description": "天花板漏水 💧",
            "category_key": "water",
        }
        return await lifecycle.create_ticket(
            session, ctx, resident, TicketDraft(project_id=project, **(fields | draft))
        )


async def test_new_tickets_get_consecutive_numbers_deadlines_and_a_card(sessionmaker, ctx) -> None:
    first = await file_ticket(sessionmaker, ctx, photos=[Photo("photo-1", "u1")])
    second = await file_ticket(sessionmaker, ctx, telegram_id=7002, urgent=True)
    assert (first.number, second.number) == ("SG-000001", "SG-000002")
    assert first.first_response_due_at - ctx.now == ctx.org.sla.first_response
    assert (
        second.resolution_due_at - ctx.now
        == ctx.org.sla.targets_for("repair", "water", urgent=True).resolution
    )
    async with sessionmaker() as session:
        outbox = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        events = (await session.scalars(select(TicketEvent))).all()
        photos = (await session.scalars(select(Attachment))).all()
    assert [(m.chat_id, m.method, m.ref) for m in outbox[:2]] == [
        (GROUP, "sendMessage", f"ticket-card:{first.id}"),
        (GROUP, "sendPhoto", f"ticket:{first.id}"),  # about the ticket (a reply answers it)
    ]
    card = outbox[0].payload
    assert "SG-000001" in card["text"] and "天花板漏水" in card["text"]
    assert "+86" not in card["text"] and "张小明" not in card["text"]  # initials only in groups
    assert [e.kind for e in events] == ["created", "created"]
    assert [p.file_id for p in photos] == ["photo-1"]


async def test_take_reply_resolve_confirm(sessionmaker, ctx) -> None:
    ticket = await file_ticket(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        agent = await actor(session, 5001)
        taken = await lifecycle.take(session, ctx, ticket.id, agent, ticket.version)
        assert taken.status is TicketStatus.ACKNOWLEDGED and taken.first_responded_at == ctx.now
        await lifecycle.start_work(session, ctx, ticket.id, agent, taken.version)
        await lifecycle.reply_to_resident(session, ctx, ticket.id, agent, "师傅下午两点到")
        await lifecycle.add_note(session, ctx, ticket.id, agent, "需要更换阀门")
        done = await lifecycle.resolve(session, ctx, ticket.id, agent, "已更换阀门")
        assert done.status is TicketStatus.RESOLVED and done.next_sla_check_at is None
    async with sessionmaker() as session, session.begin():
        resident = await actor(session, 7001)
        closed = await lifecycle.confirm_fixed(session, ctx, ticket.id, resident, done.version)
        assert closed.status is TicketStatus.CLOSED
        public = await queries.history(session, ticket.id, include_internal=False)
        everything = await queries.history(session, ticket.id, include_internal=True)
    assert "note" not in [e.kind for e in public]
    assert [e.kind for e in everything] == [
        "created",
        "assigned",
        "status_changed",
        "reply",
        "note",
        "status_changed",
        "status_changed",
    ]
    async with sessionmaker() as session:
        to_resident = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 7001))
        ).all()
    texts = [m.payload["text"] for m in to_resident]
    assert any("师傅下午两点到" in t for t in texts)
    assert not any("需要更换阀门" in t for t in texts)  # internal notes never reach residents
    assert any("callback_data" in str(m.payload.get("reply_markup")) for m in to_resident)


async def test_reopen_rearms_resolution_and_waiting_pauses_the_clock(
    sessionmaker, ctx, clock
) -> None:
    ticket = await file_ticket(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        agent = await actor(session, 5001)
        await lifecycle.take(session, ctx, ticket.id, agent, None)
        waiting = await lifecycle.reply_to_resident(
            session, ctx, ticket.id, agent, "请问具体位置？", ask_for_answer=True
        )
        assert waiting.status is TicketStatus.WAITING_ON_RESIDENT
        due_before = waiting.resolution_due_at
    later = Context(org=ctx.org, now=clock.advance(hours=5))
    async with sessionmaker() as session, session.begin():
        resident = await actor(session, 7001)
        answered = await lifecycle.add_resident_comment(session, later, ticket.id, resident, "厨房")
        assert answered.status is TicketStatus.IN_PROGRESS
        assert (answered.resolution_due_at - due_before).total_seconds() == 5 * 3600
        agent = await actor(session, 5001)
        resolved = await lifecycle.resolve(session, later, ticket.id, agent, "修好了")
        reopened = await lifecycle.reopen(
            session, later, ticket.id, resident, "还在漏", resolved.version
        )
        assert reopened.status is TicketStatus.IN_PROGRESS and reopened.reopen_count == 1
        assert (
            reopened.resolution_due_at
            == later.now + ctx.org.sla.targets_for("repair", "water").resolution
        )


async def test_refusals(sessionmaker, ctx) -> None:
    ticket = await file_ticket(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        stranger = await add_resident(session, 7999, "路人", ctx.now)
        other_resident = await actor(session, stranger.telegram_id)
        with pytest.raises(AccessDenied):
            await lifecycle.take(session, ctx, ticket.id, other_resident, None)
        with pytest.raises(AccessDenied):
            await lifecycle.add_resident_comment(session, ctx, ticket.id, other_resident, "hi")
        owner = await actor(session, 7001)
        with pytest.raises(IllegalTransition):
            await lifecycle.confirm_fixed(session, ctx, ticket.id, owner, None)
        with pytest.raises(lifecycle.StaleAction):
            await lifecycle.take(session, ctx, ticket.id, await actor(session, 5001), 999)
        # Staff of the region above the project may work on it; HQ admin too.
        assert await lifecycle.take(session, ctx, ticket.id, await actor(session, 5010), None)


async def test_two_staff_taking_at_once_exactly_one_wins(sessionmaker, ctx) -> None:
    ticket = await file_ticket(sessionmaker, ctx)

    async def press(telegram_id: int) -> str:
        async with sessionmaker() as session, session.begin():
            staff = await actor(session, telegram_id)
            try:
                await lifecycle.take(session, ctx, ticket.id, staff, ticket.version)
                return "won"
            except lifecycle.AlreadyTaken as taken:
                return f"lost to {taken.holder_name}"

    results = await asyncio.gather(press(5001), press(5002))
    assert sorted(results)[0] in ("lost to 王芳", "lost to 李强") and "won" in results
    async with sessionmaker() as session:
        events = (
            await session.scalars(select(TicketEvent).where(TicketEvent.kind == "assigned"))
        ).all()
    assert len(events) == 1
