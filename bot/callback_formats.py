"""The packed form of our inline buttons' callback data, shared without aiogram.

Services queue messages with buttons (through the outbox) and handlers decode
the presses with aiogram ``CallbackData`` classes; both must agree on the
format ``prefix:field:field…``. A unit test checks these against the aiogram
classes in ``handlers/callbacks.py``. Buttons carry ids and the ticket's
version only: everything else is re-read and re-checked on the server.
"""

from __future__ import annotations

STAFF_TICKET_PREFIX = "tk"
RESIDENT_TICKET_PREFIX = "rt"


def staff_ticket_button(action: str, ticket_id: int, version: int) -> str:
    return f"{STAFF_TICKET_PREFIX}:{action}:{ticket_id}:{version}"


def resident_ticket_button(action: str, ticket_id: int, version: int) -> str:
    return f"{RESIDENT_TICKET_PREFIX}:{action}:{ticket_id}:{version}"
