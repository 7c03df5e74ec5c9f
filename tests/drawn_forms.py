"""Ruled forms drawn with Pillow at a chosen dpi, with the true cells they contain.

Used by the ingest and ruling tests: a header block, a funds block and an indicator
table whose 一级指标 cell spans six rows, filled with CJK text so that orientation
detection has real text lines to look at. Scan defects (skew, noise, a red seal, broken
rulings, dashes in cells) are switched on by arguments.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
A4 = (595.0, 842.0)


class TrueCell:
    def __init__(self, box, row, col, row_span=1, col_span=1):
        self.box, self.row, self.col, self.row_span, self.col_span = box, row, col, row_span, col_span

    def __repr__(self) -> str:
        return f"TrueCell({self.box}, r{self.row} c{self.col} {self.row_span}x{self.col_span})"


def _grid(x, y, widths, heights, texts, spans):
    """Cells of one table: texts[r][c] (None under a span), spans {(r, c): (rows, cols)}."""
    xs = [x]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [y]
    for h in heights:
        ys.append(ys[-1] + h)
    cells = []
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            if text is None:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            cells.append((TrueCell((xs[c], ys[r], xs[c + cs], ys[r + rs]), r, c, rs, cs), text))
    return cells


def form_tables(y0: float = 90.0) -> list[list[tuple[TrueCell, str]]]:
    """Three tables (header, funds, indicators) in points on an A4 page."""
    header = _grid(
        40, y0, [80, 180, 80, 175], [24, 24, 24],
        [["项目名称", "信息化支撑服务项目", None, None],
         ["主管部门", "北京市政务服务管理局", "实施单位", "市民热线服务中心"],
         ["项目负责人", "苏杨", "联系电话", "13671198881"]],
        {(0, 1): (1, 3)},
    )
    funds = _grid(
        40, y0 + 100, [70, 120, 65, 65, 65, 40, 50, 40], [28, 24, 24, 24],
        [["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
         [None, "年度资金总额", "576.09", "508.75", "508.75", "10", "100%", "10"],
         [None, "其中：当年财政拨款", "576.09", "508.75", "508.75", "——", "——", "——"],
         [None, "上年结转资金", "——", "——", "——", "——", "——", "——"]],
        {(0, 0): (4, 1)},
    )
    rows = [["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析"]]
    names = ["硬件运维设备数量", "平台运维设备数量", "系统巡检次数", "首款支付时间", "尾款支付时间", "故障响应时间"]
    for k, name in enumerate(names):
        level1 = "产出指标" if k == 0 else None
        level2 = ("数量指标" if k == 0 else "时效指标") if k in (0, 3) else None
        rows.append([level1, level2, name, f"{100 - k}台", "——" if k == 2 else f"{98 - k}台", "5", "4.5", "按计划完成"])
    indicators = _grid(
        40, y0 + 230, [60, 60, 110, 70, 70, 40, 40, 65], [30] + [34] * 6,
        rows,
        {(1, 0): (6, 1), (1, 1): (3, 1), (4, 1): (3, 1)},
    )
    return [header, funds, indicators]


def draw_form(
    dpi: float = 200,
    skew: float = 0.0,
    noise: float = 0.0,
    seal: bool = False,
    broken_rulings: bool = False,
    line_pt: float = 0.8,
    open_sides: bool = False,
    pen_loop: bool = False,
    seed: int = 0,
) -> tuple[Image.Image, list[list[TrueCell]]]:
    """An A4 page image and the true cells of each table (boxes in points, before skew)."""
    rng = np.random.default_rng(seed)
    s = dpi / 72.0
    img = Image.new("RGB", (round(A4[0] * s), round(A4[1] * s)), "white")
    draw = ImageDraw.Draw(img)
    lw = max(1, round(line_pt * s))
    title = ImageFont.truetype(FONT, round(16 * s))
    body = ImageFont.truetype(FONT, round(9 * s))
    draw.text((200 * s, 40 * s), "项目支出绩效自评表", font=title, fill="black")
    draw.text((230 * s, 64 * s), "（2020年度）", font=body, fill="black")
    truth = []
    for table in form_tables():
        cells = []
        for cell, text in table:
            x0, y0, x1, y1 = (v * s for v in cell.box)
            left_open = open_sides and cell.col == 0
            right_open = open_sides and math.isclose(cell.box[2], max(c.box[2] for c, _ in table))
            draw.line([(x0, y0), (x1, y0)], fill="black", width=lw)
            draw.line([(x0, y1), (x1, y1)], fill="black", width=lw)
            if not left_open:
                draw.line([(x0, y0), (x0, y1)], fill="black", width=lw)
            if not right_open:
                draw.line([(x1, y0), (x1, y1)], fill="black", width=lw)
            per_line = max(1, int((cell.box[2] - cell.box[0] - 4) // 9.5))
            for k in range(0, len(text), per_line):
                draw.text((x0 + 2 * s, y0 + (3 + 11 * (k // per_line)) * s), text[k : k + per_line], font=body, fill="black")
            cells.append(cell)
        truth.append(cells)
    if broken_rulings:
        # Short white breaks across rulings, as a worn scan or a light print leaves them.
        for cell in truth[2][::3]:
            x0, y0, x1, _ = (v * s for v in cell.box)
            mid = (x0 + x1) / 2
            draw.rectangle([mid - 2 * s, y0 - lw, mid + 2 * s, y0 + lw], fill="white")
    if seal:
        cx, cy, r = 420 * s, 420 * s, 60 * s
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(215, 40, 40), width=round(2.5 * s))
        draw.text((cx - 30 * s, cy - 8 * s), "财务专用章", font=body, fill=(215, 40, 40))
    if pen_loop:
        # A reviewer's ring around a score, crossing the rulings of three columns.
        draw.ellipse([330 * s, 452 * s, 480 * s, 480 * s], outline=(50, 50, 60), width=max(2, round(1.2 * s)))
    if skew:
        img = img.rotate(skew, resample=Image.BILINEAR, fillcolor="white")
    if noise:
        arr = np.asarray(img).astype(np.float32)
        arr = arr * 0.9 + 15 + rng.normal(0, noise, arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img, truth


def turned(img: Image.Image, clockwise: int) -> Image.Image:
    """The page as a scanner that fed it turned ``clockwise`` degrees would deliver it."""
    return img.rotate(-clockwise, expand=True) if clockwise else img


def match_cells(found, truth, tol: float = 3.0) -> int:
    """How many true cells have a found cell with every side within ``tol`` points and the same span."""
    hits = 0
    for t in truth:
        for f in found:
            if max(abs(a - b) for a, b in zip(f.box, t.box)) <= tol and (f.row_span, f.col_span) == (t.row_span, t.col_span):
                hits += 1
                break
    return hits
