"""The first start's scene, made the honest way: fake people talking to the real bot.

Alice (English) registers, has her unit confirmed by the project's staff group and
files two tickets: a repair the agent takes, and a complaint nobody has answered yet
(move the clock and it escalates). 王秀英 (Chinese) registers and files a repair the
agent resolves, so her satisfaction survey is waiting. 小明 is left unregistered, for
the viewer to start from scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING

from bot.app.sandbox.cast import ALICE, AUNTIE_WANG, Person
from fake_telegram import FakeTelegramServer, FakeUser, StoredMessage
from fake_telegram.models import ApiCall

if TYPE_CHECKING:
    from bot.app.sandbox.runtime import Sandbox

SAMPLE_PHOTO = "sample-photo.jpg"
STEP_TIMEOUT = 20.0
BOT_MESSAGES = ("sendMessage", "editMessageText", "sendPhoto")
Wanted = Callable[[ApiCall], bool]


def with_button(prefix: str) -> Wanted:
    """A message carrying an inline button whose data starts with ``prefix``."""

    def wanted(call: ApiCall) -> bool:
        rows = (call.params.get("reply_markup") or {}).get("inline_keyboard") or []
        return any(str(b.get("callback_data", "")).startswith(prefix) for r in rows for b in r)

    return wanted


def anything(call: ApiCall) -> bool:
    return True


def sent(call: ApiCall) -> bool:
    """A new message (not an edit)."""
    return call.method == "sendMessage"


def sample_photo() -> bytes:
    """The sample photo the page offers (a dripping tap)."""
    return (resources.files("bot.app.sandbox") / "static" / SAMPLE_PHOTO).read_bytes()


async def next_call(
    telegram: FakeTelegramServer, since: int, chat_id: int, wanted: Wanted
) -> StoredMessage:
    """The bot's first message (sent or edited) in ``chat_id`` from ``since`` on that is
    ``wanted``, as it is now."""
    found: list[ApiCall] = []

    def seen() -> bool:
        for call in telegram.calls:
            if call.seq < since or call.method not in BOT_MESSAGES or not call.ok:
                continue
            if call.params.get("chat_id") == chat_id and wanted(call):
                found.append(call)
                return True
        return False

    await telegram.recorder.wait_until(seen, STEP_TIMEOUT)
    message = telegram.message(chat_id, int(found[0].result["message_id"]))
    assert message is not None
    return message


class Talker:
    """One person's moves in one chat, each waiting for what the bot does next there."""

    def __init__(self, telegram: FakeTelegramServer, person: Person, chat_id: int) -> None:
        self.telegram = telegram
        self.user: FakeUser = telegram.state.users[person.telegram_id]
        self.person = person
        self.chat_id = chat_id

    def mark(self) -> int:
        return self.telegram.mark()

    async def next(self, since: int, wanted: Wanted = anything) -> StoredMessage:
        return await next_call(self.telegram, since, self.chat_id, wanted)

    async def say(
        self, text: str, wanted: Wanted = anything, *, reply_to: StoredMessage | None = None
    ) -> StoredMessage:
        mark = self.mark()
        chat = None if self.chat_id == self.user.id else self.chat_id
        self.telegram.send_text(self.user, text, chat_id=chat, reply_to=reply_to)
        return await self.next(mark, wanted)

    def tap(self, message: StoredMessage, label: str = "", *, data: str = "") -> None:
        """Press the button whose label contains ``label`` or whose data contains ``data``,
        without waiting."""
        current = self.telegram.message(message.chat_id, message.message_id) or message
        chosen = next(
            str(b["callback_data"])
            for b in current.buttons()
            if "callback_data" in b
            and (data in str(b["callback_data"]) if data else label in str(b["text"]))
        )
        self.telegram.press_raw(self.user, message.chat_id, message.message_id, chosen)

    async def press(
        self, message: StoredMessage, label: str = "", *, data: str = "", wanted: Wanted = anything
    ) -> StoredMessage:
        mark = self.mark()
        self.tap(message, label, data=data)
        return await self.next(mark, wanted)

    async def share_contact(self, wanted: Wanted = anything) -> StoredMessage:
        mark = self.mark()
        self.telegram.send_contact(self.user, self.person.phone)
        return await self.next(mark, wanted)


async def register(
    telegram: FakeTelegramServer,
    resident: Person,
    full_name: str,
    unit: tuple[str, str, str],
    staff: Talker,
) -> Talker:
    """/start, agree, name, phone; a unit chosen (project, building and unit as the
    resident reads them), which the project's staff group approves."""
    me = Talker(telegram, resident, resident.telegram_id)
    notice = await me.say("/start", with_button("rc:"))
    await me.press(notice, data="rc:1")
    await me.say(full_name)
    offer = await me.share_contact(with_button("rb:pick"))
    project, building, number = unit
    projects = await me.press(offer, data="rb:pick:0")
    buildings = await me.press(projects, project)
    units = await me.press(buildings, building)
    mark = me.mark()
    await me.press(units, number)
    request = await staff.next(mark, with_button("ub:ok"))
    mark = me.mark()
    staff.tap(request, data="ub:ok")
    await me.next(mark)
    return me


async def file_ticket(
    resident: Talker,
    menu: str,
    category: str,
    place: str,
    description: str,
    *,
    where: str = "",
    photo: bytes | None = None,
) -> StoredMessage:
    """Press a main-menu button and answer the filing questions; the bot's confirmation."""
    question = await resident.say(menu, with_button("rf:"))
    chosen = await resident.press(question, data=f":cat:{category}", wanted=with_button("rf:"))
    await resident.press(chosen, data=place)
    if where:
        await resident.say(where)
    photos = await resident.say(description, with_button("rf:"))
    if photo is not None:
        mark = resident.mark()
        resident.telegram.send_photo(resident.user, data=photo, width=640, height=480)
        photos = await resident.next(mark, with_button("rf:"))
    step = await resident.press(photos, data=":photos_done", wanted=with_button("rf:"))
    if ":urgent:" in str(step.data.get("reply_markup")):
        step = await resident.press(step, data=":urgent:0", wanted=with_button("rf:"))
    return await resident.press(step, data=":submit")


async def staff_press(staff: Talker, since: int, action: str, wanted: Wanted) -> StoredMessage:
    """Wait for a card with the ``action`` button in the group; press it; the next message."""
    card = await staff.next(since, with_button(f"tk:{action}:"))
    return await staff.press(card, data=f"tk:{action}:", wanted=wanted)


async def seed(sandbox: Sandbox) -> None:
    telegram = sandbox.telegram
    cast = sandbox.cast
    project = cast.pane("project")
    agent = Talker(telegram, cast.people[cast.pane("agent").chat_id], project.chat_id)
    manager = Talker(telegram, cast.people[cast.pane("manager").chat_id], project.chat_id)
    photo = sample_photo()

    alice = await register(
        telegram, ALICE, "Alice Chen", ("Sunshine Garden", "Building 1", "302"), agent
    )
    mark = alice.mark()
    await file_ticket(
        alice,
        "🔧 Report a repair",
        "water",
        ":unit:",
        "The kitchen tap has been dripping for two days; there is water under the sink.",
        photo=photo,
    )
    await staff_press(agent, mark, "take", with_button("tk:"))
    await file_ticket(
        alice,
        "📣 Make a complaint",
        "noise",
        ":area:",
        "Loud drilling after 10 pm, three nights in a row.",
        where="Building 1, the flat above mine",
    )

    wang = await register(telegram, AUNTIE_WANG, "王秀英", ("阳光花园", "2号楼", "101"), manager)
    mark = wang.mark()
    await file_ticket(wang, "🔧 报修", "power", ":unit:", "客厅的插座没电了，空开没有跳。")
    card = await staff_press(agent, mark, "take", with_button("tk:resolve:"))
    prompt = await agent.press(card, data="tk:resolve:", wanted=sent)
    await agent.say("已更换插座，恢复供电。", reply_to=prompt)
