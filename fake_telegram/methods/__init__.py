"""Bot API method handlers; importing this package registers all of them."""

from fake_telegram.methods import (  # noqa: F401  (imported for registration)
    bot_profile,
    callbacks,
    chats,
    editing,
    files,
    messages,
    topics,
    updates,
)
from fake_telegram.methods.registry import (
    METHODS,
    MethodContext,
    MethodSpec,
    canonical_name,
    lookup,
)

__all__ = ["METHODS", "MethodContext", "MethodSpec", "canonical_name", "lookup"]
