"""Ruling stage: cells and spans from drawn and printed tables, scan defects, stray strokes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from service.document import Document, Page
from service.registry import create
from service.stages.ingest import open_document
from service.stages.ruling import RulingOptions, find_tables

from conftest import render_pdf
from drawn_forms import draw_form, match_cells
from test_reconstruct import two_page_form


def _page_from(img: Image.Image, dpi: float) -> Page:
    gray = np.asarray(img.convert("L"))
    s = dpi / 72
    return Page(number=1, width=gray.shape[1] / s, height=gray.shape[0] / s, scale=s, image=gray)


def _run(page: Page) -> Page:
    doc = create("stages", "ruling")(Document(source="t", pages=[page]))
    return doc.pages[0]


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_clean_tables_every_cell_and_span(dpi):
    img, truth = draw_form(dpi=dpi, line_pt=0.5)
    page = _run(_page_from(img, dpi))
    assert len(page.tables) == 3
    for table, cells in zip(page.tables, truth):
        assert len(table.cells) == len(cells)
        assert match_cells(table.cells, cells) == len(cells)
        assert table.ruled and all(not c.tokens for c in table.cells)
    indicators = page.tables[2]
    level1 = [c for c in indicators.cells if c.col == 0 and c.row == 1]
    assert [(c.row_span, c.col_span) for c in level1] == [(6, 1)]
    assert len(indicators.row_edges) == 8 and len(indicators.col_edges) == 9
    # Edges are in points, like the cells.
    assert indicators.col_edges[0] == pytest.approx(40, abs=2)
    assert indicators.row_edges[-1] == pytest.approx(320 + 30 + 6 * 34, abs=2)


def test_noisy_scan_with_seal_broken_rulings_and_dashes():
    """A 200 dpi scan, already deskewed by ingest, with grain, a red seal and worn rulings."""
    img, truth = draw_form(dpi=200, noise=12, seal=True, broken_rulings=True, seed=3)
    from service.stages.ingest import to_gray

    gray = to_gray(np.asarray(img))
    page = _run(Page(number=1, width=595, height=842, scale=200 / 72, image=gray))
    found = [c for t in page.tables for c in t.cells]
    expected = [c for t in truth for c in t]
    assert match_cells(found, expected) == len(expected)
    assert len(found) == len(expected)  # no extra cells from the seal's arcs or the "——" dashes


def test_seal_in_grey_does_not_split_cells():
    """Even a seal that reached us without colour adds no grid lines (its arcs cross no two rulings)."""
    img, truth = draw_form(dpi=200, seal=True)
    page = _run(_page_from(img, 200))
    indicators = page.tables[2]
    assert match_cells(indicators.cells, truth[2]) == len(truth[2])
    assert len(indicators.col_edges) == 9


def test_pen_loop_over_cells_adds_no_rulings():
    img, truth = draw_form(dpi=200, pen_loop=True)
    page = _run(_page_from(img, 200))
    assert match_cells(page.tables[2].cells, truth[2]) == len(truth[2])
    assert len(page.tables[2].cells) == len(truth[2])


def test_table_without_side_borders():
    img, truth = draw_form(dpi=200, open_sides=True)
    page = _run(_page_from(img, 200))
    for table, cells in zip(page.tables, truth):
        assert match_cells(table.cells, cells) == len(cells)


def test_slight_residual_skew_is_tolerated():
    img, truth = draw_form(dpi=200, skew=0.3)
    page = _run(_page_from(img, 200))
    expected = [c for t in truth for c in t]
    assert match_cells([c for t in page.tables for c in t.cells], expected) == len(expected)


def test_a_ruling_one_pixel_beside_the_end_of_another_is_found():
    """Two blocks of a form printed one under the other: the header rows' column ruling
    (主管部门's value | 实施单位) ends where the fund table's starts, a pixel over at 100 dpi.
    Both are found, so the header row is split too."""
    img = Image.new("L", (600, 300), 255)
    draw = ImageDraw.Draw(img)
    for y in (40, 80, 240):
        draw.line([(40, y), (500, y)], fill=0, width=1)
    for x in (40, 500):
        draw.line([(x, 40), (x, 240)], fill=0, width=1)
    draw.line([(200, 40), (200, 80)], fill=0, width=1)
    draw.line([(201, 80), (201, 240)], fill=0, width=2)  # longer and heavier: its band wins
    (table,) = _run(_page_from(img, 100)).tables
    assert [(c.row, c.col, c.row_span, c.col_span) for c in table.cells] == [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]


def test_text_only_page_and_lone_lines_make_no_table():
    img = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(img)
    from drawn_forms import FONT
    from PIL import ImageFont

    font = ImageFont.truetype(FONT, 25)
    for k in range(20):
        draw.text((150, 150 + 60 * k), "评价结论：项目按计划完成，资金使用规范，达到预期目标。" * 2, font=font, fill=0)
    draw.line([(150, 1500), (1500, 1500)], fill=0, width=3)  # a separator rule
    draw.line([(150, 1600), (600, 1600)], fill=0, width=3)  # a signature line
    assert _run(_page_from(img, 200)).tables == []


def test_spurious_strokes_leave_no_empty_grid_lines():
    """A dash in a cell must not become a row edge that no cell uses."""
    img, truth = draw_form(dpi=100)
    page = _run(_page_from(img, 100))
    funds = page.tables[1]
    assert len(funds.row_edges) == 5  # four rows, although four cells hold "——"
    used = {c.row for c in funds.cells} | {c.row + c.row_span for c in funds.cells}
    assert used == set(range(len(funds.row_edges)))


def test_options_are_in_points():
    opts = RulingOptions(min_table_width=0.9)
    img, _ = draw_form(dpi=100)
    gray = np.asarray(img.convert("L"))
    assert find_tables(gray, 100 / 72, opts) == []  # every table is narrower than 90% of the page


def test_digital_pdf_cells_match_the_printed_ones(tmp_path, page_builder):
    """Text-layer pages are rendered at 100 dpi for this stage; the cells come back in points."""
    pages = two_page_form(page_builder)
    doc = open_document(render_pdf(pages, tmp_path / "form.pdf"), "form.pdf")
    doc = create("stages", "ruling")(doc)
    for found, printed in zip(doc.pages, pages):
        assert found.text_source == "text_layer"
        for table, truth in zip(found.tables, printed.tables):
            assert len(table.cells) == len(truth.cells)
            assert match_cells(table.cells, truth.cells, tol=2.0) == len(truth.cells)
            assert len(table.row_edges) == len(truth.row_edges)
