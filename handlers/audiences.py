"""The audiences the bot talks to, each a kind of chat: every router is made for one.

A router made here carries its chat filter from birth, so no handler repeats it:
- :func:`private_chat`: a person's private chat with the bot (residents, and staff
  and managers working in private);
- :func:`staff_groups`: the staff group chats of projects, regions and headquarters;
- :func:`any_chat`: the few routers whose buttons and prompts work in both (the
  ticket card, the reply prompt), where each handler decides by the chat it is in.

A command that shows personal data or a manager's figures is answered only in a
private chat; sent in a group, its handler raises :class:`PrivateChatOnly`, which
the refusal middleware answers there with a pointer to the private chat.
"""

from __future__ import annotations

from aiogram import F, Router

from bot.i18n import N_
from bot.services.errors import Refused

GROUP_TYPES = frozenset({"group", "supergroup"})
IN_PRIVATE = F.chat.type == "private"
IN_GROUPS = F.chat.type.in_(GROUP_TYPES)


class PrivateChatOnly(Refused):
    """A private-chat command sent in a group: nothing of its answer is posted there."""

    code = "private_chat_only"
    default_reason = N_(
        "I answer /{command} only in a private chat, never in a group. "
        "Open {link} and send it to me there."
    )


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
