"""Borderless-table geometry: which vertical gaps are line gaps inside a cell."""

from __future__ import annotations

import random

from service.stages.layout import _cell_gap, _noisy_cell_gap


def test_exact_gaps_split_at_the_first_jump():
    # text layer: lines of a cell 2.4 apart, rows 6.5 apart, a skipped row 12.6
    gaps = [2.4] * 10 + [6.5] * 20 + [12.6] * 5
    limit = _cell_gap(gaps, h=8.4)
    assert 2.4 < limit < 6.5


def test_only_wide_gaps_mean_one_line_rows():
    assert _cell_gap([9.1, 9.3, 15.4], h=7.4) < 9.1


def test_ocr_jitter_still_splits_line_gaps_from_row_gaps():
    rng = random.Random(1)
    lines = [1.7 + rng.uniform(-1.2, 1.2) for _ in range(25)]
    rows = [5.7 + rng.uniform(-1.5, 1.5) for _ in range(40)]
    skipped = [12 + rng.uniform(-2, 2) for _ in range(10)]
    limit = _noisy_cell_gap(lines + rows + skipped, h=9.7)
    assert max(lines) < limit < min(rows)
    # the exact-geometry rule finds no jump in such noise and would cut cells apart or run rows together
    exact = _cell_gap(lines + rows + skipped, h=9.7)
    assert not max(lines) < exact < min(rows)


def test_ocr_gaps_of_one_kind_fall_back_to_a_fixed_share_of_the_height():
    rng = random.Random(2)
    limit = _noisy_cell_gap([6 + rng.uniform(-0.5, 0.5) for _ in range(30)], h=9.7)
    assert limit == 0.6 * 9.7
