"""/bindgroup of a unit that already has a staff group asks first: Keep leaves everything as
it was, Move binds it here and tells the old group, and only the manager who asked can
answer. Binding an unbound unit, or the same group again, happens at once as before."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, StoredMessage
from storage.models import OrgUnit
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.residents import settled

SUNSHINE, PLAZA = desk.SUNSHINE_GROUP, desk.PLAZA_GROUP
NEW_GROUP = -1009000000300
MOVE, KEEP = "✅ 改绑到本群", "✖️ 保持不变"


async def groups_of(app: Application) -> dict[str, int | None]:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        units = (await session.scalars(select(OrgUnit))).all()
        return {u.key: u.group_chat_id for u in units}


async def ask_to_move_sunshine_to_plaza_group(telegram: FakeTelegramServer) -> StoredMessage:
    """The region manager, in plaza's group, binds it to sunshine (which has its own group)."""
    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    mark = telegram.mark()
    telegram.send_text(region_manager, "/bindgroup sunshine", chat_id=PLAZA)
    return await desk.bot_says(telegram, PLAZA, "已经有工作群", since=mark)


async def test_binding_another_already_bound_project_asks_and_keep_changes_nothing(
    app: Application, telegram: FakeTelegramServer
) -> None:
    before = await groups_of(app)
    question = await ask_to_move_sunshine_to_plaza_group(telegram)
    text = question.text or ""
    assert "阳光花园" in text and "“阳光花园项目部”" in text  # the unit, and its group now
    assert "本群将不再是 星河广场 的工作群" in text  # what this group loses
    assert await groups_of(app) == before  # nothing moved yet

    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    await desk.alert(telegram, telegram.press(region_manager, question, text=KEEP))
    await eventually(
        lambda: "未做任何改动" in (telegram.message(PLAZA, question.message_id).text or "")
    )
    assert not telegram.message(PLAZA, question.message_id).buttons()
    assert await groups_of(app) == before
    cancelled = [e for e in await desk.audit_entries(app) if e.action == "group.bind.cancelled"]
    assert [e.actor_telegram_id for e in cancelled] == [desk.REGION_MANAGER]
    assert not [m for m in telegram.messages_in(SUNSHINE) if "移到另一个群" in (m.text or "")]


async def test_confirming_moves_the_project_and_tells_its_old_group(
    app: Application, telegram: FakeTelegramServer
) -> None:
    question = await ask_to_move_sunshine_to_plaza_group(telegram)
    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    await desk.alert(telegram, telegram.press(region_manager, question, text=MOVE))
    await eventually(
        lambda: (
            "本群现在是 阳光花园 的工作群"
            in (telegram.message(PLAZA, question.message_id).text or "")
        )
    )
    told = await desk.bot_says(telegram, SUNSHINE, "移到另一个群")
    assert "陈静" in (told.text or "") and "阳光花园" in (told.text or "")
    groups = await groups_of(app)
    assert (groups["sunshine"], groups["plaza"]) == (PLAZA, None)
    bound = [e for e in await desk.audit_entries(app) if e.action == "group.bind"]
    assert [(e.actor_telegram_id, e.outcome) for e in bound] == [(desk.REGION_MANAGER, "allowed")]
    assert bound[0].data["previous_chat_id"] == SUNSHINE and bound[0].data["confirmed"] is True
    ticket = await desk.file_ticket(app, telegram)  # sunshine's new tickets come here now
    await desk.card(telegram, PLAZA, ticket.number)


async def test_only_the_manager_who_asked_can_confirm(
    app: Application, telegram: FakeTelegramServer
) -> None:
    before = await groups_of(app)
    question = await ask_to_move_sunshine_to_plaza_group(telegram)
    hq_admin = desk.staff_user(telegram, desk.ADMIN)  # could bind it themselves, but did not ask
    refused = await desk.alert(telegram, telegram.press(hq_admin, question, text=MOVE))
    assert "只有发送这条 /bindgroup 的经理" in refused
    refused_keep = await desk.alert(telegram, telegram.press(hq_admin, question, text=KEEP))
    assert "只有发送这条 /bindgroup 的经理" in refused_keep
    assert await groups_of(app) == before
    assert telegram.message(PLAZA, question.message_id).buttons()  # still waiting for the asker
    reasons = [(e.action, e.reason) for e in await desk.refusals(app)]
    assert reasons == [("group.bind", "not_your_confirmation")] * 2

    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    await desk.alert(telegram, telegram.press(region_manager, question, text=MOVE))
    await desk.bot_says(telegram, SUNSHINE, "移到另一个群")
    assert (await groups_of(app))["sunshine"] == PLAZA


async def test_a_confirmation_after_the_binding_changed_is_refused(
    app: Application, telegram: FakeTelegramServer
) -> None:
    question = await ask_to_move_sunshine_to_plaza_group(telegram)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():  # moved meanwhile, elsewhere
        await session.execute(
            update(OrgUnit).where(OrgUnit.key == "sunshine").values(group_chat_id=NEW_GROUP)
        )
    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    refused = await desk.alert(telegram, telegram.press(region_manager, question, text=MOVE))
    assert "请重新发送 /bindgroup" in refused
    assert (await groups_of(app))["sunshine"] == NEW_GROUP


async def test_binding_an_unbound_unit_or_the_same_group_again_needs_no_confirmation(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    mark = telegram.mark()
    telegram.send_text(manager, "/bindgroup sunshine", chat_id=SUNSHINE)  # the same group
    await desk.bot_says(telegram, SUNSHINE, "本群现在是 阳光花园 的工作群", since=mark)

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        await session.execute(
            update(OrgUnit).where(OrgUnit.key == "plaza").values(group_chat_id=None)
        )
    telegram.add_group(NEW_GROUP, "星河广场新群")
    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    telegram.send_text(region_manager, "/bindgroup plaza", chat_id=NEW_GROUP)
    await desk.bot_says(telegram, NEW_GROUP, "本群现在是 星河广场 的工作群")
    assert (await groups_of(app))["plaza"] == NEW_GROUP
    assert not [m for m in telegram.messages_in(PLAZA) if "移到另一个群" in (m.text or "")]
