"""How many SQL statements a simple update costs (a count, not a time).

Counted from the worker's claim to the update's row marked done: the claim (one
statement for a whole batch), the update's transaction, and the short one after its
replies are sent. The figures are printed (``-s``) for the report.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app.application import Application
from storage.models import InboundStatus, InboundUpdate
from storage.statements import StatementCounter
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat

# The claim of a batch, the update's transaction (the person with their roles and their
# conversation state, the handler's one query, the done mark holding the replies), and the
# replies cleared once sent: the "at most 6 for a simple update". Under load the
# claim and the clearing are shared by several updates.
SIMPLE_UPDATE_BUDGET = 6


async def _all_done(app: Application) -> None:
    async def done() -> bool:
        async with app.sessionmaker() as session:
            left = await session.scalar(
                select(func.count()).where(
                    InboundUpdate.status.in_([InboundStatus.PENDING, InboundStatus.REPLYING])
                )
            )
            return not left

    await eventually(done)


async def _cost(
    app: Application, counter: StatementCounter, chat: ResidentChat, text: str
) -> tuple[int, list[str]]:
    await _all_done(app)
    counter.reset()
    await chat.say(text)
    await _all_done(app)
    claims = [s for s in counter.in_scope("inbox") if s.startswith("UPDATE inbound_updates")]
    # Run again after a write conflict (another writer, the poller or the outbox sender,
    # committed meanwhile): the run that committed is the one to count.
    statements = claims[:1] + (counter.in_scope("update.retry") or counter.in_scope("update"))
    return len(statements), statements


async def test_my_tickets_and_help_cost_few_statements(
    app: Application, alice: ResidentChat
) -> None:
    await alice.registered_in_unit()
    await alice.say("📋 My tickets")  # the first of a kind may warm caches
    counter = StatementCounter(app.sessionmaker.kw["bind"]).attach()
    try:
        for text in ("📋 My tickets", "ℹ️ Help"):
            count, statements = await _cost(app, counter, alice, text)
            print(f"\n{text}: {count} statements")
            assert count <= SIMPLE_UPDATE_BUDGET, "\n".join(statements)
            # The sender, their roles and their conversation state: one statement.
            assert sum(s.startswith("SELECT people") for s in statements) == 1
            assert not any(s.startswith("SELECT fsm_states") for s in statements)
            assert not any(s.startswith("UPDATE people") for s in statements)  # last_seen
    finally:
        counter.detach()
