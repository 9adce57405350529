"""The fake Bot API HTTP server and its test-facing API.

See the package docstring for how to point aiogram at it.  Request flow for
``/bot<token>/<method>``: token check (401) -> method lookup (404) -> decode
params -> injected failure? -> delay? -> rate limit? -> handler -> record -> reply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from fake_telegram.actions import UserActionsMixin
from fake_telegram.errors import NOT_FOUND, UNAUTHORIZED, ApiError, too_many_requests
from fake_telegram.faults import DelayRule, FailRule, FaultInjector
from fake_telegram.group_events import GroupEventsMixin
from fake_telegram.methods import MethodContext, canonical_name, lookup
from fake_telegram.methods.common import bool_param
from fake_telegram.models import ApiCall, BotProfile, ChatRecord, StoredFile, StoredMessage
from fake_telegram.payloads import media_kind
from fake_telegram.rate_limits import RateLimiter
from fake_telegram.recording import CallRecorder
from fake_telegram.request_parsing import parse_request
from fake_telegram.state import BotState, scope_key

log = logging.getLogger("fake_telegram")

MAX_REQUEST_SIZE = 64 * 1024 * 1024
_BAD_GATEWAY = ApiError(502, "Bad Gateway")


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        status=status,
        content_type="application/json",
    )


class FakeTelegramServer(UserActionsMixin, GroupEventsMixin):
    """A real HTTP server speaking the Telegram Bot API, plus test controls.

    ``stats`` counts ``calls`` (all API calls), ``sent`` (accepted send* calls),
    ``rate_limited`` (429s from enforced limits), ``injected`` (fail_next hits),
    ``errors`` (all non-ok answers) and ``internal_errors`` (bugs in the fake
    itself, also listed with tracebacks in ``internal_errors``).
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        bot_username: str = "resident_test_bot",
        enforce_rate_limits: bool = False,
        *,
        bot_first_name: str = "Resident Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_ampersand: bool = True,
        response_delay: float = 0.0,
    ) -> None:
        self.token = token
        #: Seconds every answer is held back (a real network's latency; 0 = none).
        self.response_delay = response_delay
        self.enforce_rate_limits = enforce_rate_limits
        self.host = host
        self.port = port
        self.base_url = ""
        self.state = BotState(
            BotProfile(id=bot_id, username=bot_username, first_name=bot_first_name),
            strict_ampersand=strict_ampersand,
        )
        self.add_group = self.state.add_group  # the bot is already in it; no update is sent
        self.stats: dict[str, int] = {
            "calls": 0,
            "sent": 0,
            "rate_limited": 0,
            "injected": 0,
            "errors": 0,
            "internal_errors": 0,
        }
        self.recorder = CallRecorder(canonical_name, self.stats)
        # The call log's queries, offered on the server itself: ``telegram.wait_for(...)``.
        self.calls_of = self.recorder.calls_of
        self.clear_calls = self.recorder.clear  # state such as messages is kept
        self.mark = self.recorder.mark
        self.wait_for = self.recorder.wait_for
        self.faults = FaultInjector(canonical_name)
        self.rate_limiter = RateLimiter()
        self.internal_errors: list[str] = []
        #: Hook to add extra routes (used by ``python -m fake_telegram``).
        self.on_app_created: Callable[[web.Application], None] | None = None
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        # Answers being held back (``delay_next``, ``response_delay``), released early by
        # ``release_delayed`` and by ``stop``.
        self._held: set[asyncio.Event] = set()

    @property
    def bot_id(self) -> int:
        return self.state.bot.id

    @property
    def bot_username(self) -> str:
        return self.state.bot.username

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Bind (port 0 = random free port) and set ``base_url``."""
        if self._runner is not None:
            return
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=MAX_REQUEST_SIZE)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self.on_app_created is not None:
            self.on_app_created(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self.base_url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Wake long polls and delayed responses, then close the listener."""
        if self._runner is None:
            return
        self._stopping.set()
        self.release_delayed()
        self.state.update_event.set()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """``{base_url}/bot{token}`` — prefix for raw HTTP calls in tests."""
        return f"{self.base_url}/bot{self.token}"

    # ------------------------------------------------------------------ HTTP
    async def _handle_api(self, request: web.Request) -> web.Response:
        response = await self._answer_api(request)
        if self.response_delay > 0:
            await self._sleep(self.response_delay)
        return response

    async def _answer_api(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._refuse(raw_method, {}, UNAUTHORIZED)
        spec = lookup(raw_method)
        try:
            params, uploads = await parse_request(request)
        except ApiError as exc:
            return self._refuse(canonical_name(raw_method), {}, exc)
        if spec is None:
            return self._refuse(raw_method, params, NOT_FOUND, uploads=uploads)
        name = spec.name

        injected = self.faults.take_failure(name, params)
        if injected is not None:
            self.stats["injected"] += 1
            return self._refuse(name, params, injected, fault="injected", uploads=uploads)

        delay = self.faults.take_delay(name, params)
        if delay is not None and not delay.apply:
            # Lost before processing: nothing happens; a client still waiting gets 502.
            response = self._refuse(name, params, _BAD_GATEWAY, fault="dropped", uploads=uploads)
            await self._sleep(delay.seconds)
            return response

        chat_key = params.get("chat_id")
        paid = spec.sends and bool_param(params, "allow_paid_broadcast")
        if spec.sends and self.enforce_rate_limits and chat_key is not None:
            retry_after = self.rate_limiter.check(chat_key, paid=paid)
            if retry_after is not None:
                self.stats["rate_limited"] += 1
                error = too_many_requests(retry_after)
                return self._refuse(name, params, error, fault="rate_limited", uploads=uploads)

        ctx = MethodContext(self.state, params, uploads, self._stopping)
        status = 200
        try:
            result = await spec.handler(ctx) if spec.is_async else spec.handler(ctx)
            body = {"ok": True, "result": result}
        except ApiError as exc:
            body, status = exc.to_response(), exc.error_code
        except Exception:  # a bug in the fake: answer 500 but keep the evidence
            details = traceback.format_exc()
            log.error("fake_telegram handler for %s crashed:\n%s", name, details)
            self.internal_errors.append(details)
            self.stats["internal_errors"] += 1
            body, status = (
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                500,
            )
        if status == 200 and spec.sends:
            self.stats["sent"] += 1
            if self.enforce_rate_limits and chat_key is not None:
                self.rate_limiter.commit(chat_key, paid=paid)
        self.recorder.record(
            name, params, body, fault="delayed" if delay else None, uploads=uploads
        )
        response = _json_response(body, status)
        if delay is not None:
            # Processed, but the answer is late (e.g. lost in transit for the client).
            await self._sleep(delay.seconds)
        return response

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_response(UNAUTHORIZED.to_response(), 401)
        stored = self.state.files.at_path(request.match_info["path"])
        if stored is None:
            return _json_response(NOT_FOUND.to_response(), 404)
        return web.Response(
            body=stored.data, content_type=stored.details.mime_type or "application/octet-stream"
        )

    def _refuse(
        self,
        method: str,
        params: dict[str, Any],
        error: ApiError,
        *,
        fault: str | None = None,
        uploads: dict[str, Any] | None = None,
    ) -> web.Response:
        """Record a call answered with ``error`` and give that answer, with its status."""
        body = error.to_response()
        self.recorder.record(method, params, body, fault=fault, uploads=uploads)
        return _json_response(body, error.error_code)

    async def _sleep(self, seconds: float) -> None:
        if self._stopping.is_set():
            return  # shutting down: nothing is held back any more
        released = asyncio.Event()
        self._held.add(released)
        try:
            await asyncio.wait_for(released.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            self._held.discard(released)

    def release_delayed(self) -> None:
        """Give now every answer being held back (by ``delay_next``, or by
        ``response_delay``): for a test that needs its client waiting exactly while
        something else happens (a long delay, then this)."""
        for held in self._held:
            held.set()

    # ------------------------------------------------------------- recording
    @property
    def calls(self) -> list[ApiCall]:
        """Every API call in arrival order (since the last clear_calls)."""
        return self.recorder.calls

    async def wait_updates_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every pushed update has been handed out by getUpdates."""
        state = self.state
        await self.recorder.wait_until(
            lambda: state.last_delivered_update_id >= state.next_update_id - 1, timeout
        )

    # ---------------------------------------------------------------- state
    def chat(self, chat_id: int) -> ChatRecord:
        """The server's record of a chat (KeyError if unknown)."""
        return self.state.chats[chat_id]

    def messages_in(
        self,
        chat_id: int,
        *,
        include_user_messages: bool = False,
        include_deleted: bool = False,
    ) -> list[StoredMessage]:
        """Messages in a chat in id order; by default only the bot's, not deleted."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return []
        if include_user_messages:
            found = [chat.messages[i] for i in sorted(chat.messages)]
        else:
            found = [chat.messages[i] for i in chat.bot_message_ids]
        return [m for m in found if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> StoredMessage | None:
        """The bot's most recent non-deleted message in a chat."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return None
        for message_id in reversed(chat.bot_message_ids):
            message = chat.messages[message_id]
            if not message.deleted:
                return message
        return None

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Any stored message (bot's or user's), deleted ones included."""
        chat = self.state.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def file(self, file_id: str) -> StoredFile:
        """A stored file by file_id (KeyError if unknown)."""
        return self.state.files[file_id]

    def file_of(self, message: StoredMessage | dict[str, Any]) -> StoredFile:
        """The file carried by a message (largest photo size, document, voice, ...)."""
        data = message.data if isinstance(message, StoredMessage) else message
        kind = media_kind(data)
        if kind is None:
            raise LookupError("message carries no file")
        payload = data[kind]
        file_id = payload[-1]["file_id"] if isinstance(payload, list) else payload["file_id"]
        return self.state.files[file_id]

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list the bot stored for a scope + language."""
        return list(self.state.commands.get((scope_key(scope), language_code), []))

    def push_update(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Queue any update dict (``update_id`` is assigned if missing)."""
        return self.state.push_update(raw)

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self.state.updates)

    # --------------------------------------------------------- fault injection
    def fail_next(
        self,
        method: str,
        error: ApiError,
        *,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """The next ``times`` matching calls fail with ``error`` and are NOT applied.

        ``method`` may be ``"*"`` for any method; ``fake_telegram.errors`` builds the
        errors Telegram sends (``too_many_requests(7)``, ``chat_not_found()``, ...).
        """
        self.faults.add_failure(
            FailRule(method=method, error=error, remaining=times, chat_id=chat_id)
        )

    def delay_next(
        self,
        method: str,
        seconds: float,
        times: int = 1,
        chat_id: int | str | None = None,
        *,
        apply: bool = True,
    ) -> None:
        """Hold the response of the next ``times`` matching calls for ``seconds``.

        ``apply=True``: the call takes effect immediately and only the answer is
        late (an answer lost in transit when the client times out first).
        ``apply=False``: nothing happens (the request never got processed); a
        client that is still waiting afterwards receives 502 Bad Gateway.
        """
        self.faults.add_delay(
            DelayRule(method=method, seconds=seconds, remaining=times, chat_id=chat_id, apply=apply)
        )

    def clear_faults(self) -> None:
        """Drop all pending fail_next/delay_next rules."""
        self.faults.clear()

    def block_chat(self, chat_id: int) -> None:
        """Sends to ``chat_id`` get 403: "bot was blocked by the user" for private
        chats, "bot was kicked from the (super)group chat" for groups.
        No update is emitted; see user_blocks_bot/bot_kicked_from_group for that.
        """
        chat = self.state.chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                chat = self.state.register_user_id(chat_id)
            else:
                chat = self.state.add_group(chat_id, f"Group {-chat_id}")
        if chat.type == "private":
            chat.blocked_by_user = True
        else:
            chat.bot_status = "kicked"

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat` (the bot is a plain member again in groups)."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return
        chat.blocked_by_user = False
        if chat.type != "private" and chat.bot_status == "kicked":
            chat.bot_status = "member"
