"""answerCallbackQuery: answers are stored so tests can assert on toasts/alerts."""

from __future__ import annotations

from fake_telegram.errors import bad_request
from fake_telegram.methods.common import bool_param, int_param
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.models import CallbackAnswer

_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@api_method("answerCallbackQuery")
def answer_callback_query(ctx: MethodContext) -> bool:
    """Answer once per query; unknown or repeated ids get Telegram's "too old" 400."""
    params = ctx.params
    query_id = str(params.get("callback_query_id") or "")
    queries = ctx.state.callback_queries
    if query_id not in queries or queries[query_id] is not None:
        raise bad_request(_TOO_OLD)
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    queries[query_id] = CallbackAnswer(
        callback_query_id=query_id,
        text=str(text) if text is not None else None,
        show_alert=bool_param(params, "show_alert"),
        url=params.get("url"),
        cache_time=int_param(params, "cache_time"),
    )
    return True
