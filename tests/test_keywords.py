"""The header-keyword labeller on small hand-made tables."""

from __future__ import annotations

from service.document import Cell, Document, Page, Table, Token
from service.stages.labelling.keywords import KeywordLabeller

COLUMNS = [40, 100, 160, 260, 330, 400, 440, 480, 520]


def _borderless(rows: list[list[str | None]], top: float = 100.0) -> Page:
    """A borderless table: one text per column (None: empty), one row per 14 pt."""
    page = Page(number=2, width=595, height=842, text_source="text_layer")
    cells = []
    for r, row in enumerate(rows):
        y = top + 14 * r
        for c, text in enumerate(row):
            if not text:
                continue
            ids = []
            for k, ch in enumerate(text):
                ids.append(len(page.tokens))
                x = COLUMNS[c] + 2 + 8 * k
                page.tokens.append(Token(text=ch, box=(x, y, x + 8, y + 9)))
            x0 = COLUMNS[c] + 2
            cells.append(Cell(box=(x0, y, x0 + 8 * len(text), y + 9), row=r, col=c, tokens=ids))
    page.tables.append(Table(box=(40, top, 580, top + 14 * len(rows)), ruled=False, col_edges=COLUMNS + [580], cells=cells))
    return page


def _labels(page: Page, row: int) -> list[str]:
    return [page.tokens[c.tokens[0]].label for c in page.tables[0].cells if c.row == row]


HEADER = ["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"]
DATA = ["产出指标", "数量指标", "培训人次", "≥16人次", "18人次", "5", "5"]


def test_a_wrapped_header_piece_is_a_key_but_a_cut_cell_below_a_whole_header_is_data():
    # 服务对象满|意度指标: the rest of the previous page's last level cell, below a repeated header
    page = _borderless([HEADER, [None, "意度指标"], DATA])
    KeywordLabeller()(Document(source="t", pages=[page]))
    assert _labels(page, 1) == ["LEVEL2"]
    assert _labels(page, 2) == ["LEVEL1", "LEVEL2", "NAME", "TARGET", "ACTUAL", "WEIGHT", "SCORE"]
    # 未完成原因及拟|采取的改进措施: a header wrapped onto a second line; （分） under a whole key
    page = _borderless([[*HEADER, "未完成原因及拟"], [None, None, None, None, None, "（分）", None, "采取的改进措施"[:6]], DATA])
    KeywordLabeller()(Document(source="t", pages=[page]))
    assert _labels(page, 1) == ["KEY", "KEY"]
    assert _labels(page, 2) == ["LEVEL1", "LEVEL2", "NAME", "TARGET", "ACTUAL", "WEIGHT", "SCORE"]
