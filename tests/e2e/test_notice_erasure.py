"""/forgetme and notices (issue 18): the resident's choice to mute general notices goes,
the FAQ answers and notices they were shown keep their outcome for the statistics but no
longer name them, and a later correction of a notice they had received does not write to
their forgotten chat. Another resident's rows stay as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.application import Application
from bot.services.announcements import sending
from bot.services.people import resolve_actor
from fake_telegram import FakeTelegramServer
from storage.models import Announcement, AnnouncementMute, SelfServiceEvent
from tests.e2e.notice_support import write_notices_org
from tests.e2e.residents import buttons, delivered, press, say, settled
from tests.e2e.staff_helpers import ctx
from tests.e2e.survey_support import add_resident
from tests.e2e.test_notices import send_directly

MANAGER = 5002


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


async def test_forgetme_forgets_the_mute_and_unnames_the_self_service_events(
    app: Application, telegram: FakeTelegramServer
) -> None:
    leaving = telegram.user(id=7801, first_name="Leave", language_code="en")
    staying = telegram.user(id=7802, first_name="Stay", language_code="en")
    leaving_id = await add_resident(
        app, leaving.id, "Leave", language="en", building="3", unit="301"
    )
    staying_id = await add_resident(
        app, staying.id, "Stay", language="en", building="3", unit="302"
    )
    for resident in (leaving, staying):
        profile = await say(telegram, resident, "/profile")
        await press(
            telegram, resident, profile, "🔕 Mute general notices", expect="editMessageText"
        )
        answer = await say(telegram, resident, "What are your office hours?")
        assert "Every day 8:30–17:30." in answer.params["text"]
        await press(telegram, resident, answer, "✅ This answered it")
    notice = await send_directly(
        app, ["3"], "outage", "3号楼明天停电", text_en="No power in Building 3 tomorrow",
        category_key="lift", category_chosen=True,
    )  # fmt: skip
    await delivered(app)

    question = await say(telegram, leaving, "/forgetme")
    await press(telegram, leaving, question, buttons(question)[0])
    await settled(app)

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        muted = (await session.scalars(select(AnnouncementMute.person_id))).all()
        events = (
            await session.execute(select(SelfServiceEvent.person_id, SelfServiceEvent.outcome))
        ).all()
    assert list(muted) == [staying_id]
    assert sorted(events, key=lambda e: e[0] or 0) == [(None, "answered"), (staying_id, "answered")]
    assert leaving_id not in {person for person, _outcome in events}

    # The notice is corrected: the copy the erased resident received is not touched.
    mark = telegram.mark()
    async with app.sessionmaker() as session, session.begin():
        actor = await resolve_actor(session, MANAGER)
        await sending.correct(
            session, ctx(app), actor, notice, "3号楼明天上午停电", "Power off in the morning"
        )
    app.sender.wake()  # type: ignore[union-attr]
    await delivered(app)
    edited = await _edited_to(telegram, staying.id)
    assert "Power off in the morning" in edited
    assert [
        c for c in telegram.calls if c.seq >= mark and c.params.get("chat_id") == leaving.id
    ] == []
    async with app.sessionmaker() as session:
        stored = await session.get(Announcement, notice)
        assert stored is not None and stored.revision == 2


async def _edited_to(telegram: FakeTelegramServer, chat_id: int) -> str:
    call = await telegram.wait_for(
        "editMessageText", lambda c: "Power off" in c.params.get("text", ""), chat_id=chat_id
    )
    return str(call.params["text"])
