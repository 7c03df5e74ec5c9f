"""Fonts for the generator: subset once to the characters it can print, then load fast.

Full CJK collections take ~0.5 s to load and 1–7 s to subset into every PDF. The generator
prints only characters that occur in its own source (vocabularies, templates, header
words) plus ASCII, so each font is cut once to that set and cached under build/synth-fonts/;
loading and embedding the small font then costs milliseconds. Widths come from the same
font object fpdf draws with, so recorded character boxes match the drawn glyphs.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from .style import FONTS, available_fonts

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("JIXIAO_SYNTH_FONTS", ROOT / "build" / "synth-fonts"))
EXTRA = "　，。、；：？！“”‘’（）《》【】—…·％＝＋－／≥≤＞＜①②③④⑤⑥⑦⑧⑨⑩"


def charset() -> str:
    """Every character the generator can print: its sources' non-ASCII text plus ASCII."""
    chars = {chr(c) for c in range(32, 127)} | set(EXTRA)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        chars |= {c for c in path.read_text(encoding="utf-8") if ord(c) > 127}
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width ASCII forms
    return "".join(sorted(chars))


def font_path(name: str) -> Path:
    """The subset font file for a style font id, made on first use."""
    src, index = FONTS[name]
    chars = charset()
    digest = hashlib.sha1((chars + src + str(index)).encode()).hexdigest()[:10]
    out = CACHE / f"{name}-{digest}.otf"
    if out.exists():
        return out
    import logging

    from fontTools import subset, ttLib

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "BDF NOT subset" is expected
    font = ttLib.TTFont(src, fontNumber=index, recalcTimestamp=False, lazy=False)
    options = subset.Options()
    options.drop_tables += ["BDF ", "EBDT", "EBLC", "EBSC", "GSUB", "GPOS", "vhea", "vmtx", "VORG", "DSIG"]
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    os.replace(tmp, out)  # atomic: parallel workers never read half a file
    return out


def ensure_all() -> None:
    for name in available_fonts():
        font_path(name)


@lru_cache(maxsize=None)
def widths(name: str) -> dict[str, float]:
    """Advance of every character at 1 pt, as fpdf draws it (its rounded 1/1000 em widths)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.add_font(name, fname=str(font_path(name)))
    font = pdf.fonts[name.lower()]
    return {c: font.cw[ord(c)] / 1000.0 for c in charset()}


class Measurer:
    """Character advance in points for one font: (char, size) → width."""

    def __init__(self, name: str):
        self.name = name
        self.table = widths(name)
        self.default = self.table.get("国", 1.0)

    def __call__(self, ch: str, size: float) -> float:
        return self.table.get(ch, self.default) * size
