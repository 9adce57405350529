"""Every user-facing string is translated in both catalogs, and the compiled catalogs are current.

When this fails after you added or changed a text: run ``make i18n``, translate
the new entries in ``bot/locales/*/LC_MESSAGES/messages.po``, then ``make i18n-compile``.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import (
    DOMAIN,
    LOCALES_DIR,
    SUPPORTED_LOCALES,
    normalise_locale,
    pick_locale,
    translate,
)

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "__": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def source_message_ids() -> set[str]:
    ids: set[str] = set()
    for package in ("bot", "handlers", "scheduler"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def catalog(locale: str):
    with open(LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_in_the_code_is_translated(locale: str) -> None:
    po = catalog(locale)
    translated = {m.id: m for m in po if m.id}
    missing = sorted(i for i in source_message_ids() if i not in translated)
    empty = sorted(i for i, m in translated.items() if not m.string or m.fuzzy)
    assert not missing, f"{locale}: not in the catalog (run make i18n): {missing}"
    assert not empty, f"{locale}: untranslated or fuzzy: {empty}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    for message in catalog(locale):
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), f"{locale}: placeholders differ in {message.id!r}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalog_matches_the_po_file(locale: str) -> None:
    compiled = gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[locale])
    for message in catalog(locale):
        if message.id:
            assert compiled.gettext(message.id) == message.string, (
                f"{locale}: .mo is stale for {message.id!r} (run make i18n-compile)"
            )


def test_telegram_language_codes_map_to_our_catalogs() -> None:
    assert normalise_locale("zh-hans") == "zh_CN"
    assert normalise_locale("zh-TW") == "zh_CN"
    assert normalise_locale("en-GB") == "en"
    assert normalise_locale("ru") is None
    assert pick_locale(None, "ru") == "zh_CN"
    assert pick_locale(None, "ru", default="en") == "en"
    assert pick_locale("en", "zh-hans") == "en"  # the person's own choice wins


def test_translate_fills_placeholders_per_locale() -> None:
    assert (
        translate("en", "Language set to {language}.", language="English")
        == "Language set to English."
    )
    assert (
        translate("zh_CN", "Language set to {language}.", language="English")
        == "语言已设置为English。"
    )
