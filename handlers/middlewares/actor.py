"""Gives every handler its ``actor`` (who sent the update) and ``ctx`` (the domain context).

It runs just before aiogram's FSM middleware (``handlers.setup_dispatcher``) and reads the
sender's conversation in the same statement as the sender: the FSM middleware then finds
it read (``storage.fsm.remember``) instead of asking the database again. Reading it
before the FSM middleware's lock is safe because that lock is aiogram's
``DisabledEventIsolation``: the worker already handles a chat's updates one at a time,
each in its own transaction.
"""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import Chat, TelegramObject, Update, User

from bot.i18n import normalise_locale
from bot.services.delivery_outcomes import heard_from
from bot.services.people import load_sender, note_last_seen
from handlers.middlewares import NextHandler
from storage import fsm


class ActorMiddleware(BaseMiddleware):
    def __init__(self, conversations: FSMContextMiddleware) -> None:
        self._conversations = conversations

    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        data["ctx"] = data["deps"].context()
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            session = data["session"]
            key = self._conversation_key(data)
            # One statement: the person, their roles and units, and the conversation (the
            # session keeps the person for whoever asks again in this update).
            person, actor, conversation = await load_sender(session, user.id, key)
            if key is not None:
                found = None if conversation is None else (conversation.state, conversation.data)
                fsm.remember(session, key, found)
            if person is not None:
                # Staff are written to later in their Telegram's language (residents gave
                # theirs when they registered; others consented to nothing more).
                language = normalise_locale(user.language_code) if actor.is_staff else None
                # Written with the commit, and only when it is old (or the language changed).
                note_last_seen(person, data["clock"].now(), language)
                if _reaches_us_privately(event, user, data.get("event_chat")):
                    await heard_from(session, data["ctx"], actor)
            data["actor"] = actor
        return await handler(event, data)

    def _conversation_key(self, data: dict[str, Any]) -> str | None:
        """The key aiogram's FSM middleware will read this update's conversation under."""
        storage = self._conversations.storage
        context = self._conversations.resolve_event_context(data["bot"], data)
        if context is None or not isinstance(storage, fsm.SqlStorage):
            return None
        return storage.built_key(context.key)


def _reaches_us_privately(event: TelegramObject, user: User, chat: Chat | None) -> bool:
    """The update comes from the person's own private chat with the bot, which proves the
    bot can write there (a message in a group does not; blocking the bot does not)."""
    if chat is None or chat.id != user.id:
        return False
    member = event.my_chat_member if isinstance(event, Update) else None
    return member is None or member.new_chat_member.status not in ("kicked", "left")
