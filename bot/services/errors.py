"""Refusals: the domain's one way of saying "no".

A service that refuses raises a :class:`Refused` (or a subclass) before it changes
anything. ``reason`` is a gettext msgid, ``values`` fill its placeholders and
``code`` is the stable word written to the audit log. The Telegram layer turns
every refusal into the translated alert or reply and writes its audit line in one
place (``handlers/middlewares/refusals.py``); handlers do not catch refusals.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.i18n import N_


class Refused(Exception):
    # The class's code is the default; one raise may name a more precise one.
    code: str = "refused"
    default_reason: ClassVar[str] = N_("That cannot be done.")
    # Refusals of this kind are written to the audit log (off for ordinary input mistakes).
    audited: ClassVar[bool] = True

    def __init__(
        self,
        reason: str | None = None,
        plural: str | None = None,
        *,
        code: str | None = None,
        ticket_id: int | None = None,
        **values: Any,
    ) -> None:
        """``plural``: the reason's plural form, chosen by ``values["count"]`` (raise it
        as ``Refused(*NP_("… {count} minute", "… {count} minutes"), count=n)``)."""
        self.reason: str = reason or self.default_reason
        self.plural = plural
        self.code = code or type(self).code
        self.ticket_id = ticket_id
        self.values: dict[str, Any] = values
        super().__init__(self.code)

    def __str__(self) -> str:
        return self.code


class StaleButton(Refused):
    """A button that belongs to an earlier conversation or state, or that was never sent."""

    code = "stale_button"
    default_reason = N_("This button is no longer valid.")
