"""getUpdates (with real long polling) and the minimal webhook methods.

Offset semantics follow Telegram: passing ``offset=N`` confirms and forgets every
update with ``update_id < N``; a negative offset keeps only the last ``-N``.
A long poll returns as soon as an update is pushed, when ``timeout`` expires or
when the server stops.  A second concurrent getUpdates terminates the first with
409, which is what a real deployment sees when two instances poll.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from fake_telegram.errors import ApiError, bad_request
from fake_telegram.methods.common import bool_param, int_param
from fake_telegram.methods.registry import MethodContext, api_method

_WEBHOOK_CONFLICT = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TERMINATED = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)


@api_method("getUpdates")
async def get_updates(ctx: MethodContext) -> list[dict[str, Any]]:
    """Return pending updates, long-polling up to ``timeout`` seconds."""
    state = ctx.state
    params = ctx.params
    if state.webhook_url:
        raise _WEBHOOK_CONFLICT
    offset = int_param(params, "offset")
    limit = min(max(int_param(params, "limit", 100) or 100, 1), 100)
    timeout = max(int_param(params, "timeout", 0) or 0, 0)
    if offset is not None and offset != 0:
        state.confirm_updates(offset)
    state.poll_generation += 1
    generation = state.poll_generation
    # Wake an older long poll so that it notices it has been superseded.
    state.update_event.set()
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if generation != state.poll_generation:
            raise _TERMINATED
        updates = state.peek_updates(limit)
        remaining = deadline - loop.time()
        if updates or remaining <= 0 or ctx.stopping.is_set():
            return updates
        state.update_event.clear()
        try:
            await asyncio.wait_for(state.update_event.wait(), remaining)
        except TimeoutError:
            pass


@api_method("setWebhook")
def set_webhook(ctx: MethodContext) -> bool:
    """Store the URL, secret token and allowed updates (updates are *not* delivered to
    it: tests POST them themselves, as Telegram would; getUpdates then gets 409)."""
    url = ctx.params.get("url") or ""
    secret = ctx.params.get("secret_token") or ""
    if secret and not _SECRET_TOKEN.fullmatch(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    allowed = ctx.params.get("allowed_updates")
    if isinstance(allowed, str):
        allowed = json.loads(allowed)
    ctx.state.webhook_url = str(url)
    ctx.state.webhook_secret_token = str(secret)
    if allowed is not None:
        ctx.state.webhook_allowed_updates = [str(kind) for kind in allowed]
    if bool_param(ctx.params, "drop_pending_updates"):
        ctx.state.updates.clear()
    return True


@api_method("deleteWebhook")
def delete_webhook(ctx: MethodContext) -> bool:
    """Remove the webhook; ``drop_pending_updates`` discards the queue."""
    ctx.state.webhook_url = ""
    ctx.state.webhook_secret_token = ""
    if bool_param(ctx.params, "drop_pending_updates"):
        ctx.state.updates.clear()
    return True


@api_method("getWebhookInfo")
def get_webhook_info(ctx: MethodContext) -> dict[str, Any]:
    """Minimal WebhookInfo."""
    return {
        "url": ctx.state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(ctx.state.updates),
        **(
            {"allowed_updates": ctx.state.webhook_allowed_updates}
            if ctx.state.webhook_url and ctx.state.webhook_allowed_updates is not None
            else {}
        ),
    }
