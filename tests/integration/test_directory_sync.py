"""The organisation file is mirrored into the database, and re-syncing is safe."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.config.orgfile import Organisation, load_organisation
from bot.services.directory import SyncReport, sync_organisation
from bot.services.people import load_actor, person_by_telegram_id, resolve_actor
from storage.models import (
    Building,
    OrgLevel,
    OrgUnit,
    Person,
    PropertyUnit,
    StaffMembership,
    StaffRole,
)
from storage.statements import StatementCounter


async def synced(sessionmaker, clock, org: Organisation) -> SyncReport:
    """Sync the organisation file in a transaction of its own (as a start of the bot does)."""
    async with sessionmaker() as session, session.begin():
        return await sync_organisation(session, org, clock.now())


async def test_sync_builds_the_three_level_tree(sessionmaker, clock, org_file: Path) -> None:
    org = load_organisation(org_file)
    report = await synced(sessionmaker, clock, org)
    assert report.org_units == 4 and report.buildings == 3 and report.property_units == 6
    async with sessionmaker() as session:
        units = {u.key: u for u in (await session.scalars(select(OrgUnit))).all()}
        assert units["hq"].level is OrgLevel.HQ and units["hq"].parent_id is None
        assert units["east"].parent_id == units["hq"].id
        assert units["sunshine"].parent_id == units["east"].id
        assert units["sunshine"].ticket_prefix == "SG"
        assert units["plaza"].group_chat_id == -1009000000200
        manager = await resolve_actor(session, 5002)
        assert manager.is_manager and not manager.is_admin
        assert [(g.role, g.org_unit_key) for g in manager.roles] == [
            (StaffRole.MANAGER, "sunshine")
        ]
        admin = await resolve_actor(session, 5100)
        assert admin.is_admin
        stranger = await resolve_actor(session, 999)
        assert not stranger.is_staff and stranger.person_id is None


async def test_resync_is_idempotent_and_deactivates_what_left(
    sessionmaker, clock, org_file: Path, tmp_path: Path
) -> None:
    org = load_organisation(org_file)
    await synced(sessionmaker, clock, org)
    await synced(sessionmaker, clock, org)
    async with sessionmaker() as session:
        assert len((await session.scalars(select(OrgUnit))).all()) == 4
        assert len((await session.scalars(select(PropertyUnit))).all()) == 6

    # Remove the plaza project and the agent 5001 from the file.
    text = org_file.read_text(encoding="utf-8")
    start = text.index('[[projects]]\nkey = "plaza"')
    end = text.index("[[staff]]")
    text = text[:start] + text[end:]
    text = text.replace(
        '[[staff]]\ntelegram_id = 5001\nname = "王芳"\nrole = "agent"\nunit = "sunshine"\n', ""
    )
    smaller = tmp_path / "org.toml"
    smaller.write_text(text, encoding="utf-8")
    report = await synced(sessionmaker, clock, load_organisation(smaller))
    assert "plaza" in report.deactivated
    async with sessionmaker() as session:
        plaza = await session.scalar(select(OrgUnit).where(OrgUnit.key == "plaza"))
        assert plaza is not None and not plaza.active  # kept for history, no longer active
        assert (await session.scalar(select(Building).where(Building.key == "A"))) is not None
        assert not (await resolve_actor(session, 5001)).is_staff


async def test_a_group_bound_in_chat_survives_a_resync_until_the_file_changes(
    sessionmaker, clock, org_file: Path, tmp_path: Path
) -> None:
    org = load_organisation(org_file)
    await synced(sessionmaker, clock, org)
    async with sessionmaker() as session, session.begin():
        sunshine = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
        sunshine.group_chat_id = -1005555  # /bindgroup in chat, or a supergroup migration
    await synced(sessionmaker, clock, org)  # a restart
    async with sessionmaker() as session:
        sunshine = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
        assert sunshine.group_chat_id == -1005555

    changed = tmp_path / "org.toml"
    changed.write_text(
        org_file.read_text(encoding="utf-8").replace("-1009000000100", "-1007777777"),
        encoding="utf-8",
    )
    await synced(sessionmaker, clock, load_organisation(changed))
    async with sessionmaker() as session:
        sunshine = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
        assert sunshine.group_chat_id == -1007777777  # the operator's new choice wins


async def test_an_actor_holds_the_active_roles_in_open_units_in_the_order_granted(
    engine, sessionmaker, clock, org_file: Path
) -> None:
    await synced(sessionmaker, clock, load_organisation(org_file))
    async with sessionmaker() as session, session.begin():
        units = {u.key: u for u in (await session.scalars(select(OrgUnit))).all()}
        manager = await session.scalar(select(Person).where(Person.telegram_id == 5002))
        assert manager is not None
        for key, active in (("east", True), ("plaza", True), ("hq", False)):
            session.add(
                StaffMembership(
                    person_id=manager.id,
                    org_unit_id=units[key].id,
                    role=StaffRole.AGENT,
                    source="invite",
                    active=active,
                )
            )
        units["plaza"].active = False  # a closed project grants nothing
    async with sessionmaker() as session:
        person, actor = await load_actor(session, 5002)
        assert person is not None and actor.person_id == person.id
        assert [(g.role, g.org_unit_key, g.level) for g in actor.roles] == [
            (StaffRole.MANAGER, "sunshine", OrgLevel.PROJECT),
            (StaffRole.AGENT, "east", OrgLevel.REGION),
        ]
        # The session remembers the person: asking again costs no statement.
        counted = StatementCounter(engine).attach()
        try:
            assert await person_by_telegram_id(session, 5002) is person
        finally:
            counted.detach()
        assert sum(counted.statements.values()) == 0
