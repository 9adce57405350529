"""Translations for everything users read.

Handlers translate through aiogram's i18n (the locale of the user being
answered is set per update). Services and jobs write to other people (a staff
group, a follower) and must pick the recipient's language themselves, so they
use :func:`translate` with an explicit locale; both read the same catalogs in
``bot/locales``.

Mark strings for extraction with ``N_`` where the text is chosen now and
translated later (``translate(locale, N_("..."))``). A text about a number of
things has a singular and a plural form: mark it with ``NP_("1 ticket", "{count}
tickets")`` and translate it with :func:`translate_plural` (handlers use aiogram's
``ngettext``), so English reads "1 ticket" and "2 tickets".
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[locale])
    except FileNotFoundError:
        return gettext.NullTranslations()


Plural = tuple[str, str]  # (singular msgid, plural msgid)


def NP_(singular: str, plural: str) -> Plural:
    """Mark a singular/plural pair for extraction without translating it yet."""
    return (singular, plural)


def translate_plural(locale: str, message: Plural, n: int, **values: object) -> str:
    """The form of ``message`` for ``n`` things in ``locale``, its placeholders filled."""
    text = _catalog(normalise_locale(locale) or DEFAULT_LOCALE).ngettext(message[0], message[1], n)
    return text.format(**values) if values else text


def translate(locale: str, message: str, **values: object) -> str:
    """Translate ``message`` into ``locale`` and fill its ``{placeholders}``."""
    text = _catalog(normalise_locale(locale) or DEFAULT_LOCALE).gettext(message)
    return text.format(**values) if values else text


def listed(locale: str, items: Iterable[str]) -> str:
    """Items one after another as the locale lists them (``a, b, c``; Chinese: ``a、b、c``)."""
    result = ""
    for item in items:
        if result:
            result = translate(locale, N_("{first}, {second}"), first=result, second=item)
        else:
            result = item
    return result


def normalise_locale(code: str | None) -> str | None:
    """Map a Telegram ``language_code`` or a stored choice to a supported locale.

    Telegram sends IETF tags such as ``zh-hans``, ``zh-CN``, ``en-GB``. Chinese
    of any script maps to Simplified Chinese, the only Chinese catalog we ship.
    """
    if not code:
        return None
    lowered = code.replace("_", "-").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.split("-")[0] == "en":
        return "en"
    return None


def pick_locale(
    chosen: str | None, telegram_code: str | None, default: str = DEFAULT_LOCALE
) -> str:
    """The person's own choice, else their Telegram language, else the organisation default."""
    return normalise_locale(chosen) or normalise_locale(telegram_code) or default
