"""The domain context as the application wires it: notices are rendered by the presentation
layer and queued in the outbox."""

from __future__ import annotations

from dataclasses import dataclass

import bot.presentation.outbound  # noqa: F401  (registers every notice's renderer)
from bot.presentation.announce import announce
from bot.services import context as domain
from bot.services.context import Announcer


@dataclass(frozen=True)
class Context(domain.Context):
    """``Context(org, now)``: a domain context whose notices go to the outbox."""

    announcer: Announcer = announce
