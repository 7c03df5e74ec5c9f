"""Draw laid-out pages into a digital PDF (a real text layer) with fpdf2."""

from __future__ import annotations

from datetime import datetime, timezone

from .fonts import font_path
from .layout import LaidPage

FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)  # same bytes for the same seed


def draw_pdf(pages: list[LaidPage], font: str, title: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(font, fname=str(font_path(font)))
    # the cached subset font already has its bounding boxes; recomputing them on embedding
    # was most of the PDF's cost
    pdf.fonts[font.lower()].ttfont.recalcBBoxes = False
    for page in pages:
        pdf.add_page(format=(page.width, page.height))
        pdf.set_draw_color(0, 0, 0)
        for rule in page.rules:
            pdf.set_line_width(rule.width)
            pdf.line(rule.x0, rule.y0, rule.x1, rule.y1)
        size = None
        for op in page.texts:
            if op.size != size:
                pdf.set_font(font, size=op.size)
                size = op.size
            pdf.text(op.x, op.baseline, op.text)
    return bytes(pdf.output())
