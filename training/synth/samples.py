"""Fixed plans for ``--split samples``: together they show every variation the generator has.

Each plan pins what matters for the sample (form types, table length, columns, pagination
habits, rubric pages, scan turns); the rest is drawn from the seed. samples/README.md
describes what each one shows.
"""

from __future__ import annotations

# "extras": False keeps the finer print and scan habits (jittered widths, bitonal scans …) at
# their defaults, so these plans print exactly as when the samples were committed.
SAMPLE_PLANS: list[dict] = [
    # s01 the Beijing look: ruled portrait project form, merged levels, 续上页 in the merged
    #     columns, a row split at the page break, placeholder rows, an empty 二级指标, a "0"
    #     deviation (PNG pages kept)
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [30], "rubric": None, "extras": False, "dpi": 150, "png": True,
     "placeholder": True, "level_only": True, "zero_text": True,
     "style": {"table": "ruled", "orientation": "portrait", "column_order": "standard", "marker": "续上页",
               "marker_place": "column", "level_continuation": "marker", "left_label": True, "merge_levels": True,
               "split_rows": True, "header_repeat": True, "font": "noto_serif", "size": 9.0}},
    # s02 department-wide form with a flat indicator list (no 一级/二级), 部门联系人 / 财政处室
    {"n_forms": 1, "form_types": ["department"], "n_indicators": [14], "rubric": None, "extras": False, "dpi": 200, "png": False,
     "spec": {"levels": False, "signatures": True},
     "style": {"table": "ruled", "column_order": "standard", "font": "noto_sans", "marker": "none"}},
    # s03 three forms in one PDF, each after the previous one on the same page (mid-page starts)
    {"n_forms": 3, "form_types": ["project", "project", "department"], "n_indicators": [4, 5, 6], "rubric": None, "extras": False,
     "dpi": 150, "png": False,
     "style": {"forms_on_new_page": False, "table": "ruled", "font": "wqy_microhei", "size": 8.5, "column_order": "standard"}},
    # s04 a long form: 80 rows over several pages, no header repeat, no marker
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [80], "rubric": None, "extras": False, "dpi": 150, "png": False,
     "style": {"split_rows": True, "header_repeat": False, "marker": "none", "table": "ruled", "font": "noto_sans",
               "column_order": "standard", "orientation": "portrait", "size": 10.5}},
    # s05 borderless table on a landscape page
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [22], "rubric": None, "extras": False, "dpi": 150, "png": False,
     "style": {"column_order": "standard", "table": "borderless", "orientation": "landscape", "left_label": False, "merge_levels": False,
               "marker": "续表", "marker_place": "line", "header_repeat": True, "font": "wqy_zenhei"}},
    # s06 Sichuan template: 指标性质 | 指标值 | 度量单位, 完成值, 权重, 未完成原因分析
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [18], "rubric": None, "extras": False, "dpi": 200, "png": False,
     "style": {"column_order": "sichuan", "table": "ruled", "font": "uming", "header_repeat": True, "marker": "接上页",
               "marker_place": "line"}},
    # s07 extra columns: 序号 and 指标说明
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [16], "rubric": None, "extras": False, "dpi": 150, "png": False,
     "style": {"column_order": "with_note", "table": "ruled", "orientation": "landscape", "font": "noto_sans"}},
    # s08 extra columns: 指标性质 (定量/定性) and 计量单位; levels repeated on every row
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [15], "rubric": None, "extras": False, "dpi": 150, "png": False,
     "style": {"column_order": "with_unit", "table": "ruled", "merge_levels": False, "font": "noto_serif"}},
    # s09 a form followed by a scoring rubric (指标解释 / 评分标准 / 自评得分): not a form
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [12], "rubric": "after", "extras": False, "dpi": 150, "png": False,
     "style": {"column_order": "weight_first", "table": "ruled", "font": "wqy_zenhei"}},
    # s10 pages fed into the scanner turned (90/180°), 分值/得分 before the targets (PNG pages kept)
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [30], "rubric": None, "extras": False, "dpi": 150, "png": True,
     "rotate_rate": 0.5,
     "style": {"column_order": "score_first", "table": "ruled", "font": "noto_sans", "marker": "续上页",
               "marker_place": "line", "header_repeat": False}},
    # s11 年度指标值 before 三级指标, points in the level-1 labels, 评分等级 printed, 续表 + header repeat
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [28], "rubric": None, "extras": False, "dpi": 200, "png": False,
     "spec": {"after_blocks": True}, "level1_points": True,
     "style": {"column_order": "target_first", "grade_printed": True, "marker": "续表", "marker_place": "line",
               "header_repeat": True, "font": "uming", "table": "ruled"}},
    # s12 department form with levels, no 偏差 column, top-aligned cells, 接上页 in merged columns
    {"n_forms": 1, "form_types": ["department"], "n_indicators": [34], "rubric": None, "extras": False, "dpi": 200, "png": False,
     "spec": {"levels": True},
     "style": {"column_order": "no_deviation", "valign": "top", "marker": "接上页", "marker_place": "column",
               "level_continuation": "marker", "font": "kaiti", "table": "ruled", "header_repeat": False}},
    # s13 a rubric first, then a project and a department form, borderless, forms on new pages
    {"n_forms": 2, "form_types": ["project", "department"], "n_indicators": [9, 11], "rubric": "before", "extras": False, "dpi": 150,
     "png": False, "spec": {"signatures": True},
     "style": {"table": "borderless", "forms_on_new_page": True, "left_label": False, "font": "wqy_microhei",
               "orientation": "portrait"}},
    # s14 levels reprinted on continuation pages, no marker, 评价结论/存在问题/改进措施 under the table
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [40], "rubric": None, "extras": False, "dpi": 150, "png": False,
     "placeholder": True, "zero_text": True, "spec": {"after_blocks": True, "signatures": True},
     "style": {"level_continuation": "reprint", "marker": "none", "header_repeat": True, "table": "ruled",
               "font": "noto_sans", "size": 10.5, "left_label": False}},
]
