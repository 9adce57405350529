"""Rebuild ``NotoSansSC-Subset.ttf`` from the full Noto Sans SC (SIL OFL 1.1).

Not imported by the bot: run by hand when the chart needs characters the subset lacks.

    python -m bot.presentation.stats.fonts.build_subset "NotoSansSC[wght].ttf"

The source is Google Fonts' variable ``NotoSansSC[wght].ttf`` (ofl/notosanssc). The
subset is its regular (400) instance with every character of GB 2312 (the 6,763 common
hanzi, so project and building names render too), Latin, the punctuation and symbols
the texts use, and every character of the Chinese catalog and the example organisation
files. Hinting is dropped: the chart is rasterised at a fixed size.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
BOT = HERE.parents[2]
TARGET = HERE / "NotoSansSC-Subset.ttf"
FAMILY = "Noto Sans SC Subset"
POSTSCRIPT = "NotoSansSCSubset-Regular"

RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1 and Latin Extended-A
    (0x2010, 0x2027),  # dashes, quotes, bullet, ellipsis
    (0x2030, 0x203A),  # per mille, primes, angle quotes
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus sign (matplotlib's negative ticks)
    (0x2605, 0x2606),  # stars
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # full-width forms
)


def gb2312() -> set[str]:
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def wanted_text() -> str:
    chars = gb2312()
    for low, high in RANGES:
        chars.update(chr(code) for code in range(low, high + 1))
    sources = [BOT / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po"]
    sources += sorted((BOT / "examples").glob("*.toml"))
    for source in sources:
        chars.update(source.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if c.isprintable()))


def build(source: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = TTFont(source)
    font = instancer.instantiateVariableFont(font, {"wght": 400})
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["kern", "liga", "locl", "ccmp", "halt", "palt"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted_text())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (4,):
            names.setName(
                f"{FAMILY} Regular", 4, record.platformID, record.platEncID, record.langID
            )
        elif record.nameID == 6:
            names.setName(POSTSCRIPT, 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (2, 17):
            names.setName(
                "Regular", record.nameID, record.platformID, record.platEncID, record.langID
            )
        elif record.nameID == 3:
            names.setName(
                f"{POSTSCRIPT};subset", 3, record.platformID, record.platEncID, record.langID
            )
    font.save(TARGET)
    print(f"{TARGET}: {TARGET.stat().st_size:,} bytes, {len(font.getGlyphOrder()):,} glyphs")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
