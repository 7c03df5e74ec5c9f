"""Layout → keyword labelling → reconstruction on hand-built pages (no OCR, no model)."""

from __future__ import annotations

import pytest

from service.document import Document
from service.registry import create

IND_WIDTHS = [30, 60, 60, 90, 70, 80, 30, 35, 60]
IND_HEADER = ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]


def run_stages(pages) -> Document:
    doc = Document(source="hand-built", pages=pages)
    for name, opts in (("layout", {}), ("labelling", {"labeller": "keywords"}), ("reconstruct", {})):
        doc = create("stages", name, **opts)(doc)
    return doc


def two_page_form(page_builder, header_on_page2: bool = False, marker: str | None = "续上页", grade_label: str | None = None,
                  carried: str = "尾款已于次年支付"):
    p1 = page_builder(1)
    p1.line("项目支出绩效自评表", 220, 40).line("（2020年度）", 250, 62)
    p1.table(
        [
            ["项目名称", "信息化支撑", None, None],
            ["主管部门", "北京市政务服务管理局", "实施单位", "北京市市民热线服务中心"],
            ["项目负责人", "苏杨", "联系电话", "13671198881"],
        ],
        widths=[80, 180, 80, 175],
        y=90,
        spans={(0, 1): (1, 3)},
    )
    p1.table(
        [
            ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
            [None, "年度资金总额", "576.09", "508.75", "508.75", "10", "100.00%", "10.00"],
            [None, "其中：当年财政拨款", "576.09", "508.75", "508.75", "——", "——", "——"],
            [None, "上年结转资金", "——", "——", "——", "——", "——", "——"],
        ],
        widths=[60, 120, 60, 60, 60, 45, 60, 50],
        heights=30,
        y=170,
        spans={(0, 0): (4, 1)},
    )
    p1.table(
        [
            IND_HEADER,
            [None, "产出指标", "数量指标", "IT硬件运维设备数量", "100", "100", "4", "4.00", "——"],
            [None, None, None, "诉举报平台运维设备数量", "19", "19", "4", "4.00", "——"],
            [None, None, "时效指标", "云服务租赁首款支付", "6月前", "2020年6月4日", "3", "2.40", "属于非紧急救助服务系统运行维护，延迟支付"],
        ],
        widths=IND_WIDTHS,
        heights=[50, 40, 40, 60],
        y=320,
        spans={(0, 0): (4, 1), (1, 1): (3, 1), (1, 2): (2, 1)},
    )
    p2 = page_builder(2)
    rows = []
    spans = {}
    if header_on_page2:
        rows.append(IND_HEADER)
    first = len(rows)
    rows += [
        [marker or "", "", "", "", "", "", "", "", carried],
        [None, "效益指标", "社会效益指标", "保障云服务正常运行", "保障正常", "正常", "7", "6.00", "未开展满意度调查"],
        ["总分", None, None, None, None, None, "100", "91.40", "——"],
    ]
    spans[(first, 0)] = (2, 1)
    spans[(first + 2, 0)] = (1, 6)
    if grade_label:
        rows.append([grade_label, None, None, None, None, None, "优", None, None])
        spans[(first + 3, 0)] = (1, 6)
        spans[(first + 3, 6)] = (1, 3)
    if header_on_page2:
        spans[(0, 0)] = (1, 1)
    p2.table(rows, widths=IND_WIDTHS, heights=[50] * len(rows), y=60, spans=spans)
    return [p1.build(), p2.build()]


def test_one_form_across_two_pages(page_builder):
    doc = run_stages(two_page_form(page_builder))
    assert len(doc.forms) == 1
    form = doc.forms[0]
    assert form.title == "项目支出绩效自评表"
    assert form.year == 2020
    assert form.form_type.value == "project"
    assert form.project_name == "信息化支撑"
    assert form.department == "北京市政务服务管理局"
    assert form.implementing_unit == "北京市市民热线服务中心"
    assert form.project_lead == "苏杨"
    assert form.contact_phone == "13671198881"
    assert [f.item for f in form.funds] == ["年度资金总额", "当年财政拨款", "上年结转资金"]
    total = form.funds[0]
    assert (total.initial_budget, total.annual_budget, total.executed) == (576.09, 508.75, 508.75)
    assert (total.weight, total.execution_rate, total.score) == (10.0, 100.0, 10.0)
    assert form.funds[1].weight is None and form.funds[1].item_kind == "appropriation"
    assert form.funds[2].initial_budget is None
    assert form.total_score == 91.4
    assert form.pages == [1, 2]


def test_rows_stitched_and_levels_filled(page_builder):
    form = run_stages(two_page_form(page_builder)).forms[0]
    names = [i.name for i in form.indicators]
    assert names == ["IT硬件运维设备数量", "诉举报平台运维设备数量", "云服务租赁首款支付", "保障云服务正常运行"]
    split = form.indicators[2]
    assert split.deviation == "属于非紧急救助服务系统运行维护，延迟支付尾款已于次年支付"
    assert split.page == 1
    assert split.provenance["deviation"].page == 1
    assert (split.weight, split.score, split.target, split.actual) == (3.0, 2.4, "6月前", "2020年6月4日")
    assert [i.level1 for i in form.indicators] == ["产出指标"] * 3 + ["效益指标"]
    assert [i.level2 for i in form.indicators] == ["数量指标", "数量指标", "时效指标", "社会效益指标"]
    assert form.indicators[0].deviation is None  # printed as a dash
    assert form.indicators[3].page == 2


def test_continuation_with_repeated_header_and_no_marker(page_builder):
    form = run_stages(two_page_form(page_builder, header_on_page2=True, marker=None)).forms[0]
    assert len(form.indicators) == 4
    assert form.indicators[2].deviation.endswith("尾款已于次年支付")
    assert form.indicators[3].level2 == "社会效益指标"


def test_a_sentence_end_alone_on_the_next_page_continues_the_row(page_builder):
    form = run_stages(two_page_form(page_builder, carried="。")).forms[0]
    assert form.indicators[2].deviation == "属于非紧急救助服务系统运行维护，延迟支付。"
    assert len(form.indicators) == 4


@pytest.mark.parametrize("label", ["评分等级", "评价等级", "绩效评价等级"])
def test_grade_row_after_the_total(page_builder, label):
    form = run_stages(two_page_form(page_builder, grade_label=label)).forms[0]
    assert form.grade == "优"
    assert form.total_score == 91.4
    assert len(form.indicators) == 4


def test_two_forms_split_at_the_title(page_builder):
    pages = two_page_form(page_builder)
    second = two_page_form(page_builder)
    for page in second:
        page.number += 2
    doc = run_stages(pages + second)
    assert len(doc.forms) == 2
    assert [f.pages for f in doc.forms] == [[1, 2], [3, 4]]
    assert all(len(f.indicators) == 4 for f in doc.forms)


def test_scoring_rubric_is_not_a_form(page_builder):
    page = page_builder(1)
    page.line("项目支出绩效评价指标体系及评分标准", 150, 40)
    page.table(
        [
            ["一级指标", "二级指标", "三级指标", "指标解释", "评分标准", "分值"],
            ["产出指标", "数量指标", "完成率", "实际完成数/计划数", "每降低1%扣1分", "10"],
        ],
        widths=[60, 60, 80, 120, 120, 40],
        heights=40,
    )
    doc = run_stages([page.build()])
    assert doc.forms == []


def test_borderless_table_from_text_geometry(page_builder):
    page = page_builder(1)
    page.line("项目支出绩效自评表", 220, 40)
    page.table(
        [
            ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
            ["产出指标", "数量指标", "设备数量", "100台", "100台", "10", "10", "——"],
            ["", "", "服务器巡检次数", "≥12次", "12次", "10", "8", "设备老化，下年度更换"],
            ["效益指标", "社会效益指标", "群众满意度", "≥90%", "92%", "20", "20", ""],
        ],
        widths=[60, 70, 80, 60, 60, 30, 30, 100],
        heights=[36, 26, 36, 26],
        y=80,
        ruled=False,
    )
    doc = run_stages([page.build()])
    assert [t.ruled for t in doc.pages[0].tables] == [False]
    form = doc.forms[0]
    assert [i.name for i in form.indicators] == ["设备数量", "服务器巡检次数", "群众满意度"]
    assert form.indicators[1].deviation == "设备老化，下年度更换"
    assert form.indicators[1].level1 == "产出指标" and form.indicators[1].level2 == "数量指标"
    assert form.indicators[2].level2 == "社会效益指标"
    assert [i.score for i in form.indicators] == [10, 8, 20]


def test_a_bracket_wrapped_alone_onto_the_last_line_closes_what_is_open():
    from service.stages.reconstruct import close_wrapped_bracket

    assert close_wrapped_bracket(["产出指标（47分", "8"]) == "产出指标（47分）"
    assert close_wrapped_bracket(["持续发挥作用年限(二", "1"]) == "持续发挥作用年限(二)"
    assert close_wrapped_bracket(["完成验收（", "）"]) == "完成验收（）"
    # nothing open, or more than one glyph: the text stands as read
    assert close_wrapped_bracket(["培训人数达到12", "8"]) == "培训人数达到128"
    assert close_wrapped_bracket(["指标（一）", "8"]) == "指标（一）8"
    assert close_wrapped_bracket(["产出指标（47分"]) == "产出指标（47分"


def test_a_key_printed_in_a_value_cell_is_left_out_of_the_value():
    from service.document import Page, Token
    from service.stages.reconstruct import _cell_part

    text = "实施单位南京市体育局"
    tokens = [Token(text=ch, box=(10 * k, 0, 10 * k + 9, 9), label="KEY" if k < 4 else "IMPLEMENTING_UNIT")
              for k, ch in enumerate(text)]
    page = Page(number=1, width=595, height=842, tokens=tokens)
    assert _cell_part(page, list(range(len(tokens)))).text == "南京市体育局"
    # a character read as a key inside a value stays: 产出指标 is a level, not a key and a value
    for k, token in enumerate(tokens):
        token.label = "KEY" if k == 3 else "LEVEL1"
    assert _cell_part(page, list(range(len(tokens)))).text == text


def test_of_two_header_values_for_one_field_the_surer_wins(page_builder):
    """A learned labeller may read the 填报单位 line above the table as the project name, less
    surely than the 项目名称 cell it precedes: the cell's value is the form's."""
    p1 = page_builder(1)
    p1.line("项目支出绩效自评表", 220, 40).line("填报单位：天津市体育局机关服务中心", 60, 66)
    p1.table([["项目名称", "信息化支撑"], ["主管部门", "天津市体育局"]], widths=[80, 300], y=90)
    doc = Document(source="hand-built", pages=[p1.build()])
    for name, opts in (("layout", {}), ("labelling", {"labeller": "keywords"})):
        doc = create("stages", name, **opts)(doc)
    for token in doc.pages[0].tokens:
        if token.text in "天津市体育局机关服务中心" and token.box[1] < 80:
            token.label, token.label_confidence = "PROJECT_NAME", 0.6
        elif token.text in "信息化支撑":
            token.label_confidence = 0.95
    form = create("stages", "reconstruct")(doc).forms[0]
    assert form.project_name == "信息化支撑"
    assert form.department == "天津市体育局"


def test_printed_numbers_parse_and_dashes_do_not():
    from service.stages.reconstruct import parse_number

    assert [parse_number(t) for t in ("576.09", "100.00%", "10分", "1,234.5 万元", "7.")] == [576.09, 100.0, 10.0, 1234.5, 7.0]
    assert [parse_number(t) for t in ("——", "", "7..", ".")] == [None, None, None, None]


def test_loose_lines_under_a_row_continue_its_text_cell():
    """The rest of a borderless row cut by the page break prints as loose 偏差 lines above the
    new page's table: only the first of them is the page's first unit, the others follow it
    line under line. A 偏差 line far below a row, or one holding a name, is no such line."""
    from service.document import Page, Token
    from service.labels import FieldLabel as L
    from service.stages.reconstruct import Unit, _FormBuilder, _line_unit

    def page_of(number: int, lines: list[tuple[float, list[tuple[str, float, L]]]]) -> tuple[Page, list[Unit]]:
        page = Page(number=number, width=842, height=595, text_source="text_layer")
        units = []
        for top, runs in lines:
            ids = []
            for text, x, label in runs:
                for k, ch in enumerate(text):
                    ids.append(len(page.tokens))
                    page.tokens.append(Token(text=ch, box=(x + 9 * k, top, x + 9 * k + 9, top + 9), label=label.value))
            units.append(_line_unit(page, ids, ruled=False, table_id=None))
        return page, units

    row = [("森林覆盖率", 60, L.name), ("≥30%", 200, L.target), ("31%", 260, L.actual), ("3", 320, L.weight),
           ("3", 350, L.score), ("项目结余资金已按规定收回。", 400, L.deviation)]
    _, first = page_of(1, [(500.0, [("项目支出绩效自评表", 200, L.title)]), (520.0, row)])
    _, second = page_of(2, [(114.0, [("今后将加强与相", 400, L.deviation)]), (127.0, [("关单位的沟通协调，确保", 400, L.deviation)]),
                            (140.0, [("按期完成。", 400, L.deviation)]),
                            (160.0, [("改善水环境质量", 60, L.name), ("明显改善", 200, L.target), ("3", 320, L.weight)]),
                            (240.0, [("另起一行的偏差说明", 400, L.deviation)])])
    builder = _FormBuilder()
    for unit in first + second:
        builder.feed(unit)
    [form] = builder.finish()
    assert [i.name for i in form.indicators] == ["森林覆盖率", "改善水环境质量", None]
    assert form.indicators[0].deviation == "项目结余资金已按规定收回。今后将加强与相关单位的沟通协调，确保按期完成。"


def test_a_level_cell_cut_by_the_page_break_continues_on_the_new_page(page_builder):
    """成本指 at the foot of page 1, 标 in the first row of page 2 (a fresh indicator of the
    same category): one level, 成本指标. A whole name there starts a new category."""
    def form(second_level: str):
        p1 = page_builder(1)
        p1.line("项目支出绩效自评表", 220, 40)
        p1.table([IND_HEADER[1:],
                  ["产出指标", "数量指标", "设备数量", "100台", "100台", "10", "10", "——"],
                  [None, "成本指", "运维成本", "≤5万元", "4万元", "10", "10", "——"]],
                 widths=IND_WIDTHS[1:], heights=[40, 30, 30], y=600, spans={(1, 0): (2, 1)})
        p2 = page_builder(2)
        p2.table([["产出指标", second_level, "培训成本", "≤2万元", "2万元", "10", "10", "——"]],
                 widths=IND_WIDTHS[1:], heights=[30], y=60)
        return run_stages([p1.build(), p2.build()]).forms[0]

    assert [i.level2 for i in form("标").indicators] == ["数量指标", "成本指标", "成本指标"]
    assert [i.level2 for i in form("时效指标").indicators] == ["数量指标", "成本指", "时效指标"]


def test_a_level_cut_into_two_words_is_made_whole_by_the_framework_names(page_builder):
    """可持续 | 影响指标 across the break is one framework category; 质量指 (its 标 lost) and
    经济效益指标 are two."""
    def level2s(before: str, after: str) -> list[str | None]:
        p1 = page_builder(1)
        p1.line("项目支出绩效自评表", 220, 40)
        p1.table([IND_HEADER[1:],
                  ["效益指标", before, "带动就业", "≥10人", "12人", "10", "10", "——"]],
                 widths=IND_WIDTHS[1:], heights=[40, 30], y=600)
        p2 = page_builder(2)
        p2.table([["效益指标", after, "长效机制", "健全", "健全", "10", "10", "——"]],
                 widths=IND_WIDTHS[1:], heights=[30], y=60)
        return [i.level2 for i in run_stages([p1.build(), p2.build()]).forms[0].indicators]

    assert level2s("可持续", "影响指标") == ["可持续影响指标", "可持续影响指标"]
    assert level2s("质量指", "经济效益指标") == ["质量指", "经济效益指标"]


def test_a_placeholder_row_on_the_new_page_adds_nothing_to_the_row_it_continues(page_builder):
    """A template's leftover …… row, first on the new page beside the rest of its cut level."""
    p1 = page_builder(1)
    p1.line("项目支出绩效自评表", 220, 40)
    p1.table([IND_HEADER[1:], ["产出指标", "数量指", "设备数量", "100台", "100台", "10", "10", "——"]],
             widths=IND_WIDTHS[1:], heights=[40, 30], y=600)
    p2 = page_builder(2)
    p2.table([[None, "标", "……", None, None, None, None, None]], widths=IND_WIDTHS[1:], heights=[30], y=60)
    [ind] = run_stages([p1.build(), p2.build()]).forms[0].indicators
    assert (ind.level2, ind.name, ind.target) == ("数量指标", "设备数量", "100台")


def test_a_level_cut_inside_its_points_bracket_is_made_whole(page_builder):
    """效益指标（22分 at the foot of page 1, ） alone at the top of page 2: one level; the
    level-2 category filled down from page 1 stays."""
    p1 = page_builder(1)
    p1.line("项目支出绩效自评表", 220, 40)
    p1.table([IND_HEADER[1:],
              ["效益指标（22分", "生态效益指标", "减少碳排放", "有效减少", "效果明显", "10", "10", "——"]],
             widths=IND_WIDTHS[1:], heights=[40, 30], y=600)
    p2 = page_builder(2)
    p2.table([["）", None, "森林覆盖率", "≥95%", "95%", "12", "12", "——"]],
             widths=IND_WIDTHS[1:], heights=[30], y=60)
    form = run_stages([p1.build(), p2.build()]).forms[0]
    assert [(i.level1, i.level2) for i in form.indicators] == [("效益指标（22分）", "生态效益指标")] * 2


def test_a_stray_piece_read_as_title_does_not_retype_the_form():
    """部门整体支出绩效自评表, then "23" at the page's edge read as title too: still a department form."""
    from service.document import Page, Token
    from service.labels import FieldLabel as L
    from service.stages.reconstruct import _FormBuilder, _line_unit

    page = Page(number=1, width=842, height=595, text_source="text_layer")
    builder = _FormBuilder()
    for top, text, x, label in ((40.0, "部门整体支出绩效自评表", 300, L.title), (66.0, "23", 780, L.title),
                                (90.0, "南京市科学技术局", 200, L.project_name)):
        ids = []
        for k, ch in enumerate(text):
            ids.append(len(page.tokens))
            page.tokens.append(Token(text=ch, box=(x + 9 * k, top, x + 9 * k + 9, top + 9), label=label.value))
        builder.feed(_line_unit(page, ids, ruled=False, table_id=None))
    [form] = builder.finish()
    assert form.form_type.value == "department"
