"""Borderless-table geometry: which vertical gaps are line gaps inside a cell."""

from __future__ import annotations

import random

import pytest

from service.document import Page, Token
from service.geometry import group_lines, text_of
from service.stages.layout import _blocks, _cell_gap, _noisy_cell_gap, _page_line_gap, _segments, find_borderless_tables


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


def _line(tokens: list, text: str, x: float, top: float, size: float = 7.0) -> None:
    for k, ch in enumerate(text):
        tokens.append(Token(text=ch, box=(x + k * size, top, x + (k + 1) * size, top + size)))


def test_a_header_cell_wrapped_above_its_row_joins_its_own_column():
    """Borderless header, cells centred: "指标得/分（分）" and "未完成原因及拟采取的改/进措施"
    wrap, and the upper lines sit half a line above the one-line cells; the upper line of
    the last is wider than its column and runs across the gutter before it."""
    tokens: list[Token] = []
    _line(tokens, "指标得", 430, 319.4)
    _line(tokens, "未完成原因及拟采取的改", 460, 324.0)
    for text, x in [("绩效指标", 80), ("分值", 170), ("年度指标值", 240), ("分（分）", 430)]:
        _line(tokens, text, x, 328.4)
    _line(tokens, "进措施", 499, 333.2)
    rows = [
        ("服务企业数量", "9.00", "≥30家", "9", "——"),
        ("改造面积", "5.00", "=50平方米", "5", "——"),
        ("验收合格率", "5.00", "≥95%", "4", "验收推迟，已在次"),
        ("故障响应时间", "11.00", "≤2小时", "11", "——"),
        ("合同签订", "5.00", "年底前", "5", "——"),
    ]
    top = 351.0
    for name, weight, target, score, why in rows:
        for text, x in [(name, 76), (weight, 170), (target, 240), (score, 440), (why, 480)]:
            _line(tokens, text, x, top)
        if why.endswith("次"):  # a deviation wrapped onto a second line
            _line(tokens, "年一季度完成。", 480, top + 8.5)
            top += 8.5
        top += 13.2
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    assert len(page.tables) == 1 and page.lines == []
    table = page.tables[0]
    header = {c.col: text_of(page.tokens, c.tokens) for c in table.cells if c.row == 0}
    assert header == {0: "绩效指标", 1: "分值", 2: "年度指标值", 3: "指标得分（分）", 4: "未完成原因及拟采取的改进措施"}
    third = {c.col: text_of(page.tokens, c.tokens) for c in table.cells if c.row == 3}
    assert third == {0: "验收合格率", 1: "5.00", 2: "≥95%", 3: "4", 4: "验收推迟，已在次年一季度完成。"}


def test_a_summary_label_centred_over_merged_cells_keeps_the_columns_apart():
    """"总分：" below the last indicator, centred over cells merged across the name and
    nature columns, runs across their gutter; it must not fuse the two columns."""
    tokens: list[Token] = []
    rows = [("三级指标", "性质", "指标值", "得分"), ("患者满意度", "≥", "85%", "80"), ("服务质量", "=", "100%", "15")]
    for r, cells in enumerate(rows):
        for text, x in zip(cells, (80, 170, 220, 300)):
            _line(tokens, text, x, 100.0 + 13.2 * r)
    _line(tokens, "总分：", 140, 100.0 + 13.2 * 3)
    _line(tokens, "95", 300, 100.0 + 13.2 * 3)
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    table = page.tables[0]
    assert len(table.col_edges) == 5
    first = {c.col: text_of(page.tokens, c.tokens) for c in table.cells if c.row == 1}
    assert first == {0: "患者满意度", 1: "≥", 2: "85%", 3: "80"}
    total = [(c.col, c.col_span, text_of(page.tokens, c.tokens)) for c in table.cells if c.row == 3]
    assert total == [(0, 2, "总分："), (3, 1, "95")]


def test_full_width_punctuation_with_room_around_it_does_not_start_a_cell():
    tokens: list[Token] = []
    _line(tokens, "以服务型网站为主定位", 105, 100.0)
    _line(tokens, "，通过购买服务方式", 105 + 10 * 7.0 + 3.5, 100.0)  # a gap of half a glyph before "，"
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    line = group_lines(page.tokens, range(len(tokens)))[0]
    assert len(_segments(page, line, 0.45 * 7.0)) == 1


def test_the_rest_of_a_row_cut_by_the_page_break_stays_with_its_table():
    """Short pieces at the top of a continuation page (标 | 方米 | 米, the ends of the
    previous page's last row) are no paragraphs: the rows below do not split them off."""
    tokens: list[Token] = []
    _line(tokens, "续表", 400, 40.0)
    for text, x in (("标", 115), ("方米", 355), ("米", 420)):
        _line(tokens, text, x, 52.0)
    _line(tokens, "进一步完善了减", 420, 64.0)
    for top in (76.0, 92.0):
        for text, x in zip(("产出指标", "数量指标", "培训人次", "≥16人次", "完成", "5"), (55, 115, 212, 355, 420, 490)):
            _line(tokens, text, x, top)
    page = Page(number=2, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 7.0) for line in page.lines]
    assert [len(b) for b in _blocks(page, list(range(len(page.lines))), segs, 7.0)] == [5]


def test_a_row_of_many_cells_after_paragraphs_starts_a_block():
    """The goals (a label beside paragraphs, one segment a line) and then the indicator
    header: too few columned lines to compare columns with, yet a new block."""
    tokens: list[Token] = []
    _line(tokens, "年度总体目标", 60, 100.0)
    _line(tokens, "完成项目尾款支付。", 137, 100.0)
    _line(tokens, "全年组织培训64期。", 330, 100.0)
    _line(tokens, "完成年度相关设备的维保服务", 330, 109.0)
    _line(tokens, "运维服务，技术支持。", 330, 118.0)
    for top, cells in [(135.0, ("一级指标", "二级指标", "三级指标", "指标值", "得分", "偏差原因及改进措")),
                       (151.0, ("产出指标", "数量指标", "培训人次", "≥16人次", "5", "——"))]:
        for text, x in zip(cells, (55, 115, 212, 355, 420, 470)):
            _line(tokens, text, x, top)
    _line(tokens, "施", 470, 141.0)  # the header's last cell, wrapped
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 7.0) for line in page.lines]
    blocks = _blocks(page, list(range(len(page.lines))), segs, 7.0)
    assert [len(b) for b in blocks] == [3, 3]


def test_the_page_shows_its_line_gap_where_text_wraps():
    """A paragraph whose lines are 1.05 characters apart (OCR boxes are taller than the
    type): the page's line gap is 0.05 of a character, so row gaps of 0.5 (under the 0.6
    of a fixed rule) are told from it."""
    tokens: list[Token] = []
    h = 10.0
    for k in range(6):
        _line(tokens, "一二三四五六七八九十一二", 60, 100.0 + k * 1.05 * h, size=h)  # a paragraph
    for k in range(8):
        top = 200.0 + k * 1.8 * h
        for text, x in (("产出指标", 60), ("数量", 120), ("≥16人次", 220), ("5", 320)):
            _line(tokens, text, x, top, size=h)
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * h) for line in page.lines]
    assert _page_line_gap(page, segs, h) == pytest.approx(0.05 * h, abs=0.02 * h)
    gaps = [0.5 * h] * 7  # rows printed closer than these, as on many scans
    assert _noisy_cell_gap(gaps, h, _page_line_gap(page, segs, h)) < 0.5 * h < _noisy_cell_gap(gaps, h)
    # rows alone show no line gap: the lowest pitch there is the rows'
    rows_only = Page(number=2, width=595, height=842, text_source="ocr", tokens=tokens[12 * 6 :])
    rows_only.lines = group_lines(rows_only.tokens, range(len(rows_only.tokens)))
    segs = [_segments(rows_only, line, 0.45 * h) for line in rows_only.lines]
    assert _page_line_gap(rows_only, segs, h) is None


def test_header_rows_as_far_apart_as_the_page_wraps_cell_lines_stay_rows():
    """A borderless header block of one-line rows (项目名称 above 主管部门) spaced with two
    paddings: without wrapped lines of its own, its lower gap is a row gap wherever the
    page wraps its cells' lines closer."""
    assert _cell_gap([6.9, 7.2, 8.4, 10.9], h=9.4) > 8.4  # alone, the table takes its lower gaps for lines
    assert _cell_gap([6.9, 7.2, 8.4, 10.9], h=9.4, line_gap=3.7) < 6.9


def test_a_key_and_its_value_stack_only_with_their_own_lines():
    tokens: list[Token] = []
    for top, key, value in ((98.0, "项目名称", "外语标识整治补助资金"), (115.0, "主管部门", "安徽省农业农村厅"),
                            (132.0, "项目负责人", "黄洋颖")):
        _line(tokens, key, 82, top, size=10.0)
        _line(tokens, value, 160, top, size=10.0)
    _line(tokens, "实施单位", 450, 115.0, size=10.0)
    _line(tokens, "安徽省评审中心", 530, 115.0, size=10.0)
    _line(tokens, "联系电话", 450, 132.0, size=10.0)
    _line(tokens, "47009063", 530, 132.0, size=5.0)
    for k in range(6):  # a paragraph further down shows the page's line gap (3 points)
        _line(tokens, "围绕外语标识整治重点任务开展成果推广展示进一步引导", 60, 300.0 + 13.0 * k, size=10.0)
    page = Page(number=1, width=842, height=595, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    [table] = page.tables
    values = sorted(text_of(page.tokens, c.tokens) for c in table.cells if c.box[0] >= 160 and c.box[2] < 400)
    assert values == ["外语标识整治补助资金", "安徽省农业农村厅", "黄洋颖"]


def test_a_small_mark_joins_the_line_on_whose_baseline_it_sits():
    """A text layer's 。 is a dot at the foot of its line; beside a row whose cells are
    centred lower it overlaps both lines, and belongs to its own."""
    tokens: list[Token] = []
    _line(tokens, "出", 667, 503.0, size=10.0)
    _line(tokens, "举办主题活动", 229, 509.0, size=10.0)
    tokens.append(Token(text="。", box=(678.0, 511.0, 680.0, 513.0)))
    lines = group_lines(tokens, range(len(tokens)))
    assert [text_of(tokens, line) for line in lines] == ["出。", "举办主题活动"]



def _rows(tokens: list, rows: list, top: float, pitch: float, size: float = 7.0) -> None:
    for r, cells in enumerate(rows):
        for text, x in cells:
            _line(tokens, text, x, top + pitch * r, size=size)


def test_a_wide_centred_cell_above_does_not_bridge_a_narrow_rows_gutters():
    """Centred columns: 2017年7月23日 above covers the middle of the gaps beside 完成,
    not the whole gap, so the rows stay one block."""
    tokens: list[Token] = []
    _rows(tokens, [
        [("项目启动", 180), ("按期完成", 271), ("按期完成", 340), ("5.00", 406), ("5", 443)],
        [("补贴发放完成时间", 145), ("6月前", 277), ("2017年7月23日", 327), ("6.00", 406), ("3.6", 443)],
        [("设备安装调试", 171), ("按期完成", 271), ("完成", 358), ("3.00", 406), ("3", 443)],
    ], top=100.0, pitch=16.0)
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 7.0) for line in page.lines]
    assert [len(b) for b in _blocks(page, list(range(len(page.lines))), segs, 7.0)] == [3]


def test_a_summary_row_with_most_columns_still_shapes_no_column():
    """自评总分（分） | 100 | / | 89.07 | /: five of seven columns, yet its label runs across
    the gutter between the level and name columns and must not fuse them."""
    tokens: list[Token] = []
    body = [("效益指标", 63), ("增加农民收入", 140), ("5", 249), ("明显提高", 282), ("保障了增加", 364), ("5.00", 436), ("/", 498)]
    _rows(tokens, [body] * 5, top=100.0, pitch=16.0)
    _rows(tokens, [[("自评总分（分）", 100), ("100", 245), ("/", 344), ("89.07", 434), ("/", 498)]], top=180.0, pitch=16.0)
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    [table] = page.tables
    assert len(table.col_edges) == 8
    first = {c.col: text_of(page.tokens, c.tokens) for c in table.cells if c.row == 0}
    assert first[0] == "效益指标" and first[1] == "增加农民收入"


def test_ocr_boxes_of_close_rows_overlapping_leave_the_rows_apart():
    """Rows 17 apart whose score boxes are 18 tall (OCR pads digits): the boxes of one row
    reach into the next, their centres stay a row apart."""
    tokens: list[Token] = []
    names = ["培训合格率", "违规接听电话数量", "故障响应时间", "项目启动", "热线接通时间", "设备安装调试"]
    for r, name in enumerate(names):
        top = 100.0 + 17.0 * r
        _line(tokens, name, 90, top, size=10.0)
        _line(tokens, "≥90%", 230, top, size=10.0)
        tokens.append(Token(text="1.75", box=(400.0, top - 4.0, 420.0, top + 14.0)))
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    [table] = page.tables
    rows = {}
    for c in table.cells:
        rows.setdefault(c.row, []).append(text_of(page.tokens, c.tokens))
    assert sorted(rows.values(), key=lambda r: names.index(r[0])) == [[n, "≥90%", "1.75"] for n in names]


def test_a_categorys_block_begins_where_a_subcategorys_does():
    """Centred over its rows, 产出指标 fits rows 0-4 and rows 1-3 alike; its subcategories
    begin at rows 0, 5, 12 and 13, so its block is 0-4 and the next category's begins at 5."""
    from service.stages.layout import _merged_blocks, _Piece

    bands = [[367, 375], [381, 389], [395, 403], [408, 416], [422, 431], [436, 463], [469, 478], [483, 511],
             [516, 525], [530, 538], [544, 562], [568, 605], [615, 624], [634, 642], [648, 675], [681, 690],
             [695, 703], [709, 717]]
    cells = [_Piece(0, 1, (46.0, c - 4.5, 80.0, c + 4.5), []) for c in (398.5, 532.2, 661.5)]
    assert _merged_blocks(cells, bands, margin=3.96) != [0, 5, 13]  # centring alone
    assert _merged_blocks(cells, bands, margin=3.96, inner={0, 5, 12, 13}) == [0, 5, 13]


def test_a_header_read_as_one_line_across_a_gutter_hides_no_column():
    """OCR reads 实际完成值 and 分值 as one line; the rows below show the gutter."""
    tokens: list[Token] = []
    _rows(tokens, [[("三级指标", 60), ("年度指标值", 150), ("实际完成值分值", 240), ("得分", 370)]], top=100.0, pitch=0, size=10.0)
    _rows(tokens, [[("运维支撑服务", 60), ("≥50项", 150), ("25项", 250), ("17.00", 300), ("8.50", 370)]] * 4,
          top=125.0, pitch=20.0, size=10.0)
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    [table] = page.tables
    body = sorted((c.col, text_of(page.tokens, c.tokens)) for c in table.cells if c.row == 1)
    assert [text for _, text in body] == ["运维支撑服务", "≥50项", "25项", "17.00", "8.50"]
    assert len({col for col, _ in body}) == 5


def test_a_narrow_glyph_of_a_text_layer_starts_no_segment():
    """A text layer's box hugs the ink: 产 in a kaiti is narrower than its square and leaves
    half a character to 出; the squares touch."""
    h = 7.4
    tokens = [Token(text="产", box=(60.0, 100.0, 65.9, 107.4))]  # 0.8 of a square, set left
    for k, ch in enumerate("出指标"):
        x = 69.5 + k * 8.8
        tokens.append(Token(text=ch, box=(x, 100.0, x + 7.4, 107.4)))
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    line = group_lines(page.tokens, range(len(tokens)))[0]
    assert page.tokens[1].box[0] - page.tokens[0].box[2] > 0.45 * h
    assert len(_segments(page, line, 0.45 * h)) == 1


def test_rows_as_close_as_wrapped_lines_are_no_line_gap_but_wrapped_cells_are():
    """1.55 characters apart: table rows (seen in every column at once) say nothing of how
    the page wraps a cell's lines; the lines of wrapped cells (a kaiti's small boxes leave
    0.55 of a character between them) do."""
    h = 10.0
    rows: list[Token] = []
    for k in range(8):
        for text, x in (("产出指标", 60), ("数量指标", 120), ("培训人次", 200), ("≥16人次", 280), ("5", 360)):
            _line(rows, text, x, 100.0 + k * 1.55 * h, size=h)
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=rows)
    page.lines = group_lines(page.tokens, range(len(rows)))
    assert _page_line_gap(page, [_segments(page, line, 0.45 * h) for line in page.lines], h) is None

    wrapped: list[Token] = []
    for k in range(4):  # rows four lines apart, each with a name wrapped over two lines
        top = 100.0 + k * 4 * h
        for text, x in (("效益指标", 60), ("保障热线服务中心正", 200), ("是", 320), ("8", 400)):
            _line(wrapped, text, x, top, size=h)
        _line(wrapped, "常运营", 220, top + 1.55 * h, size=h)
        _line(wrapped, "指标", 60, top + 1.55 * h, size=h)
    page = Page(number=2, width=595, height=842, text_source="ocr", tokens=wrapped)
    page.lines = group_lines(page.tokens, range(len(wrapped)))
    gap = _page_line_gap(page, [_segments(page, line, 0.45 * h) for line in page.lines], h)
    assert gap == pytest.approx(0.55 * h, abs=0.05 * h)


def test_goals_in_two_columns_whose_lines_touch_stay_out_of_the_indicator_block():
    """Goals paragraphs side by side, each line touching the next (OCR boxes taller than the
    pitch) and the last touching the header below: the header starts a block without them."""
    tokens: list[Token] = []
    _line(tokens, "年度总体目标", 57, 359.0, size=10.0)
    for k in range(6):
        _line(tokens, "完成垃圾分类年度任务" * 3, 133, 340.0 + 9.6 * k, size=10.0)
        _line(tokens, "通过三方比价确定供应商" * 3, 471, 341.0 + 9.6 * k, size=10.0)
    _line(tokens, "人等更多主体参与相关" * 3, 133, 397.6, size=10.0)
    cells = (("指标名称", 134), ("分值", 287), ("年度指标值", 368), ("实际完成值", 527), ("得分", 639), ("偏差原因分析", 700))
    body = (("外语标识采集数量", 44), ("7.00", 285), ("≥45万条", 386), ("60万条", 536), ("7.00", 636), ("——", 720))
    for top, row in ((406.0, cells), (424.8, body)):
        for text, x in row:
            _line(tokens, text, x, top, size=10.0)
    page = Page(number=1, width=842, height=595, text_source="ocr", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 10.0) for line in page.lines]
    blocks = _blocks(page, list(range(len(page.lines))), segs, 10.0)
    assert [text_of(page.tokens, page.lines[b[0]])[:4] for b in blocks][-1] == "指标名称"


def test_the_last_glyph_of_a_wrapped_cell_joins_it_though_ocr_set_it_low():
    """诉举报平台运维设备数 / 量: the lone 量 sits half a character lower than the page's
    line gap, beside nothing, nearer its cell than the next row: it ends the name."""
    h = 9.0
    tokens: list[Token] = []
    for top, row in ((361.0, (("诉举报平台运维设备数", 143), ("2", 249), ("=6400台/套", 277), ("2.00", 436))),
                     (391.0, (("巡查河道长度", 161), ("4", 249), ("≥45公里", 286), ("0.00", 436))),
                     (421.0, (("开展执法检查", 161), ("7", 249), ("=5次", 291), ("6.30", 436)))):
        for text, x in row:
            _line(tokens, text, x, top, size=h)
    _line(tokens, "量", 143, 374.5, size=h)  # 13.5 below: a gap of half a character
    for k in range(6):  # the page's paragraphs wrap at 0.2 of a character
        _line(tokens, "围绕外语标识整治重点任务开展成果推广展示进一步引导", 60, 100.0 + 10.8 * k, size=h)
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    find_borderless_tables(page)

    table = next(t for t in page.tables if len(t.col_edges) > 3)
    names = [text_of(page.tokens, c.tokens) for c in sorted(table.cells, key=lambda c: c.row) if c.col == 0]
    assert names == ["诉举报平台运维设备数量", "巡查河道长度", "开展执法检查"]


def test_short_cells_of_a_row_far_apart_are_no_letter_spaced_text():
    """长期 | 好 | 1 | 1: four short pieces, the gaps uneven but within 2.5 times of each
    other, several characters wide: cells, not a spaced-out key (项 目 名 称)."""
    h = 8.0
    boxes = (("长", 270, 278), ("期", 279, 287), ("好", 357, 365), ("1", 416, 419), ("1", 448, 451))  # as read
    tokens = [Token(text=t, box=(x0, 625.0, x1, 633.0)) for t, x0, x1 in boxes]
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=tokens)
    line = group_lines(page.tokens, range(len(tokens)))[0]
    assert len(_segments(page, line, 0.45 * h)) == 4
    spaced: list[Token] = []
    for k, ch in enumerate("项目名称"):
        _line(spaced, ch, 60 + k * 2 * h, 100.0, size=h)
    page = Page(number=1, width=595, height=842, text_source="ocr", tokens=spaced)
    assert len(_segments(page, group_lines(page.tokens, range(4))[0], 0.45 * h)) == 1


def test_a_wrapped_cell_wider_than_its_column_does_not_split_the_table():
    """保障了城市精细化管理 / 平，好: the actual's first line runs across the gutters
    beside its column's short values; a narrow piece, not a paragraph."""
    tokens: list[Token] = []
    row = (("提高公众环保意识", 190), ("定性", 303), ("基本实现", 384), ("基本实现", 545), ("2", 634), ("0.00", 665), ("-", 745))
    _rows(tokens, [row] * 6, top=100.0, pitch=16.0)
    _line(tokens, "保障了城市精细化管理理" * 2, 460, 196.0)  # wider than 基本实现, across both its gutters
    _rows(tokens, [(("提升城市精细化管理", 177), ("定性", 303), ("达成预期指标", 375), ("1", 634), ("1.00", 666), ("-", 745))],
          top=204.0, pitch=16.0)
    _line(tokens, "平，好", 549, 212.0)
    _rows(tokens, [row] * 3, top=230.0, pitch=16.0)
    page = Page(number=1, width=842, height=595, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 7.0) for line in page.lines]
    assert len(_blocks(page, list(range(len(page.lines))), segs, 7.0)) == 1


def test_a_merged_cell_fitting_its_block_both_ways_is_read_centred():
    """数量指标 centred on the rows of this page, its top level with the fourth row's by
    chance: most forms centre merged cells, so its block is not read as starting there."""
    from service.stages.layout import _merged_blocks, _Piece

    bands = [[427, 436], [444, 453], [462, 471], [479, 514], [524, 532]]
    cell = _Piece(1, 1, (118.0, 481.0, 154.0, 489.4), [])
    assert _merged_blocks([cell], bands, margin=4.1)[0] < 3


def test_the_funds_header_under_the_header_block_starts_a_table_of_its_own():
    """主管部门 | 湖北省民政厅 | 实施单位 | 湖北省发展研究中心, then 年初预算数 | 全年预算数 |
    全年执行数 | 分值 | 执行率 | 得分: two more cells than any line above, a new table."""
    tokens: list[Token] = []
    _rows(tokens, [
        [("项目名称", 51), ("2023年12345热线专项", 103)],
        [("主管部门", 51), ("湖北省民政厅", 103), ("实施单位", 320), ("湖北省发展研究中心", 369)],
        [("项目负责人", 47), ("赵婷", 103), ("联系电话", 320), ("15339983252", 370)],
        [("年初预算数", 196), ("全年预算数", 255), ("全年执行数", 313), ("分值", 386), ("执行率", 440), ("得分", 510)],
        [("年度资金总额", 92), ("804.06", 204), ("804.06", 264), ("804.06", 322), ("10", 391), ("100.00%", 436), ("10", 512)],
    ], top=129.0, pitch=16.0)
    page = Page(number=1, width=595, height=842, text_source="text_layer", tokens=tokens)
    page.lines = group_lines(page.tokens, range(len(tokens)))
    segs = [_segments(page, line, 0.45 * 7.0) for line in page.lines]
    assert [len(b) for b in _blocks(page, list(range(len(page.lines))), segs, 7.0)] == [3, 2]
