"""The sandbox page and its small JSON API (aiohttp, served on 127.0.0.1 by default).

``GET /api/state?since=N`` long-polls: it answers as soon as anything changed after
version ``N`` (or after a while with nothing new), with every pane's chat as the page
draws it. The other routes are what people do: say something, press a button, share
their contact, send a photo, move the clock, start over.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from importlib import resources
from typing import Any

from aiohttp import web

from bot.app.sandbox.cast import Pane
from bot.app.sandbox.runtime import Sandbox
from bot.app.sandbox.seed import sample_photo
from bot.app.sandbox.view import chat_view
from fake_telegram import FakeUser
from fake_telegram.media import image_size

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 20.0
MAX_UPLOAD = 10 * 1024 * 1024
MAX_HOURS = 24 * 30
SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)
_STATIC_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}


def _static(name: str) -> bytes:
    return (resources.files("bot.app.sandbox") / "static" / name).read_bytes()


def _ahead(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"+{days} d {hours} h" if days else f"+{hours} h"


def state_of(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.clock.now().astimezone(sandbox.zone)
    body: dict[str, Any] = {
        "version": sandbox.version,
        "epoch": sandbox.epoch,
        "status": sandbox.status,
        "problem": sandbox.problem,
        "now": now.strftime("%Y-%m-%d %H:%M"),
        "weekday": now.strftime("%a"),
        "zone": str(sandbox.zone),
        "ahead": _ahead(sandbox.clock.ahead),
        "toasts": [vars(toast) for toast in sandbox.toasts],
        "panes": [],
    }
    if not sandbox.running:
        return body
    for pane in sandbox.cast.panes:
        body["panes"].append(
            {
                "key": pane.key,
                "title": pane.title,
                "subtitle": pane.subtitle,
                "kind": pane.kind,
                "speakers": [{"id": p.telegram_id, "name": p.name} for p in pane.speakers],
                **chat_view(sandbox.telegram, pane.chat_id, sandbox.zone),
            }
        )
    return body


class Refusal(web.HTTPBadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(text=reason)


def _running(request: web.Request) -> Sandbox:
    sandbox = request.app[SANDBOX_KEY]
    if not sandbox.running or sandbox.status == "starting":
        raise web.HTTPServiceUnavailable(text="the sandbox is starting")
    return sandbox


def _actor(sandbox: Sandbox, body: dict[str, Any]) -> tuple[Pane, FakeUser, int | None]:
    """The pane acted in, who acts (a group's chosen speaker) and the chat for the fake."""
    try:
        pane = sandbox.cast.pane(str(body.get("pane")))
    except KeyError:
        raise Refusal("unknown pane") from None
    if pane.is_group:
        speakers = {p.telegram_id: p for p in pane.speakers}
        try:  # the page sends the member's id as a string
            chosen = int(body.get("as") or next(iter(speakers)))
        except (TypeError, ValueError):
            raise Refusal("not a member of this group") from None
        if chosen not in speakers:
            raise Refusal("not a member of this group")
        return pane, sandbox.telegram.state.users[chosen], pane.chat_id
    return pane, sandbox.telegram.state.users[pane.chat_id], None


async def _acting(
    request: web.Request,
) -> tuple[Sandbox, dict[str, Any], tuple[Pane, FakeUser, int | None]]:
    """A JSON request where someone acts in a pane: the sandbox, the body, and the
    :func:`_actor` of it."""
    sandbox = _running(request)
    body = await request.json()
    return sandbox, body, _actor(sandbox, body)


async def _acted(sandbox: Sandbox) -> web.Response:
    """The page hears that the chats changed; the request is answered."""
    await sandbox.changed()
    return web.json_response({"ok": True})


def _reply_to(body: dict[str, Any]) -> int | None:
    value = body.get("reply_to")
    return int(value) if value not in (None, "", 0, "0") else None


def _topic_of(sandbox: Sandbox, chat: int | None, reply_to: int | None) -> int | None:
    """In a forum a reply goes to the replied message's topic (as in Telegram)."""
    if chat is None or reply_to is None:
        return None
    replied = sandbox.telegram.message(chat, reply_to)
    if replied is None or not replied.data.get("is_topic_message"):
        return None
    thread = replied.data.get("message_thread_id")
    return int(thread) if thread else None


async def index(_request: web.Request) -> web.Response:
    return web.Response(body=_static("index.html"), content_type="text/html", charset="utf-8")


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in (*_STATIC_TYPES, ".jpg"):
        raise web.HTTPNotFound()
    try:
        data = _static(name)
    except (FileNotFoundError, IsADirectoryError):
        raise web.HTTPNotFound() from None
    return web.Response(body=data, content_type=_STATIC_TYPES.get(suffix, "image/jpeg"))


async def state(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    since = int(request.query.get("since", "-1"))
    if since >= sandbox.version:
        await sandbox.wait_for_change(since, LONG_POLL_SECONDS)
    return web.json_response(state_of(sandbox))


async def send(request: web.Request) -> web.Response:
    sandbox, body, (_pane, user, chat) = await _acting(request)
    text = str(body.get("text") or "").strip()
    if not text:
        raise Refusal("nothing to send")
    reply_to = _reply_to(body)
    try:
        sandbox.telegram.send_text(
            user,
            text[:4096],
            chat_id=chat,
            reply_to=reply_to,
            message_thread_id=_topic_of(sandbox, chat, reply_to),
        )
    except LookupError:
        raise Refusal("the message replied to is gone") from None
    return await _acted(sandbox)


async def press(request: web.Request) -> web.Response:
    sandbox, body, (pane, user, _chat) = await _acting(request)
    update = sandbox.telegram.press_raw(
        user, pane.chat_id, int(body["message_id"]), str(body["data"])
    )
    sandbox.pressed(update, pane.key)
    return await _acted(sandbox)


async def contact(request: web.Request) -> web.Response:
    sandbox, _body, (_pane, user, chat) = await _acting(request)
    person = sandbox.cast.people[user.id]
    sandbox.telegram.send_contact(user, person.phone or f"+86139{user.id:08d}", chat_id=chat)
    return await _acted(sandbox)


async def photo(request: web.Request) -> web.Response:
    sandbox = _running(request)
    form = await request.post()
    body = {key: form.get(key) for key in ("pane", "as", "reply_to", "caption")}
    _pane, user, chat = _actor(sandbox, body)
    upload = form.get("file")
    if isinstance(upload, web.FileField):
        data = upload.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise Refusal("photos up to 10 MB")
    elif form.get("sample"):
        data = sample_photo()
    else:
        raise Refusal("no photo")
    size = image_size(data)
    if size is None:
        raise Refusal("a JPEG, PNG or GIF image, please")
    caption = str(body.get("caption") or "").strip() or None
    reply_to = _reply_to(body)
    sandbox.telegram.send_photo(
        user,
        chat_id=chat,
        caption=caption,
        data=data,
        reply_to=reply_to,
        message_thread_id=_topic_of(sandbox, chat, reply_to),
        width=size[0],
        height=size[1],
    )
    return await _acted(sandbox)


async def clock(request: web.Request) -> web.Response:
    sandbox = _running(request)
    body = await request.json()
    hours = float(body.get("hours") or 0)
    if not 0 < hours <= MAX_HOURS:
        raise Refusal(f"move between 0 and {MAX_HOURS} hours")
    now = await sandbox.advance(timedelta(hours=hours))
    return web.json_response({"ok": True, "now": now.isoformat()})


async def reset(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    await sandbox.reset()
    return web.json_response({"ok": True})


async def file(request: web.Request) -> web.Response:
    sandbox = _running(request)
    stored = sandbox.telegram.state.files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    headers = {}
    name = request.query.get("name")
    if name:
        safe = name.replace('"', "").replace("\r", "").replace("\n", "")
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(safe)}"
    content_type = stored.details.mime_type or (
        "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
    )
    if stored.kind == "photo" and stored.data[:8] == b"\x89PNG\r\n\x1a\n":
        content_type = "image/png"
    return web.Response(body=stored.data, content_type=content_type, headers=headers)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def build_web_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
    app[SANDBOX_KEY] = sandbox
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/state", state)
    app.router.add_post("/api/send", send)
    app.router.add_post("/api/press", press)
    app.router.add_post("/api/contact", contact)
    app.router.add_post("/api/photo", photo)
    app.router.add_post("/api/clock", clock)
    app.router.add_post("/api/reset", reset)
    app.router.add_get("/file/{file_id}", file)
    return app


async def serve(sandbox: Sandbox, host: str, port: int) -> web.AppRunner:
    """Start the page's server; the caller cleans the runner up."""
    runner = web.AppRunner(build_web_app(sandbox), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_sandbox(sandbox: Sandbox, host: str, port: int, ready: asyncio.Event) -> None:
    """Serve until cancelled: page first (so the URL works at once), then the bot."""
    runner = await serve(sandbox, host, port)
    try:
        await sandbox.start()
        ready.set()
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
        await runner.cleanup()
