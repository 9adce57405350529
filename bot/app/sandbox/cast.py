"""Who is in the sandbox: residents, the staff of the example organisation, their groups.

Staff and groups come from the organisation file (the example one), so the sandbox
shows the same people the bot knows; residents are sandbox characters with their own
phone numbers (what the share-contact button sends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config.orgfile import Organisation
from fake_telegram import FakeTelegramServer

SANDBOX_TOKEN = "777000:SANDBOX-resident-service-bot-local"
BOT_USERNAME = "resident_sandbox_bot"


@dataclass(frozen=True)
class Person:
    telegram_id: int
    name: str
    language_code: str
    phone: str = ""


@dataclass(frozen=True)
class Pane:
    """One chat on the page: a private chat with the bot, or a staff group."""

    key: str
    chat_id: int
    title: str
    subtitle: str
    kind: str  # "resident", "staff" (private) or "group"
    speakers: tuple[Person, ...] = field(default=())
    forum: bool = False  # a supergroup with Topics on (the bot an admin that manages them)

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


XIAOMING = Person(700001, "小明", "zh-hans", "+8613800000001")
ALICE = Person(700002, "Alice", "en", "+8613800000002")
AUNTIE_WANG = Person(700003, "王秀英", "zh-hans", "+8613800000003")
RESIDENTS = (XIAOMING, ALICE, AUNTIE_WANG)
PROJECT_KEY = "sunshine"
# Another project's group has Topics on: each of its tickets gets a topic of its own.
FORUM_PROJECT_KEY = "binjiang"


@dataclass(frozen=True)
class Cast:
    panes: tuple[Pane, ...]
    people: dict[int, Person]

    def pane(self, key: str) -> Pane:
        for pane in self.panes:
            if pane.key == key:
                return pane
        raise KeyError(key)

    def install(self, telegram: FakeTelegramServer) -> None:
        """Make every person and group known to the fake (no updates are sent)."""
        for person in self.people.values():
            telegram.user(
                id=person.telegram_id, first_name=person.name, language_code=person.language_code
            )
        for pane in self.panes:
            if pane.is_group:
                group = telegram.add_group(pane.chat_id, pane.title, is_forum=pane.forum)
                if pane.forum:
                    group.bot_status = "administrator"


def group_of(chat_id: int | None) -> int:
    if not chat_id:
        raise ValueError("the sandbox needs the example organisation's staff group ids")
    return chat_id


def build_cast(org: Organisation) -> Cast:
    project = next(p for p in org.projects if p.key == PROJECT_KEY)
    forum_project = next(p for p in org.projects if p.key == FORUM_PROJECT_KEY)
    region = next(r for r in org.regions if r.key == project.region)
    staff = {
        member.telegram_id: Person(member.telegram_id, member.name, "zh-hans")
        for member in org.staff
    }

    def working_in(unit: str) -> tuple[Person, ...]:
        return tuple(staff[m.telegram_id] for m in org.staff if m.unit == unit)

    project_staff = [m for m in org.staff if m.unit == project.key]
    agent = next(m for m in project_staff if m.role.value == "agent")
    manager = next(m for m in project_staff if m.role.value == "manager")
    panes = [
        Pane("xiaoming", XIAOMING.telegram_id, XIAOMING.name, "住户 · 中文", "resident"),
        Pane("alice", ALICE.telegram_id, ALICE.name, "resident · English", "resident"),
        Pane("wang", AUNTIE_WANG.telegram_id, AUNTIE_WANG.name, "住户 · 中文", "resident"),
        Pane(
            "project",
            group_of(project.group_chat_id),
            f"{project.name}项目部",
            "项目部员工群 · project staff group",
            "group",
            working_in(project.key),
        ),
        Pane(
            "binjiang",
            group_of(forum_project.group_chat_id),
            f"{forum_project.name}项目部",
            "项目部员工群 · 话题 · project group with topics",
            "group",
            working_in(forum_project.key),
            forum=True,
        ),
        Pane(
            "region",
            group_of(region.group_chat_id),
            region.name,
            "区域中心员工群 · regional staff group",
            "group",
            working_in(region.key),
        ),
        Pane(
            "hq",
            group_of(org.hq.group_chat_id),
            "总部工作群",
            "总部员工群 · HQ staff group",
            "group",
            working_in(org.hq.key),
        ),
        Pane("agent", agent.telegram_id, agent.name, "客服专员 · agent (private)", "staff"),
        Pane("manager", manager.telegram_id, manager.name, "项目经理 · manager (private)", "staff"),
    ]
    people = {person.telegram_id: person for person in (*RESIDENTS, *staff.values())}
    return Cast(panes=tuple(panes), people=people)
