"""What a handler sends is sent after its transaction commits.

While an update is handled, a request middleware on the bot's session
(:class:`DeferringMiddleware`) records every Bot API call that changes something
(``sendMessage``, edits, deletions, callback answers…) instead of making it, and
returns a stand-in result: ``True``, or a :class:`~aiogram.types.Message` whose
``message_id`` is a *placeholder* (a large negative number). Calls that only read
(``getChat``, ``getMe``, ``getFile``…) are made at once. Calls to another chat are
recorded too: a handler that must act on Telegram's answer there (a staff member's
Details or ``/stats`` sent privately from a group: a 403 means "start a private chat
with me first") sends from a task that runs after the update
(``handlers/background.py``), so no transaction waits on Telegram.

The calls are kept with the inbox row, in the statement that marks the update done
(:func:`storage.inbox.mark_done`), so they commit with everything the update did,
or not at all: no reply announces a change a failed commit never stored, and no
transaction waits on Telegram. Once committed, :func:`deliver` makes them, each chat's
in the order they were made, side by side where one cannot change another's outcome
(a press's callback answer, another chat, an edit of an earlier message: :func:`lanes`):

- a placeholder used by a later call (an edit of a message sent just before) is
  replaced by the real id; a placeholder the handler stored in the conversation
  (FSM) data — a staff prompt, a photo acknowledgement — is replaced there too, in
  a second short transaction that also clears the calls from the inbox row (an
  update with nothing else to write down is marked with others, a moment later:
  ``runtime/sent_marks.py``);
- a call Telegram refuses for a while (429, 5xx, a time-out, a 403) is not retried
  here and the update is not handled again: it goes to the outbox, with that chat's
  later calls behind it, and the outbox sender's rules apply (``retry_after``,
  back-off, unreachable recipients). A file upload cannot wait there (its bytes are
  not stored): it is made again at once, a few times (``presentation/uploads.py``),
  and if it still fails the person is told instead, through the outbox, to ask again.
  A callback answer, which is worthless later, is dropped with a log line. What the
  outbox keeps of these is sealed (encrypted, ``outbox_queue.sealed``): a reply may
  show the person their own phone number (``/profile``), and it is forgotten once sent;
- an edit Telegram refuses as "not modified" is done; another refused edit of a
  text is posted as a new message (the old message is gone or too old).

If the process dies after the commit and before the calls are cleared, the row
keeps them under a lease; once it expires (or at the next start on SQLite) the
worker moves them to the outbox (:func:`recover_owed`), so nothing is lost. Calls
Telegram had already accepted in that instant are sent again: at least once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import typing
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any

from aiogram import Bot, methods
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import Chat, Message
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.runtime.sent_marks import SentMarks
from bot.clock import Clock
from bot.presentation import outbox
from bot.presentation.json_session import message_ids_only
from bot.presentation.uploads import file_not_sent, upload
from bot.services import delivery_outcomes
from scheduler.resilience import is_transient
from storage import inbox, outbox_queue
from storage.fsm import replace_placeholders
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# Methods whose answer the handler needs now: made at once, even inside the transaction.
_READS = ("get", "create", "export", "download", "logOut", "close")
_NOT_MODIFIED = "message is not modified"
PLACEHOLDER_REF = "sent:"


def is_placeholder(value: object) -> bool:
    """A stand-in message id (real ones are positive)."""
    return isinstance(value, int) and not isinstance(value, bool) and value <= -(2**40)


def _new_placeholder() -> int:
    return -(2**40 + secrets.randbits(50))


@dataclass
class Call:
    """One recorded Bot API call; ``params`` is its JSON form (None for a file upload,
    which cannot be stored), ``placeholder`` the stand-in id its result was given;
    ``apology``: for an upload, what the person reads instead if it cannot be made."""

    api_method: str
    chat_id: int | None
    params: dict[str, Any] | None
    method: TelegramMethod[Any] | None = None
    placeholder: int | None = None
    apology: str | None = None

    def stored(self) -> dict[str, Any]:
        assert self.params is not None
        return {"method": self.api_method, "params": self.params, "placeholder": self.placeholder}

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Call:
        params = stored["params"]
        return cls(stored["method"], params.get("chat_id"), params, None, stored.get("placeholder"))


@dataclass
class Collector:
    calls: list[Call] = field(default_factory=list)
    # Set when the update's handling is over: a task it started (an export built in the
    # background) inherits the collector, and from then on sends at once.
    closed: bool = False

    def storable(self) -> list[dict[str, Any]]:
        """What is kept with the inbox row until the calls are made: after a crash an
        upload (its bytes are not kept) becomes its apology."""
        carriable = (_carriable(call) for call in self.calls)
        return [call.stored() for call in carriable if call.params is not None]


_collecting: ContextVar[Collector | None] = ContextVar("collecting_bot_calls", default=None)


@contextmanager
def collecting() -> Iterator[Collector]:
    """Bot API calls that change something, made in this block, are recorded, not made."""
    collector = Collector()
    token = _collecting.set(collector)
    try:
        yield collector
    finally:
        collector.closed = True
        _collecting.reset(token)


def _json_fallback(value: Any) -> Any:
    if isinstance(value, Default):
        return _DROPPED_MARK
    raise TypeError(type(value).__name__)


_DROPPED_MARK = "\x00default"


def _without_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_defaults(v) for k, v in value.items() if v != _DROPPED_MARK}
    if isinstance(value, list):
        return [_without_defaults(v) for v in value]
    return value


def as_json(method: TelegramMethod[Any]) -> dict[str, Any] | None:
    """The call's parameters as JSON, the bot's defaults left to apply when it is made;
    None when it carries a file to upload.

    What the handler set is kept, ``None`` included (``parse_mode=None`` means "no
    formatting", not "the bot's default"), and so is every fixed value a type carries
    without being set (``ReplyKeyboardRemove.remove_keyboard``, ``InputMediaPhoto.type``):
    without them the call would be rebuilt as another type, or as nothing."""
    _mark_fixed_values(method)
    try:
        dumped = method.model_dump(
            mode="json", exclude_unset=True, by_alias=True, fallback=_json_fallback
        )
    except Exception:  # an InputFile: bytes to upload
        return None
    return dict(_without_defaults(dumped))


def _mark_fixed_values(model: BaseModel) -> None:
    """Count as set each unset field of ``model`` and of the models it holds whose value
    is a fixed one (not None, not the bot's default)."""
    for name in _fixed_fields(type(model)):
        if name not in model.model_fields_set and getattr(model, name) is not None:
            model.model_fields_set.add(name)
    for name in model.model_fields_set:
        _mark_within(getattr(model, name, None))


def _mark_within(value: Any) -> None:
    if isinstance(value, BaseModel):
        _mark_fixed_values(value)
    elif isinstance(value, list):
        for item in value:
            _mark_within(item)


@cache
def _fixed_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` with a default that is a value: a ``Literal`` type tag, a
    ``remove_keyboard=True``."""
    return tuple(
        name
        for name, info in cls.model_fields.items()
        if info.default is not None
        and info.default is not PydanticUndefined
        and not isinstance(info.default, Default)
    )


def build_method(api_method: str, params: dict[str, Any]) -> TelegramMethod[Any]:
    cls = getattr(methods, api_method[0].upper() + api_method[1:], None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, TelegramMethod):
        raise ValueError(f"unknown Bot API method {api_method!r}")
    return cls.model_validate(params)


# ``model_construct`` fills in each of Message's ~90 defaults (half a millisecond a call);
# a copy of one built once costs microseconds.
_MESSAGE = Message.model_construct(
    message_id=0,
    date=datetime.fromtimestamp(0, UTC),
    chat=Chat.model_construct(id=0, type="private"),
)


def _stand_in(method: TelegramMethod[Any], placeholder: int, chat_id: int | None) -> Any:
    returning = method.__returning__
    options = typing.get_args(returning) if typing.get_origin(returning) else (returning,)
    message = _MESSAGE.model_copy(
        update={
            "message_id": placeholder,
            "chat": _MESSAGE.chat.model_copy(update={"id": chat_id or 0}),
        }
    )
    if Message in options:
        return message
    if typing.get_origin(returning) is list:
        return [message]
    if bool in options:
        return True
    return None


class DeferringMiddleware(BaseRequestMiddleware):
    """Inside :func:`collecting`, records the calls that change something (see the module)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Any:
        collector = _collecting.get()
        api_method = method.__api_method__
        if collector is None or collector.closed or api_method.startswith(_READS):
            return await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None:
            callback = getattr(method, "callback_query_id", None)
            chat_id = None if callback else getattr(method, "user_id", None)
        params = as_json(method)
        placeholder = _new_placeholder()
        collector.calls.append(
            Call(
                api_method,
                chat_id if isinstance(chat_id, int) else None,
                params,
                method,
                placeholder,
                apology=file_not_sent() if params is None else None,
            )
        )
        return _stand_in(method, placeholder, chat_id if isinstance(chat_id, int) else None)


def install(bot: Bot) -> None:
    """Put the deferring middleware on ``bot``'s session (once)."""
    if not any(isinstance(m, DeferringMiddleware) for m in bot.session.middleware._middlewares):
        bot.session.middleware(DeferringMiddleware())


# ------------------------------------------------------------------ after the commit


def _substitute(value: Any, known: dict[int, int]) -> tuple[Any, bool]:
    """``value`` with known placeholders replaced; and whether an unknown one is left."""
    if is_placeholder(value):
        if value in known:
            return known[value], False
        return value, True
    if isinstance(value, dict):
        unknown = False
        out = {}
        for k, v in value.items():
            out[k], left = _substitute(v, known)
            unknown = unknown or left
        return out, unknown
    if isinstance(value, list):
        items = [_substitute(v, known) for v in value]
        return [v for v, _ in items], any(left for _, left in items)
    return value, False


@dataclass
class Delivery:
    """What happened to an update's calls: ids learnt, calls handed to the outbox."""

    known: dict[int, int] = field(default_factory=dict)
    to_outbox: list[tuple[Call, timedelta]] = field(default_factory=list)
    refused: list[tuple[Call, str]] = field(default_factory=list)  # 403: unreachable


async def send_calls(bot: Bot, calls: list[Call], delivery: Delivery) -> None:
    """Make ``calls`` (see the module); fills ``delivery`` as it goes, so a cancellation
    leaves in it what is known so far.

    Calls that cannot change each other's outcome go side by side, each of Telegram's
    round-trips no longer waiting for the one before (:func:`lanes`): a press's callback
    answer, each chat's messages, an edit of a message sent earlier. Within a lane the
    calls keep their order."""
    grouped = lanes(calls)
    if len(grouped) == 1:
        await _send_in_order(bot, grouped[0], delivery)
        return
    async with asyncio.TaskGroup() as group:
        for lane in grouped:
            group.create_task(_send_in_order(bot, lane, delivery))


def lanes(calls: list[Call]) -> list[list[Call]]:
    """``calls`` split into lanes that may be made side by side, each in its order:

    - a callback answer on its own (it only stops the button's spinner);
    - an edit or deletion of a message sent before this update, with the other changes
      of that message (two edits of one message stay in order);
    - the rest by chat: what a chat reads arrives in the order it was written;
    - a call that refers to a message this update sends (an edit of it, a reply to it)
      in the lane of the call that sends it, wherever it goes."""
    by_key: dict[object, list[Call]] = {}
    lane_of_placeholder: dict[int, object] = {}
    for call in calls:
        key = _lane_key(call, lane_of_placeholder)
        by_key.setdefault(key, []).append(call)
        if call.placeholder is not None:
            lane_of_placeholder[call.placeholder] = key
    return list(by_key.values())


def _lane_key(call: Call, lane_of_placeholder: dict[int, object]) -> object:
    for placeholder in _placeholders_in(call.params):
        if placeholder in lane_of_placeholder:
            return lane_of_placeholder[placeholder]
    if call.api_method == "answerCallbackQuery":
        return ("callback", id(call))
    message_id = (call.params or {}).get("message_id")
    if (
        call.api_method.startswith(("edit", "delete"))
        and isinstance(message_id, int)
        and not is_placeholder(message_id)
    ):
        return ("message", call.chat_id, message_id)
    return ("chat", call.chat_id)


def _placeholders_in(value: Any) -> Iterator[int]:
    if is_placeholder(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _placeholders_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders_in(item)


async def _send_in_order(bot: Bot, calls: list[Call], delivery: Delivery) -> None:
    held_chats: set[int | None] = set()
    for index, call in enumerate(calls):
        try:
            if call.chat_id in held_chats:
                delivery.to_outbox.append((call, timedelta(0)))
                continue
            method = _method_for(call, delivery.known)
            if method is None:  # refers to a message not sent yet: the outbox follows it
                delivery.to_outbox.append((call, timedelta(0)))
                held_chats.add(call.chat_id)
                continue
            await _make(bot, call, method, delivery)
        except asyncio.CancelledError:
            # Stopping: what is not sent yet goes to the outbox, nothing is made twice.
            delivery.to_outbox.extend((c, timedelta(0)) for c in calls[index:])
            raise
        except TelegramRetryAfter as error:
            delivery.to_outbox.append((call, timedelta(seconds=error.retry_after)))
            held_chats.add(call.chat_id)
        except TelegramForbiddenError as error:
            # Blocked, or removed from the group: held for when they are back.
            delivery.refused.append((call, str(error)))
            held_chats.add(call.chat_id)
        except TelegramBadRequest as error:  # the repost of an edit, refused too
            log.warning("Telegram refused %s after commit: %s", call.api_method, error)
        except Exception as error:
            log.info(
                "Sending %s after commit failed (%s); the outbox retries", call.api_method, error
            )
            delivery.to_outbox.append((call, timedelta(0)))
            held_chats.add(call.chat_id)


def _method_for(call: Call, known: dict[int, int]) -> TelegramMethod[Any] | None:
    if call.params is None:
        assert call.method is not None
        return call.method
    params, unknown = _substitute(call.params, known)
    if unknown:
        return None
    if params == call.params and call.method is not None:
        return call.method
    return build_method(call.api_method, params)


async def _make(bot: Bot, call: Call, method: TelegramMethod[Any], delivery: Delivery) -> None:
    try:
        # An upload cannot wait in the outbox: refused for now, it is made again here.
        with message_ids_only():  # all that is read of the answer
            result = await (bot(method) if call.params is not None else upload(bot, method))
    except TelegramBadRequest as error:
        if _NOT_MODIFIED in str(error).lower():
            return
        if not _edit_to_repost(call, error):
            log.warning("Telegram refused %s after commit: %s", call.api_method, error)
            return
        assert call.params is not None
        repost = {
            k: v
            for k, v in call.params.items()
            if k in ("chat_id", "text", "parse_mode", "reply_markup", "entities")
        }
        with message_ids_only():
            result = await bot(build_method("sendMessage", repost))
    if call.placeholder is not None:
        first = result[0] if isinstance(result, list) and result else result
        message_id = getattr(first, "message_id", None)
        if isinstance(message_id, int):
            delivery.known[call.placeholder] = message_id


def _edit_to_repost(call: Call, error: TelegramAPIError) -> bool:
    """An edited text Telegram will not apply (the message is gone, or too old) is posted anew."""
    text = str(error).lower()
    return (
        call.api_method == "editMessageText"
        and call.params is not None
        and isinstance(call.chat_id, int)
        and _NOT_MODIFIED not in text
        and ("not found" in text or "can't be edited" in text)
    )


async def record(
    session: AsyncSession,
    delivery: Delivery,
    *,
    update_id: int | None,
    fsm_keys: set[str],
    now: datetime,
) -> None:
    """The second short transaction: ids into the conversation data, refused calls into
    the outbox, the inbox row's calls cleared."""
    if delivery.known and fsm_keys:
        await replace_placeholders(session, fsm_keys, delivery.known)
    await to_outbox(session, delivery.to_outbox, delivery.known, now)
    for call, reason in delivery.refused:
        await _held_for_unreachable(session, call, reason, now)
    if update_id is not None:
        await inbox.replies_sent(session, [update_id])


async def to_outbox(
    session: AsyncSession,
    calls: list[tuple[Call, timedelta]],
    known: dict[int, int],
    now: datetime,
) -> int:
    """Queue calls the outbox can carry, an upload as its apology; the rest (callback
    answers) are dropped."""
    queued = 0
    for call, delay in calls:
        call = _carriable(call)
        if call.params is None or call.api_method not in outbox.DELIVERABLE_METHODS:
            log.warning("Dropped %s that could not be sent after commit", call.api_method)
            continue
        if call.chat_id is None:
            continue
        params, unknown = _substitute(call.params, known)
        ref = None
        if call.placeholder is not None and call.api_method.startswith("send"):
            ref = f"{PLACEHOLDER_REF}{-call.placeholder}"
        if unknown:
            target = params.get("message_id")
            if call.api_method.startswith("edit") and is_placeholder(target):
                # An edit of a message not delivered yet: the outbox finds it by its ref.
                params = {k: v for k, v in params.items() if k != "message_id"}
                ref = f"{PLACEHOLDER_REF}{-target}"
            else:
                params = _drop_reply_to_placeholder(params)
        await outbox.enqueue(
            session,
            chat_id=call.chat_id,
            method=call.api_method,
            payload={k: v for k, v in params.items() if k != "chat_id"},
            now=now + delay,
            ref=ref,
            sealed=True,  # what the handler showed the person: their phone number, say
        )
        queued += 1
    return queued


async def _held_for_unreachable(
    session: AsyncSession, call: Call, reason: str, now: datetime
) -> None:
    """Telegram answered 403: the recipient is unreachable, as when the outbox hears it, and
    the message is kept as the outbox keeps those (sent again when they write to us)."""
    if call.chat_id is None:
        return
    await delivery_outcomes.recipient_unreachable(session, call.chat_id, now, reason)
    call = _carriable(call)
    if call.params is None or call.api_method not in outbox.DELIVERABLE_METHODS:
        return
    session.add(
        OutboxMessage(
            chat_id=call.chat_id,
            method=call.api_method,
            payload=outbox_queue.sealed({k: v for k, v in call.params.items() if k != "chat_id"}),
            status=OutboxStatus.INACTIVE,
            attempts=1,
            created_at=now,
            next_attempt_at=now,
            last_error=reason[:2000],
        )
    )


def _carriable(call: Call) -> Call:
    """An upload that could not be made becomes its apology (a text the outbox carries)."""
    if call.params is not None or call.apology is None or call.chat_id is None:
        return call
    return Call("sendMessage", call.chat_id, {"chat_id": call.chat_id, "text": call.apology})


def _drop_reply_to_placeholder(params: dict[str, Any]) -> dict[str, Any]:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and is_placeholder(reply.get("message_id")):
        return {k: v for k, v in params.items() if k != "reply_parameters"}
    return params


async def deliver(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    calls: list[Call],
    *,
    update_id: int | None,
    fsm_keys: set[str],
    unrecorded: list[Callable[[], Awaitable[None]]] | None = None,
    sent_marks: SentMarks | None = None,
) -> None:
    """Send an update's calls after its commit and write down what happened; if the
    database is away, the writing is appended to ``unrecorded`` (and the error raised).
    With ``sent_marks``, an update with nothing else to write down is marked done there,
    with others (``runtime/sent_marks.py``)."""
    delivery = Delivery()
    try:
        await send_calls(bot, calls, delivery)
    finally:
        only_the_mark = not (
            delivery.to_outbox or delivery.refused or (delivery.known and fsm_keys)
        )
        if update_id is not None and only_the_mark and sent_marks is not None:
            sent_marks.add(update_id)
        elif update_id is not None or not only_the_mark:
            write = partial(
                _record_in_own_transaction, sessionmaker, clock, delivery, update_id, fsm_keys
            )
            try:
                await asyncio.shield(write())
            except Exception as error:
                if unrecorded is not None and is_transient(error):
                    unrecorded.append(write)
                raise


async def _record_in_own_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    delivery: Delivery,
    update_id: int | None,
    fsm_keys: set[str],
) -> None:
    async with sessionmaker() as session, session.begin():
        await record(session, delivery, update_id=update_id, fsm_keys=fsm_keys, now=clock.now())


async def recover_owed(
    session: AsyncSession, now: datetime, *, in_hand: Collection[int] = ()
) -> int:
    """Calls of updates committed by a process that died before sending them go to the
    outbox (see the module); returns how many updates had some. ``in_hand``: updates the
    caller is still delivering (their lease may look expired when the clock jumps)."""
    rows = await inbox.owed_replies_due(session, now, exclude=in_hand)
    for row in rows:
        calls = [Call.from_stored(stored) for stored in inbox.owed_calls(row.payload)]
        await to_outbox(session, [(call, timedelta(0)) for call in calls], {}, now)
    await inbox.replies_sent(session, [row.update_id for row in rows])
    return len(rows)
