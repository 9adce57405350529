"""Chat-level methods: getChat, getChatMember, leaveChat, chat actions, reactions, pins."""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.methods.common import int_param, required_int
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.models import ChatRecord
from fake_telegram.state import BotState

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


def chat_member_payload(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object with every field aiogram requires for ``status``."""
    if status not in STATUSES:
        raise ValueError(f"unknown chat member status {status!r}; use one of {STATUSES}")
    data: dict[str, Any] = {"user": user, "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False})
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "restricted":
        data.update({"is_member": True, "until_date": 0})
        data.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        data["until_date"] = 0
    return data


def user_payload(state: BotState, user_id: int) -> dict[str, Any]:
    """User object for ``user_id`` or 400 "user not found"."""
    if user_id == state.bot.id:
        return state.bot.to_dict()
    user = state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user.to_dict()


def full_chat_info(chat: ChatRecord) -> dict[str, Any]:
    """ChatFullInfo as returned by getChat."""
    data = chat.to_dict()
    data.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    return data


@api_method("getChat")
def get_chat(ctx: MethodContext) -> dict[str, Any]:
    """Full info about a known chat."""
    return full_chat_info(ctx.state.require_chat(ctx.params.get("chat_id")))


@api_method("getChatMember")
def get_chat_member(ctx: MethodContext) -> dict[str, Any]:
    """Membership of a user (or of the bot itself); users default to ``member``."""
    state = ctx.state
    chat = state.require_chat(ctx.params.get("chat_id"))
    user_id = required_int(ctx.params, "user_id")
    if chat.type == "private" and user_id not in (chat.id, state.bot.id):
        raise bad_request("user not found")
    return chat_member_payload(user_payload(state, user_id), state.member_status(chat, user_id))


@api_method("getChatAdministrators")
def get_chat_administrators(ctx: MethodContext) -> list[dict[str, Any]]:
    """Members whose status is creator/administrator (the bot included if admin)."""
    state = ctx.state
    chat = state.require_chat(ctx.params.get("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    admins = [
        chat_member_payload(user_payload(state, uid), status)
        for uid, status in chat.member_status.items()
        if status in ("creator", "administrator") and uid in state.users
    ]
    if chat.bot_status in ("creator", "administrator"):
        admins.append(chat_member_payload(state.bot.to_dict(), chat.bot_status))
    return admins


@api_method("getChatMemberCount")
def get_chat_member_count(ctx: MethodContext) -> int:
    """Known members plus the bot (a rough figure, enough for tests)."""
    chat = ctx.state.require_chat(ctx.params.get("chat_id"))
    if chat.type == "private":
        return 2
    present = [s for s in chat.member_status.values() if s not in ("left", "kicked")]
    return len(present) + (1 if chat.bot_status not in ("left", "kicked") else 0)


@api_method("leaveChat")
def leave_chat(ctx: MethodContext) -> bool:
    """The bot leaves a group; later sends get 403 "bot is not a member"."""
    state = ctx.state
    chat = state.require_chat(ctx.params.get("chat_id"))
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.bot_status in ("left", "kicked"):
        kind = "group" if chat.type == "group" else chat.type
        raise bad_request(f"bot is not a member of the {kind} chat")
    chat.bot_status = "left"
    state.left_chats.append(chat.id)
    return True


@api_method("sendChatAction")
def send_chat_action(ctx: MethodContext) -> bool:
    """ "typing..." and friends; recorded in ``state.chat_actions``."""
    chat = ctx.state.chat_for_send(ctx.params.get("chat_id"))
    action = ctx.params.get("action")
    if not action:
        raise bad_request("wrong parameter action in request")
    ctx.state.chat_actions.append((chat.id, str(action)))
    return True


@api_method("setMessageReaction")
def set_message_reaction(ctx: MethodContext) -> bool:
    """Accepted and remembered per message in ``state.reactions``."""
    chat = ctx.state.require_chat(ctx.params.get("chat_id"))
    message_id = required_int(ctx.params, "message_id")
    reaction = ctx.params.get("reaction")
    ctx.state.reactions[(chat.id, message_id)] = reaction if isinstance(reaction, list) else []
    return True


@api_method("pinChatMessage")
def pin_chat_message(ctx: MethodContext) -> bool:
    """Pinning a known message succeeds."""
    chat = ctx.state.chat_for_send(ctx.params.get("chat_id"))
    message_id = required_int(ctx.params, "message_id")
    if ctx.state.find_message(chat.id, message_id) is None:
        raise bad_request("message to pin not found")
    return True


@api_method("unpinChatMessage")
def unpin_chat_message(ctx: MethodContext) -> bool:
    """Always succeeds for a known chat."""
    ctx.state.require_chat(ctx.params.get("chat_id"))
    int_param(ctx.params, "message_id")
    return True


@api_method("unpinAllChatMessages")
def unpin_all_chat_messages(ctx: MethodContext) -> bool:
    """Always succeeds for a known chat."""
    ctx.state.require_chat(ctx.params.get("chat_id"))
    return True
