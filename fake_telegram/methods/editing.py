"""editMessageText / editMessageCaption / editMessageReplyMarkup / deleteMessage.

An edit replaces the stored message JSON (the previous version goes to
``StoredMessage.history``).  As in Telegram, omitting ``reply_markup`` in an edit
removes the inline keyboard, and an edit that changes nothing is refused with
"message is not modified", which bots commonly have to tolerate.
"""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import NOT_MODIFIED, ApiError, bad_request
from fake_telegram.formatting import prepare_caption, prepare_text
from fake_telegram.keyboards import validate_reply_markup
from fake_telegram.methods.common import int_param, required_int
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.models import StoredMessage
from fake_telegram.payloads import media_kind


def _target(ctx: MethodContext) -> StoredMessage:
    params = ctx.params
    if params.get("inline_message_id"):
        # The fake does not model inline-mode messages.
        raise bad_request("MESSAGE_ID_INVALID")
    chat = ctx.state.chat_for_send(params.get("chat_id"))
    message_id = required_int(params, "message_id")
    message = ctx.state.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _apply(
    message: StoredMessage,
    changes: dict[str, Any],
    removed: tuple[str, ...],
    raw_markup: Any,
    edited_at: float,
) -> dict[str, Any]:
    old = message.data
    new = {key: value for key, value in old.items() if key not in removed}
    new.update(changes)
    new["edit_date"] = int(edited_at)
    message.history.append(old)
    message.data = new
    message.reply_markup = raw_markup
    return new


def _keyboard_edit(
    ctx: MethodContext, old: dict[str, Any], **content: Any
) -> tuple[Any, dict[str, Any], tuple[str, ...]]:
    """Validate the new keyboard and refuse an edit that changes nothing.

    ``content`` holds the edited fields' new values (entities as lists). Returns the raw
    markup and the keyboard's part of the edit: what to set and what to remove.
    """
    raw_markup = ctx.params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    if inline == old.get("reply_markup") and all(
        # Absent entities read as none.
        value == ((old.get(key) or []) if isinstance(value, list) else old.get(key))
        for key, value in content.items()
    ):
        raise ApiError(400, NOT_MODIFIED)
    if inline is None:
        return raw_markup, {}, ("reply_markup",)
    return raw_markup, {"reply_markup": inline}, ()


@api_method("editMessageText")
def edit_message_text(ctx: MethodContext) -> dict[str, Any]:
    """Replace text/entities (and the inline keyboard, which is dropped if omitted)."""
    params = ctx.params
    message = _target(ctx)
    old = message.data
    if "text" not in old:
        raise bad_request("there is no text in the message to edit")
    text, entities = prepare_text(params, strict_ampersand=ctx.state.strict_ampersand)
    raw_markup, changes, removed = _keyboard_edit(ctx, old, text=text, entities=entities)
    changes["text"] = text
    if entities:
        changes["entities"] = entities
    else:
        removed = (*removed, "entities")
    if isinstance(params.get("link_preview_options"), dict):
        changes["link_preview_options"] = params["link_preview_options"]
    return _apply(message, changes, removed, raw_markup, ctx.state.now())


@api_method("editMessageCaption")
def edit_message_caption(ctx: MethodContext) -> dict[str, Any]:
    """Replace (or remove, when omitted) the caption of a media message."""
    params = ctx.params
    message = _target(ctx)
    old = message.data
    if media_kind(old) is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = prepare_caption(params, strict_ampersand=ctx.state.strict_ampersand)
    raw_markup, changes, removed = _keyboard_edit(
        ctx, old, caption=caption, caption_entities=entities
    )
    removed = (*removed, "caption", "caption_entities")
    if caption:
        changes["caption"] = caption
        if entities:
            changes["caption_entities"] = entities
    return _apply(message, changes, removed, raw_markup, ctx.state.now())


@api_method("editMessageReplyMarkup")
def edit_message_reply_markup(ctx: MethodContext) -> dict[str, Any]:
    """Replace or remove the inline keyboard only."""
    message = _target(ctx)
    raw_markup, changes, removed = _keyboard_edit(ctx, message.data)
    return _apply(message, changes, removed, raw_markup, ctx.state.now())


@api_method("deleteMessage")
def delete_message(ctx: MethodContext) -> bool:
    """Mark a message deleted (it stays in the store with ``deleted=True``)."""
    params = ctx.params
    chat = ctx.state.require_chat(params.get("chat_id"))
    message_id = required_int(params, "message_id")
    message = ctx.state.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    return True


@api_method("deleteMessages")
def delete_messages(ctx: MethodContext) -> bool:
    """Bulk delete; unknown ids are skipped silently, as Telegram does."""
    params = ctx.params
    chat = ctx.state.require_chat(params.get("chat_id"))
    ids = params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        message = ctx.state.find_message(chat.id, int_param({"id": message_id}, "id"))
        if message is not None:
            message.deleted = True
    return True
