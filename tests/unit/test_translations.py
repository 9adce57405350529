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
    translate_plural,
)

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "N_": None,
    "__": None,
    "lazy_gettext": None,
    "NP_": (1, 2),
    "ngettext": (1, 2),
}
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
    translated = {i: m for m in po if m.id for i in _ids(m)}
    missing = sorted(i for i in source_message_ids() if i not in translated)
    empty = sorted(i for i, m in translated.items() if not all(_strings(m)) or m.fuzzy)
    assert not missing, f"{locale}: not in the catalog (run make i18n): {missing}"
    assert not empty, f"{locale}: untranslated or fuzzy: {empty}"


def _ids(message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _strings(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    for message in catalog(locale):
        if message.id and all(_strings(message)):
            wanted = sorted(set(PLACEHOLDER.findall(" ".join(_ids(message)))))
            for string in _strings(message):
                assert sorted(set(PLACEHOLDER.findall(string))) == wanted, (
                    f"{locale}: placeholders differ in {message.id!r}"
                )


# A half-width mark against a Chinese character: "谢谢!", "电话:{phone}", "吗?现在"
# (HTML tags and entities such as ``&lt;`` are not text; a time's "10:00" is not next to one).
_HALF_WIDTH_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,!?:;()]|[,!?:;()][\u4e00-\u9fff]")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Not text: HTML tags and entities, placeholders (their values are filled in), links.
_NOT_TEXT = re.compile(r"<[^>]*>|&[a-z]+;|\{[^}]*\}|https?://\S+")


def _chinese_text(string: str) -> str:
    return _NOT_TEXT.sub(" ", string)


def test_chinese_sentences_use_full_width_punctuation() -> None:
    """Chinese text is punctuated with full-width marks (，。！？：；（）), as residents type
    and read it; a half-width one against a Chinese character reads as a typo, and so does
    a half-width bracket anywhere in a Chinese message ("{p90}(n={count})" is read with the
    Chinese its value follows)."""
    found = [
        string
        for message in catalog("zh_CN")
        if message.id
        for string in _strings(message)
        if _HALF_WIDTH_IN_CHINESE.search(_chinese_text(string))
        or (_CHINESE.search(_chinese_text(string)) and re.search(r"[()]", _chinese_text(string)))
    ]
    assert found == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalog_matches_the_po_file(locale: str) -> None:
    compiled = gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[locale])
    for message in catalog(locale):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, (
                f"{locale}: .mo is stale for {message.id!r} (run make i18n-compile)"
            )
            continue
        singular, plural = message.id
        for n, string in ((1, message.string[0]), (2, message.string[-1])):
            assert compiled.ngettext(singular, plural, n) == string, (
                f"{locale}: .mo is stale for {message.id!r} (run make i18n-compile)"
            )


def test_plural_forms_follow_the_number() -> None:
    tickets = ("… {count} earlier entry not shown", "… {count} earlier entries not shown")
    assert translate_plural("en", tickets, 1, count=1) == "… 1 earlier entry not shown"
    assert translate_plural("en", tickets, 3, count=3) == "… 3 earlier entries not shown"
    assert translate_plural("zh_CN", tickets, 3, count=3) == "… 还有 3 条较早的记录未显示"


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
