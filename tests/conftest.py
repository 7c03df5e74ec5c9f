"""Shared fixtures: pages built by hand, so stage tests need no PDF, image or model."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.document import Cell, Page, Table, Token

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

CHAR = 9.0  # points per character in hand-built pages


def _place_text(tokens: list[Token], text: str, box, char: float = CHAR) -> list[int]:
    """Lay text out inside box, wrapping at its width; '\\n' forces a line break."""
    x0, y0, x1, _ = box
    pad = 2.0
    per_line = max(1, int((x1 - x0 - 2 * pad) // char))
    ids: list[int] = []
    y = y0 + pad
    for para in text.split("\n"):
        for start in range(0, max(len(para), 1), per_line):
            chunk = para[start : start + per_line]
            for k, ch in enumerate(chunk):
                if ch.isspace():
                    continue
                bx = x0 + pad + k * char
                ids.append(len(tokens))
                tokens.append(Token(text=ch, box=(bx, y, bx + char * 0.9, y + char)))
            y += char * 1.3
    return ids


class PageBuilder:
    """Builds one page: free text lines and ruled tables, each char a token."""

    def __init__(self, number: int = 1, width: float = 595.0, height: float = 842.0):
        self.page = Page(number=number, width=width, height=height, text_source="text_layer")

    def line(self, text: str, x: float, y: float) -> "PageBuilder":
        _place_text(self.page.tokens, text, (x, y, x + CHAR * (len(text) + 1), y + CHAR * 2))
        return self

    def table(
        self,
        rows: list[list[str | None]],
        widths: list[float],
        heights: list[float] | float = 22.0,
        x: float = 40.0,
        y: float = 100.0,
        spans: dict[tuple[int, int], tuple[int, int]] | None = None,
        ruled: bool = True,
    ) -> "PageBuilder":
        """rows[r][c] is a cell's text; None where a spanning cell covers the slot."""
        spans = spans or {}
        heights = heights if isinstance(heights, list) else [heights] * len(rows)
        xs = [x]
        for w in widths:
            xs.append(xs[-1] + w)
        ys = [y]
        for h in heights:
            ys.append(ys[-1] + h)
        table = Table(box=(xs[0], ys[0], xs[-1], ys[-1]), ruled=ruled, row_edges=ys, col_edges=xs)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if text is None:
                    continue
                rs, cs = spans.get((r, c), (1, 1))
                box = (xs[c], ys[r], xs[c + cs], ys[r + rs])
                _place_text(self.page.tokens, text, box)
                if ruled:
                    table.cells.append(Cell(box=box, row=r, col=c, row_span=rs, col_span=cs))
        if ruled:
            self.page.tables.append(table)
        return self

    def build(self) -> Page:
        return self.page


@pytest.fixture
def page_builder():
    return PageBuilder


FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def render_pdf(pages: list[Page], path: Path) -> Path:
    """Print hand-built pages as a digital PDF: ruled cells as rectangles, each token at its box."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(pages[0].width, pages[0].height))
    pdf.add_font("zh", fname=FONT)
    pdf.set_auto_page_break(False)
    for page in pages:
        pdf.add_page()
        pdf.set_line_width(0.8)
        for table in page.tables:
            if table.ruled:
                for cell in table.cells:
                    x0, y0, x1, y1 = cell.box
                    pdf.rect(x0, y0, x1 - x0, y1 - y0)
        for token in page.tokens:
            x0, y0, x1, y1 = token.box
            pdf.set_font("zh", size=y1 - y0)
            pdf.text(x0, y1 - 0.12 * (y1 - y0), token.text)
    pdf.output(str(path))
    return path
