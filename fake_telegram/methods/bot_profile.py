"""getMe, the command menu (per scope + language) and profile texts."""

from __future__ import annotations

import re
from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.state import scope_key

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


@api_method("getMe")
def get_me(ctx: MethodContext) -> dict[str, Any]:
    """The bot's own User object with the bot-only flags."""
    user = ctx.state.bot.to_dict()
    user.update(
        {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    )
    return user


def _key(ctx: MethodContext) -> tuple[str, str]:
    language = ctx.params.get("language_code") or ""
    return scope_key(ctx.params.get("scope")), str(language)


@api_method("setMyCommands")
def set_my_commands(ctx: MethodContext) -> bool:
    """Validate and store the command list for a scope + language."""
    commands = ctx.params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command = str(item.get("command", "")).lstrip("/")
        description = str(item.get("description", ""))
        if not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": command, "description": description})
    key = _key(ctx)
    if cleaned:
        ctx.state.commands[key] = cleaned
    else:
        ctx.state.commands.pop(key, None)
    return True


@api_method("getMyCommands")
def get_my_commands(ctx: MethodContext) -> list[dict[str, Any]]:
    """Exactly the list stored for that scope + language (no fallback)."""
    return list(ctx.state.commands.get(_key(ctx), []))


@api_method("deleteMyCommands")
def delete_my_commands(ctx: MethodContext) -> bool:
    """Forget the list for that scope + language."""
    ctx.state.commands.pop(_key(ctx), None)
    return True


def _profile_methods(field: str, setter: str, getter: str, limit: int) -> None:
    def set_value(ctx: MethodContext) -> bool:
        value = str(ctx.params.get(field) or "")
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        ctx.state.profile[f"{field}:{ctx.params.get('language_code') or ''}"] = value
        return True

    def get_value(ctx: MethodContext) -> dict[str, Any]:
        key = f"{field}:{ctx.params.get('language_code') or ''}"
        default = ctx.state.bot.first_name if field == "name" else ""
        return {field: ctx.state.profile.get(key, default)}

    set_value.__doc__ = f"Store the bot's {field} per language."
    get_value.__doc__ = f"The bot's {field} for a language."
    api_method(setter)(set_value)
    api_method(getter)(get_value)


_profile_methods("name", "setMyName", "getMyName", 64)
_profile_methods("description", "setMyDescription", "getMyDescription", 512)
_profile_methods("short_description", "setMyShortDescription", "getMyShortDescription", 120)


@api_method("setChatMenuButton")
def set_chat_menu_button(ctx: MethodContext) -> bool:
    """Accepted; the menu button is not modelled."""
    return True


@api_method("getChatMenuButton")
def get_chat_menu_button(ctx: MethodContext) -> dict[str, Any]:
    """Always the default commands menu."""
    return {"type": "commands"}


@api_method("logOut")
def log_out(ctx: MethodContext) -> bool:
    """Accepted (no-op)."""
    return True


@api_method("close")
def close(ctx: MethodContext) -> bool:
    """Accepted (no-op)."""
    return True
