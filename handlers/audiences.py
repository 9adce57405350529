"""The audiences the bot talks to, each a kind of chat: every router is made for one.

A router made here carries its chat filter from birth, so no handler repeats it:
- :func:`private_chat`: a person's private chat with the bot (residents, and staff
  and managers working in private);
- :func:`staff_groups`: the staff group chats of projects, regions and headquarters;
- :func:`any_chat`: the few routers whose buttons and prompts work in both (the
  ticket card, the reply prompt), where each handler decides by the chat it is in.
"""

from __future__ import annotations

from aiogram import F, Router

GROUP_TYPES = frozenset({"group", "supergroup"})
IN_PRIVATE = F.chat.type == "private"
IN_GROUPS = F.chat.type.in_(GROUP_TYPES)


def private_chat(name: str) -> Router:
    router = Router(name=name)
    router.message.filter(IN_PRIVATE)
    router.callback_query.filter(F.message.chat.type == "private")
    return router


def staff_groups(name: str) -> Router:
    router = Router(name=name)
    router.message.filter(IN_GROUPS)
    router.callback_query.filter(F.message.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.filter(IN_GROUPS)
    return router


def any_chat(name: str) -> Router:
    return Router(name=name)
