"""Cutting long messages into parts Telegram accepts (4096 UTF-16 units each), for the
outbox and — through :class:`FitToTelegram` on the bot's session — for every call.

Telegram counts the text after parsing entities, in UTF-16 code units; we count
the raw HTML the same way, which is never less, so every part is safely short.
Parts end at a line break where possible (else at a space, else anywhere), never
inside a tag or an ``&entity;``, and tags still open at a cut are closed at the
end of the part and opened again at the start of the next, so each part is
valid HTML on its own.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, methods
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TOKEN = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;|[^<&]+|[<&]", re.DOTALL)
_TAG = re.compile(r"<\s*(/)?\s*([a-zA-Z-]+)[^>]*?(/)?\s*>", re.DOTALL)
ELLIPSIS = "…"


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _pieces(text: str) -> list[str]:
    """Tags and entities whole; plain text one character at a time."""
    pieces: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token.startswith(("<", "&")) and len(token) > 1:
            pieces.append(token)
        else:
            pieces.extend(token)
    return pieces


def _track(stack: list[tuple[str, str]], piece: str) -> None:
    tag = _TAG.fullmatch(piece)
    if tag is None:
        return
    closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3)
    if self_closing:
        return
    if closing:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == name:
                del stack[index:]
                break
    else:
        stack.append((name, piece))


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _closing_units(stack: list[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in stack)


def _unit(piece: str) -> int:
    if len(piece) == 1:
        return 2 if ord(piece) > 0xFFFF else 1
    return units(piece)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as parts of at most ``limit`` units (one part if it fits)."""
    if units(text) <= limit:
        return [text]
    parts: list[str] = []
    pieces = _pieces(text)
    stack: list[tuple[str, str]] = []
    start = 0
    while start < len(pieces):
        prefix = _opening(stack)
        body: list[str] = []
        size = units(prefix)
        trial = list(stack)
        closing = _closing_units(trial)
        cut = None  # (index in pieces, stack there, length of body, 2 = newline / 1 = space)
        index = start
        while index < len(pieces):
            piece = pieces[index]
            after, after_closing = trial, closing
            if piece[0] == "<" and len(piece) > 1:  # only tags change what must be closed
                after = list(trial)
                _track(after, piece)
                after_closing = _closing_units(after)
            piece_units = _unit(piece)
            if size + piece_units + after_closing > limit and body:
                break
            body.append(piece)
            size += piece_units
            trial, closing = after, after_closing
            index += 1
            if piece == "\n":
                cut = (index, list(trial), len(body), 2)
            elif piece == " " and (cut is None or cut[3] < 2):
                cut = (index, list(trial), len(body), 1)
        if index >= len(pieces):
            parts.append(prefix + "".join(body) + _closing(trial))
            break
        if cut is not None and cut[2] > len(body) // 3:
            index, trial, kept, _ = cut
            body = body[:kept]
        parts.append((prefix + "".join(body)).rstrip("\n ") + _closing(trial))
        stack = trial
        start = index
        while start < len(pieces) and pieces[start] == "\n":
            start += 1
    return [part for part in parts if part.strip()]


def truncate_html(text: str, limit: int = TEXT_LIMIT) -> str:
    """The first part of ``text`` that fits, with an ellipsis when something was cut."""
    if units(text) <= limit:
        return text
    first = split_html(text, limit - 1)[0]
    return first + ELLIPSIS


def split_plain(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Plain text (no markup) as parts of at most ``limit`` units, cut at line breaks
    where possible."""
    if units(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = _unit(char)
        if size + width > limit:
            chunk = "".join(current)
            cut = chunk.rfind("\n")
            if cut > len(chunk) // 3:
                parts.append(chunk[:cut])
                current = list(chunk[cut + 1 :])
            else:
                parts.append(chunk)
                current = []
            size = units("".join(current))
        current.append(char)
        size += width
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def truncate_plain(text: str, limit: int) -> str:
    if units(text) <= limit:
        return text
    return split_plain(text, limit - 1)[0] + ELLIPSIS


# ---------------------------------------------------------------- every call the bot makes

ALERT_LIMIT = 200  # the text of an answer to a button press (an alert or a toast)
_CAPTIONED = (
    methods.SendPhoto,
    methods.SendDocument,
    methods.SendVideo,
    methods.SendAnimation,
    methods.SendAudio,
    methods.SendVoice,
    methods.CopyMessage,
    methods.EditMessageCaption,
)


def _is_html(bot: Bot, parse_mode: Any) -> bool | None:
    """True for HTML, False for plain text, None for another markup (left as it is)."""
    if isinstance(parse_mode, Default):
        parse_mode = bot.default[parse_mode.name] if bot.default is not None else None
    if parse_mode is None:
        return False
    return True if str(parse_mode).upper() == "HTML" else None


def _shortened(bot: Bot, text: str, parse_mode: Any, limit: int) -> str:
    html = _is_html(bot, parse_mode)
    if html is None or units(text) <= limit:
        return text
    return truncate_html(text, limit) if html else truncate_plain(text, limit)


def _captioned(bot: Bot, item: Any) -> Any:
    """One photo or document of an album, its caption shortened to fit."""
    if not item.caption or item.caption_entities:
        return item
    caption = _shortened(bot, item.caption, item.parse_mode, CAPTION_LIMIT)
    return item if caption == item.caption else item.model_copy(update={"caption": caption})


class FitToTelegram(BaseRequestMiddleware):
    """A request middleware on the bot's session, so that every message the bot sends —
    a handler's answer or the outbox's — fits Telegram's limits: a text over 4,096 UTF-16
    units is sent as several messages (the buttons with the last, which is returned); an
    edit or a caption that cannot be split is shortened with "…", as is a button's alert.
    Views page themselves (a resident's ticket, Details); this is the net under them."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, methods.SendMessage) and not method.entities:
            html = _is_html(bot, method.parse_mode)
            if html is not None and units(method.text) > TEXT_LIMIT:
                return await self._in_parts(make_request, bot, method, html)
        fitted: TelegramMethod[TelegramType] = self._fitted(bot, method)
        return await make_request(bot, fitted)

    @staticmethod
    def _fitted(bot: Bot, method: Any) -> Any:
        """The call with what cannot be split shortened (the same call if it fits)."""
        if isinstance(method, methods.EditMessageText) and method.text and not method.entities:
            text = _shortened(bot, method.text, method.parse_mode, TEXT_LIMIT)
            return method if text == method.text else method.model_copy(update={"text": text})
        if isinstance(method, _CAPTIONED) and method.caption and not method.caption_entities:
            caption = _shortened(bot, method.caption, method.parse_mode, CAPTION_LIMIT)
            if caption != method.caption:
                return method.model_copy(update={"caption": caption})
        if isinstance(method, methods.SendMediaGroup):
            media = [_captioned(bot, item) for item in method.media]
            return method.model_copy(update={"media": media})
        if isinstance(method, methods.AnswerCallbackQuery) and method.text:
            if units(method.text) > ALERT_LIMIT:
                text = truncate_plain(method.text, ALERT_LIMIT)
                return method.model_copy(update={"text": text})
        return method

    @staticmethod
    async def _in_parts(
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: methods.SendMessage,
        html: bool,
    ) -> Response[TelegramType]:
        parts = split_html(method.text) if html else split_plain(method.text)
        response = None
        for index, part in enumerate(parts):
            update: dict[str, Any] = {"text": part}
            if index > 0:
                update["reply_parameters"] = None  # only the first answers a message
                update["reply_to_message_id"] = None
            if index < len(parts) - 1:
                update["reply_markup"] = None  # the buttons go with the last part
            part_method: Any = method.model_copy(update=update)
            response = await make_request(bot, part_method)
        assert response is not None
        return response


async def fit_messages_to_telegram(bot: Bot) -> None:
    """At start: install :class:`FitToTelegram` on the bot's session (once)."""
    if not any(isinstance(m, FitToTelegram) for m in bot.session.middleware):
        bot.session.middleware(FitToTelegram())
