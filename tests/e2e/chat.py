"""One person's side of the conversation with the running bot, so a test reads like it.

``ResidentChat`` bundles the Application, the fake Telegram server and one resident; its
methods are the resident's moves in their private chat (say, press, send a photo) and
return what the bot answered (built on tests/e2e/residents.py). ``StaffChat`` does the
same for a member of a staff group: press a card's buttons, answer the bot's prompts
(built on tests/e2e/staff_helpers.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser, StoredMessage
from fake_telegram.models import ApiCall
from storage.models import Ticket
from tests.e2e import residents
from tests.e2e import staff_helpers as desk


@dataclass
class ResidentChat:
    app: Application
    telegram: FakeTelegramServer
    user: FakeUser
    name: str  # what the resident types when the bot asks for a name

    @property
    def id(self) -> int:
        return self.user.id

    def mark(self) -> int:
        return self.telegram.mark()

    async def say(self, text: str, *, timeout: float = 5.0) -> ApiCall:
        """Send ``text``; the bot's next message in this chat."""
        return await residents.say(self.telegram, self.user, text, timeout=timeout)

    async def press(self, message: ApiCall, label: str, *, expect: str = "sendMessage") -> ApiCall:
        """Press the inline button ``label`` on ``message``; the bot's next ``expect`` call."""
        return await residents.press(self.telegram, self.user, message, label, expect=expect)

    async def alert_on_press(self, message: ApiCall, label: str) -> ApiCall:
        """Press a button that the bot answers with a callback answer (an alert or a toast)."""
        mark = self.mark()
        self.telegram.press(self.user, residents.message_of(message), text=label)
        return await self.telegram.wait_for("answerCallbackQuery", since=mark)

    async def alert_on_raw_press(self, data: str, message_id: int = 1) -> ApiCall:
        """Press a button carrying ``data`` (forged, or from a message never sent)."""
        mark = self.mark()
        self.telegram.press_raw(self.user, self.id, message_id, data)
        return await self.telegram.wait_for("answerCallbackQuery", since=mark)

    async def next_message(self, since: int) -> ApiCall:
        """The bot's first message in this chat from ``since`` (a mark) on."""
        return await residents.next_message(self.telegram, self.user, since)

    async def message_after(self, message: ApiCall) -> ApiCall:
        """The bot's message that follows ``message`` in this chat."""
        return await self.next_message(message.seq + 1)

    async def send_photo(self, caption: str | None = None) -> ApiCall:
        """Send one photo (with ``caption``); the bot's answer."""
        mark = self.mark()
        self.telegram.send_photo(self.user, caption=caption)
        return await self.next_message(mark)

    async def send_album(self, count: int, caption: str | None = None) -> ApiCall:
        """Send an album of ``count`` photos; the bot's one acknowledgement (edited as they
        arrive)."""
        mark = self.mark()
        self.telegram.send_album(self.user, count, caption=caption)
        return await self.next_message(mark)

    async def send_unusable(self, what: str) -> ApiCall:
        """Send a ``sticker``, ``voice`` note, ``document`` or ``location`` (nothing the bot
        reads); the bot's next message."""
        mark = self.mark()
        if what == "sticker":
            self.telegram.send_sticker(self.user)
        elif what == "voice":
            self.telegram.send_voice(self.user)
        elif what == "document":
            self.telegram.send_document(self.user)
        else:
            self.telegram.send_location(self.user, 31.23, 121.47)
        return await self.next_message(mark)

    async def register(self) -> ApiCall:
        """/start, agree, name, own phone; what follows "you are registered"."""
        return await residents.register(self.telegram, self.user, self.name)

    async def registered_in_unit(self, unit: str = "101", building: str = "1") -> None:
        """Registered through the chat, then bound to a unit behind the bot's back."""
        await residents.registered_in_unit(
            self.app, self.telegram, self.user, self.name, unit, building
        )

    async def start_filing(self, menu_button: str) -> ApiCall:
        """Press a main-menu button; the first question of the filing (after the intro)."""
        return await residents.start_filing(self.telegram, self.user, menu_button)

    async def filing_until_description(
        self, menu_button: str, category: str, place: str
    ) -> ApiCall:
        """Start filing, choose the category and the place; the bot's next question."""
        return await residents.filing_until_description(
            self.telegram, self.user, menu_button, category, place
        )

    async def abandoned_question(self) -> ApiCall:
        """Registered in a unit, the first question of a repair filing left for a complaint."""
        await self.registered_in_unit()
        old_question = await self.start_filing("🔧 Report a repair")
        await self.start_filing("📣 Make a complaint")
        return old_question

    async def tickets(self) -> list[Ticket]:
        """Every ticket in the database, once the updates so far are committed."""
        return await residents.tickets_in_db(self.app)

    async def ticket(self, ticket_id: int) -> Ticket:
        return await residents.ticket(self.app, ticket_id)


@dataclass
class StaffChat:
    app: Application
    telegram: FakeTelegramServer
    user: FakeUser
    group: int = desk.SUNSHINE_GROUP  # the staff group they act in

    @property
    def id(self) -> int:
        return self.user.id

    async def card(self, ticket: Ticket) -> StoredMessage:
        """The ticket's current card in the group (waits for it)."""
        return await desk.card(self.telegram, self.group, ticket.number)

    async def press(self, message: StoredMessage, action: str) -> str:
        """Press the card button for ``action`` (``take``, ``reply``, …); the bot's alert."""
        return await desk.alert(
            self.telegram, desk.press(self.telegram, self.user, message, action)
        )

    async def press_on_card(self, ticket: Ticket, action: str) -> str:
        """Wait for the ticket's card, press its ``action`` button; the bot's alert."""
        return await self.press(await self.card(ticket), action)

    async def open_from_card(
        self, ticket: Ticket, action: str, fragment: str, *, since: int = 0
    ) -> StoredMessage:
        """Press the ``action`` button on the ticket's card; the prompt or menu it opens
        in the group (the bot's message containing ``fragment``)."""
        await self.press_on_card(ticket, action)
        return await self.bot_says(fragment, since=since)

    async def press_label(self, message: StoredMessage, label: str) -> str:
        """Press the button labelled ``label`` (on a menu or prompt); the bot's alert."""
        pressed = self.telegram.press(self.user, message, text=label)
        return await desk.alert(self.telegram, pressed)

    async def press_raw(self, data: str, message_id: int, chat_id: int | None = None) -> str:
        """Press a button carrying ``data`` (forged or outdated); the bot's alert."""
        chat = self.group if chat_id is None else chat_id
        pressed = self.telegram.press_raw(self.user, chat, message_id, data)
        return await desk.alert(self.telegram, pressed)

    def reply(self, prompt: StoredMessage, text: str) -> None:
        """Answer the bot's prompt in the group (a reply to it)."""
        self.telegram.send_text(self.user, text, chat_id=self.group, reply_to=prompt)

    async def bot_says(self, fragment: str, *, since: int = 0) -> StoredMessage:
        """The bot's message in the group containing ``fragment`` (waits for it)."""
        return await desk.bot_says(self.telegram, self.group, fragment, since=since)

    async def bot_says_privately(self, fragment: str, *, since: int = 0) -> StoredMessage:
        """The bot's message to them in private containing ``fragment`` (waits for it)."""
        return await desk.bot_says(self.telegram, self.id, fragment, since=since)
