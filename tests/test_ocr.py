"""The ocr stage: line splitting in ruled cells, character boxes, backends.

Pages are drawn by hand with Pillow (a ruled table with CJK text, like a scanned form)
and their cells given explicitly, as the ruling stage would leave them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from service.document import Cell, Document, Page, Table, Token
from service.registry import create, names
from service.stages.ocr import fixture
from service.stages.ocr.base import CharRead, LineRead, ctc_decode
from service.stages.ocr.lines import ink_mask, split_lines, trim_borders
from service.stages.ocr.stage import OcrStage

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
SCALE = 200 / 72  # a 200 dpi scan: pixels per point


def _font(points: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, int(round(points * SCALE)))


def draw_table(
    rows: list[list[str]],
    widths: list[float],
    height: float = 30.0,
    x: float = 40.0,
    y: float = 60.0,
    title: str | None = None,
    font_pt: float = 10.5,
) -> Page:
    """A ruled table as a 200 dpi grey page image; '\\n' in a cell starts a new line."""
    w_pt, h_pt = 595.0, 842.0
    img = Image.new("L", (int(w_pt * SCALE), int(h_pt * SCALE)), 250)
    draw = ImageDraw.Draw(img)
    font = _font(font_pt)
    xs = [x]
    for w in widths:
        xs.append(xs[-1] + w)
    cells: list[Cell] = []
    for r, row in enumerate(rows):
        y0 = y + r * height
        for c, text in enumerate(row):
            box = (xs[c], y0, xs[c + 1], y0 + height)
            cells.append(Cell(box=box, row=r, col=c))
            lines = text.split("\n")
            ty = y0 + (height - len(lines) * font_pt * 1.25) / 2
            for k, line in enumerate(lines):
                draw.text(((xs[c] + 4) * SCALE, (ty + k * font_pt * 1.25) * SCALE), line, font=font, fill=20)
    y_end = y + len(rows) * height
    for xv in xs:
        draw.line([(xv * SCALE, y * SCALE), (xv * SCALE, y_end * SCALE)], fill=0, width=3)
    for r in range(len(rows) + 1):
        yv = y + r * height
        draw.line([(xs[0] * SCALE, yv * SCALE), (xs[-1] * SCALE, yv * SCALE)], fill=0, width=3)
    if title:
        draw.text((x * SCALE, (y - 40) * SCALE), title, font=_font(16), fill=20)
    table = Table(box=(xs[0], y, xs[-1], y_end), cells=cells)
    return Page(number=1, width=w_pt, height=h_pt, scale=SCALE, image=np.array(img), tables=[table])


def cell_texts(page: Page) -> dict[tuple[int, int], str]:
    """Tokens put back into cells by their centres, read top to bottom, left to right."""
    out: dict[tuple[int, int], str] = {}
    for cell in (c for table in page.tables for c in table.cells):
        inside = [
            t
            for t in page.tokens
            if cell.box[0] <= (t.box[0] + t.box[2]) / 2 <= cell.box[2] and cell.box[1] <= (t.box[1] + t.box[3]) / 2 <= cell.box[3]
        ]
        inside.sort(key=lambda t: (round((t.box[1] + t.box[3]) / 2 / 8), t.box[0]))
        out[(cell.row, cell.col)] = "".join(t.text for t in inside)
    return out


class EvenSpacing:
    """A stand-in recogniser: reads every crop as the next string of a script, characters
    spread evenly across the crop; it never detects anything."""

    name = "even"

    def __init__(self, script: list[str]):
        self.script = list(script)
        self.crops: list[np.ndarray] = []

    def read_lines(self, crops: list[np.ndarray], width_scales: list[float] | None = None) -> list[LineRead]:
        self.crops += crops
        out = []
        for crop in crops:
            text = self.script.pop(0)
            step = crop.shape[1] / len(text)
            chars = [CharRead(text=ch, x0=k * step, x1=(k + 1) * step, confidence=0.95) for k, ch in enumerate(text)]
            out.append(LineRead(text=text, confidence=0.95, chars=chars))
        return out

    def detect(self, image: np.ndarray) -> list:
        return []


# ---------------------------------------------------------------- line splitting


def test_split_lines_finds_each_line_and_keeps_gapped_glyphs_whole():
    img = Image.new("L", (400, 160), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    draw.text((10, 8), "项目名称", font=font, fill=0)
    draw.text((10, 56), "二三", font=font, fill=0)  # glyphs with horizontal gaps: one line
    draw.text((10, 104), "预算执行率", font=font, fill=0)
    ink = np.array(img) < 128
    bands = split_lines(ink)
    assert len(bands) == 3
    assert [b.y0 < b.y1 for b in bands] == [True] * 3
    assert bands[0].y1 <= bands[1].y0 and bands[1].y1 <= bands[2].y0
    assert 40 <= bands[1].y0 <= 75 and bands[1].y1 <= 100


def test_split_lines_cuts_vertical_marker_into_one_char_per_line():
    img = Image.new("L", (40, 140), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    for k, ch in enumerate("续上页"):
        draw.text((6, 4 + k * 44), ch, font=font, fill=0)
    bands = split_lines(np.array(img) < 128, line_height=30)
    assert len(bands) == 3


def test_trim_borders_drops_ruling_lines_but_keeps_text():
    crop = np.zeros((60, 200), dtype=bool)
    crop[:3, :] = crop[-2:, :] = True  # ruling lines, top and bottom
    crop[:, :3] = crop[:, -3:] = True
    crop[20:40, 30:120] = True  # text
    x0, y0, x1, y1 = trim_borders(crop)
    assert (x0, y0) > (2, 2) and x1 < 197 and y1 < 58
    inner = crop[y0:y1, x0:x1]
    assert inner.sum() == 20 * 90
    assert len(split_lines(inner)) == 1


def test_trim_borders_keeps_a_fused_text_line_set_just_below_the_ruling_line():
    # a bold name filling the cell on a 150-dpi scan: its glyphs fuse into runs over half
    # the width, four blank rows under the top line (samples/s01 lost 问卷调查或征集活动 so)
    crop = np.zeros((200, 214), dtype=bool)
    crop[:3, :] = True
    crop[:, :3] = crop[:, -2:] = True
    crop[7:27, 24:194] = True
    x0, y0, x1, y1 = trim_borders(crop)
    assert 3 <= y0 <= 7
    assert crop[y0:y1, x0:x1][:, 20:].sum() >= 20 * 150


def test_ink_mask_finds_light_thin_strokes_but_not_noise_or_shading():
    rng = np.random.default_rng(0)
    shade = np.linspace(0, 40, 300)[None, :]  # light falling off by 40 grey levels across the page
    page = np.clip(rng.normal(236, 14, (300, 300)) - shade, 0, 255).astype(np.uint8)
    page[50:70, 20:200] = 60  # text-dark ink
    page[150:152, 40:120] = 175  # a thin, light bar
    ink, paper = ink_mask(page)
    assert 200 <= paper <= 245
    assert ink[55:65, 30:190].all()
    assert ink[150:152, 45:115].mean() > 0.9
    assert ink[200:, :].mean() < 1e-3  # a stray pixel or two at most: the shaded side stays paper


# ---------------------------------------------------------------- CTC decode


def test_ctc_decode_positions_and_honest_confidences():
    charset = ["blank", "9", "4", ".", "3", " "]
    frames = [0, 1, 1, 0, 2, 0, 3, 0, 1, 0, 4, 0]  # "94.93" over 12 frames
    probs = np.full((12, len(charset)), 0.01)
    for f, k in enumerate(frames):
        probs[f, k] = 0.95
    probs[6, 3] = 0.41  # a doubtful decimal point keeps its doubt
    read = ctc_decode(probs, charset, input_width=96, resized_width=96, crop_size=(48, 96))
    assert read.text == "94.93"
    assert [c.text for c in read.chars] == list("94.93")
    xs = [(c.x0 + c.x1) / 2 for c in read.chars]
    assert xs == sorted(xs) and 0 <= read.chars[0].x0 and read.chars[-1].x1 <= 96
    assert read.chars[2].confidence == pytest.approx(0.41)
    assert read.chars[0].confidence == pytest.approx(0.95)


# ---------------------------------------------------------------- the stage with a stand-in recogniser


def test_char_boxes_are_in_points_inside_their_cells():
    rows = [["项目名称", "预算执行率"], ["甲", "98.5%"]]
    page = draw_table(rows, widths=[120, 160])
    script = ["项目名称", "预算执行率", "甲", "98.5%"]  # cells in table order, one line each
    backend = EvenSpacing(script)
    doc = OcrStage(backend)(Document(source="t", pages=[page]))
    page = doc.pages[0]
    assert len(backend.crops) == 4
    assert len(page.tokens) == sum(len(s) for s in script)
    assert cell_texts(page) == {(0, 0): "项目名称", (0, 1): "预算执行率", (1, 0): "甲", (1, 1): "98.5%"}
    for cell in page.tables[0].cells:
        for t in page.tokens:
            cx = (t.box[0] + t.box[2]) / 2
            cy = (t.box[1] + t.box[3]) / 2
            if cell.box[0] <= cx <= cell.box[2] and cell.box[1] <= cy <= cell.box[3]:
                assert cell.box[0] < t.box[0] < t.box[2] < cell.box[2]
                assert cell.box[1] < t.box[1] < t.box[3] < cell.box[3]
                assert 4 < t.box[3] - t.box[1] < 14  # a 10.5 pt glyph, in points
    assert all(t.confidence == 0.95 for t in page.tokens)


def test_placeholder_bars_are_read_from_their_shape():
    page = draw_table([["项目", "——", "-", "/", "1"]], widths=[100, 100, 60, 60, 60])
    backend = EvenSpacing(["项目", "1"])
    OcrStage(backend)(Document(source="t", pages=[page]))
    assert len(backend.crops) == 2  # only 项目 and 1 went to the recogniser
    dashes = [t for t in page.tokens if t.text == "\u2014"]
    assert len(dashes) == 2
    assert all(t.confidence == 0.9 for t in dashes)
    assert 140 < dashes[0].box[0] < dashes[1].box[0] < 240
    assert cell_texts(page)[(0, 2)] == "-"
    assert cell_texts(page)[(0, 3)] == "/"
    assert cell_texts(page)[(0, 4)] == "1"


def test_specks_strung_along_an_empty_cell_are_not_a_placeholder_bar():
    from service.stages.ocr.lines import LineBand
    from service.stages.ocr.stage import _bar_text

    inner = np.zeros((40, 140), bool)
    dash = LineBand(x0=20, y0=18, x1=110, y1=21)
    inner[18:21, 20:62] = inner[18:21, 66:110] = True  # two em dashes, a small gap between
    assert _bar_text(dash, inner, line_height=28, alone=True) == "\u2014\u2014\u2014"
    specks = np.zeros_like(inner)
    specks[16:18, 20:22] = specks[19:21, 60:63] = specks[17:19, 108:110] = True  # dust on a blank cell
    assert _bar_text(LineBand(x0=20, y0=16, x1=110, y1=21), specks, line_height=28, alone=True) is None


def test_vertical_stack_is_read_as_one_line_and_mapped_back_to_its_glyphs():
    page = draw_table([["续\n上\n页", "项目"]], widths=[24, 100], height=60)
    backend = EvenSpacing(["续上页", "项目"])
    OcrStage(backend)(Document(source="t", pages=[page]))
    assert len(backend.crops) == 2  # the stack went to the recogniser as one crop
    assert backend.crops[0].shape[1] > 2 * backend.crops[0].shape[0]  # glyphs side by side
    stack = sorted((t for t in page.tokens if t.box[0] < 64), key=lambda t: t.box[1])
    assert [t.text for t in stack] == ["续", "上", "页"]
    assert stack[0].box[3] <= stack[1].box[1] and stack[1].box[3] <= stack[2].box[1]  # one above the other
    assert all(40 < t.box[0] < t.box[2] < 64 for t in stack)


def test_text_layer_pages_are_left_alone():
    page = draw_table([["甲"]], widths=[100])
    page.text_source = "text_layer"
    backend = EvenSpacing([])
    OcrStage(backend)(Document(source="t", pages=[page]))
    assert page.tokens == [] and backend.crops == []


# ---------------------------------------------------------------- fixture backend


def test_fixture_backend_round_trip(tmp_path: Path):
    page = draw_table([["项目", "得分"]], widths=[100, 100])
    doc = OcrStage(EvenSpacing(["项目", "得分"]))(Document(source="/x/report.pdf", pages=[page]))
    fixture.save(doc, tmp_path / "report.ocr.json")

    replay = create("stages", "ocr", backend="fixture", path=str(tmp_path))
    blank = Page(number=1, width=595, height=842, scale=SCALE)  # no image needed
    out = replay(Document(source="/elsewhere/report.pdf", pages=[blank]))
    assert [(t.text, t.box, t.confidence) for t in out.pages[0].tokens] == [
        (t.text, t.box, t.confidence) for t in doc.pages[0].tokens
    ]
    with pytest.raises(KeyError):
        replay(Document(source="report.pdf", pages=[blank.model_copy(update={"number": 2})]))


def test_backends_are_registered():
    assert {"rapidocr", "paddleocr", "fixture"} <= set(names("ocr"))
    assert "ocr" in names("stages")


# ---------------------------------------------------------------- real models


TABLE = [
    ["一级指标", "二级指标", "指标值", "实际值", "得分"],
    ["产出指标", "数量指标", "≥95%", "94.93", "8.5"],
    ["效益指标", "满意度", "≥90%", "100%", "10"],
    ["成本指标", "预算1000.00万元", "100.00", "——", "0"],
]


@pytest.fixture(scope="module")
def rapidocr_stage():
    return create("stages", "ocr", backend="rapidocr")


def test_rapidocr_reads_a_rendered_chinese_table(rapidocr_stage):
    page = draw_table(TABLE, widths=[90, 110, 80, 80, 60], title="项目支出绩效自评表")
    # a vertical continuation marker, one character per line, in a narrow cell
    page = _with_vertical_marker(page)
    doc = rapidocr_stage(Document(source="t", pages=[page]))
    texts = cell_texts(doc.pages[0])
    for r, row in enumerate(TABLE):
        for c, want in enumerate(row):
            assert texts[(r, c)] == want.replace("——", "\u2014\u2014"), (r, c, texts[(r, c)])
    assert texts[(9, 9)] == "续上页"
    title = [t for t in doc.pages[0].tokens if t.box[3] < page.tables[0].box[1] - 2]
    assert "".join(t.text for t in sorted(title, key=lambda t: t.box[0])) == "项目支出绩效自评表"
    assert all(0 < t.confidence <= 1 for t in doc.pages[0].tokens)


def _with_vertical_marker(page: Page) -> Page:
    img = Image.fromarray(page.image)
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = 520.0, 200.0, 540.0, 260.0
    draw.rectangle([x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE], outline=0, width=3)
    for k, ch in enumerate("续上页"):
        draw.text(((x0 + 4) * SCALE, (y0 + 6 + k * 16) * SCALE), ch, font=_font(10.5), fill=20)
    marker = Table(box=(x0, y0, x1, y1), cells=[Cell(box=(x0, y0, x1, y1), row=9, col=9)])
    return page.model_copy(update={"image": np.array(img), "tables": [*page.tables, marker]})


def test_rapidocr_models_load_once_per_process():
    a = create("ocr", "rapidocr")
    b = create("ocr", "rapidocr")
    assert a is b


@pytest.mark.skipif(
    importlib.util.find_spec("paddleocr") is None or importlib.util.find_spec("paddle") is None,
    reason="paddleocr backend not installed (pip install jixiao[paddle])",
)
def test_paddleocr_reads_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JIXIAO_CACHE", str(tmp_path))
    backend = create("ocr", "paddleocr")
    page = draw_table(TABLE[:2], widths=[90, 90, 80, 80, 60])
    doc = OcrStage(backend)(Document(source="t", pages=[page]))
    texts = cell_texts(doc.pages[0])
    assert [texts[(0, c)] for c in range(5)] == TABLE[0]
    assert texts[(1, 3)] == "94.93"


# ---------------------------------------------------------------- benchmark scoring


def test_benchmark_counts_edits_and_stray_characters():
    from training.bench_ocr import TruthLine, count_errors, true_lines

    def tok(ch: str, x: float, y: float = 100.0) -> Token:
        return Token(text=ch, box=(x, y, x + 9, y + 10))

    truth_chars = [tok(c, 50 + 10 * k) for k, c in enumerate("得分94.93")]
    truth_chars.append(tok("，", 200, 300))
    lines = true_lines(truth_chars)
    assert [line.text for line in lines] == ["得分94.93", "，"]
    read = [tok(c, 50 + 10 * k) for k, c in enumerate("得分94.93")]
    read[4] = tok("4", 90)  # 94.93 -> 944.93 style slip: one substitution (. -> 4)
    read.append(tok(",", 200, 300))  # NFKC: the full-width comma matches
    read.append(tok("1", 400, 500))  # noise outside every true line
    errors, total = count_errors(lines, read)
    assert (errors, total) == (2, 8)
    assert count_errors([TruthLine(box=(0, 0, 10, 10), text="")], []) == (0, 0)


def test_doubtful_marks_at_a_lines_ends_are_dropped_and_confidence_recomputed():
    from service.stages.ocr.stage import _drop_edge_specks

    def read(*chars):
        cs = [CharRead(text=t, x0=i * 10, x1=i * 10 + 9, confidence=c) for i, (t, c) in enumerate(chars)]
        return LineRead(text="".join(t for t, _ in chars), confidence=sum(c for _, c in chars) / len(chars), chars=cs)

    # a speck left of a lone weight: ": 1" at 0.60 would fall under the floor
    kept = _drop_edge_specks(read((":", 0.2), ("1", 0.99)))
    assert kept.text == "1" and kept.confidence == pytest.approx(0.99)
    assert _drop_edge_specks(read(("8", 0.98), ("5", 0.99), ("%", 0.97), (".", 0.3))).text == "85%"
    # printed punctuation reads with confidence, and doubtful letters are not specks
    assert _drop_edge_specks(read(("完", 0.99), ("成", 0.98), ("。", 0.95))).text == "完成。"
    assert _drop_edge_specks(read(("l", 0.3), ("9", 0.99))).text == "l9"
    # a Latin point after a unit or a percent sign is dust however sure the recogniser is
    assert _drop_edge_specks(read(("2", 0.99), ("次", 0.99), (".", 0.9))).text == "2次"
    assert _drop_edge_specks(read(("8", 0.99), ("5", 0.99), ("%", 0.99), (".", 0.9))).text == "85%"
    assert _drop_edge_specks(read(("分", 0.99), (")", 0.99), (".", 0.9))).text == "分)"
    assert _drop_edge_specks(read(("1", 0.99), (".", 0.9))).text == "1."  # a list number stays


def _read_of_ink(text: str, ink_width: int, ink_height: int, confidence: float = 0.9):
    """A line crop whose ink is ``ink_width`` x ``ink_height`` pixels, and a read of ``text``
    at ``confidence``, one character every 5 pixels: what the read-filtering rules look at."""
    from service.stages.ocr.stage import LineCrop

    chars = [CharRead(text=t, x0=i * 5, x1=i * 5 + 4, confidence=confidence) for i, t in enumerate(text)]
    crop = LineCrop(image=np.zeros((30, 60), np.uint8), ink=np.zeros((30, 60), bool), x=0, y=0,
                    ink_width=ink_width, ink_height=ink_height)
    return crop, LineRead(text=text, confidence=confidence, chars=chars)


def test_a_line_too_flat_for_its_glyphs_is_dust_but_flat_marks_are_kept():
    from service.stages.ocr.stage import _speck

    def verdict(text: str, ink_width: int, ink_height: int) -> bool:
        return _speck(*_read_of_ink(text, ink_width, ink_height), line_height=19.0)

    assert verdict("十二4", 14, 3)  # three dots 3 px high under a 19 px line
    assert not verdict("十二4", 14, 16)  # the same read from glyphs a line high
    assert not verdict("——", 30, 2) and not verdict("……", 20, 2) and not verdict("一", 15, 2)
    assert verdict("一", 3, 3)  # a dot read as 一
    assert not verdict("。", 3, 3)  # a sentence's stop wrapped alone


@pytest.mark.parametrize("size", [14, 20, 28])
def test_lone_operators_are_read_from_their_shape_and_digits_are_not(size):
    from service.stages.ocr.stage import _dark_strokes, _operator_shape

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", size)

    def glyph(text: str) -> np.ndarray:
        img = Image.new("L", (3 * size, 2 * size), 235)
        ImageDraw.Draw(img).text((size // 2, size // 4), text, font=font, fill=30)
        return _dark_strokes(np.asarray(img))

    assert [_operator_shape(glyph(t)) for t in "≥≤="] == ["≥", "≤", "="]
    assert [_operator_shape(glyph(t)) for t in "0123456789<>元%"] == [None] * 14
    # read as ≥ or ≤ by the recogniser, a chevron's direction is enough: the bar of a small
    # serif ⩾ fuses with its arm (e00056); digits still fail
    if size >= 20:  # a 14 px > is too narrow a chevron for the shape test
        assert [_operator_shape(glyph(t), read_or_equal=True) for t in "><"] == ["≥", "≤"]
    assert [_operator_shape(glyph(t), read_or_equal=True) for t in "0123456789元"] == [None] * 11


def test_a_blurred_equals_sign_is_told_from_a_ring_by_its_grey_levels():
    from service.stages.ocr.stage import LineCrop, _dark_strokes, _lone_operator, _operator_shape

    def blurred(*rects: tuple[int, int, int, int, int]) -> np.ndarray:
        img = np.full((22, 24), 234, np.uint8)
        for y0, y1, x0, x1, level in rects:
            img[y0:y1, x0:x1] = level
        return cv2.GaussianBlur(img, (0, 0), 1.0)

    equals = blurred((8, 10, 7, 17, 60), (12, 14, 7, 17, 60))  # bars 2 px apart, fused by the blur
    ring = blurred((7, 15, 7, 17, 60), (9, 13, 9, 15, 234))  # 口, or a blurred 0
    doubtful = LineRead(text="=", confidence=0.25, chars=[CharRead(text="=", x0=0, x1=24, confidence=0.25)])
    for image, expected in ((equals, "="), (ring, None)):
        assert _operator_shape(_dark_strokes(image)) is None  # one blob after the threshold
        crop = LineCrop(image=image, ink=_dark_strokes(image), x=0, y=0, ink_width=10, ink_height=8)
        read = _lone_operator(crop, doubtful, floor=0.7, line_height=21)
        assert (read.text if read else None) == expected
    # read as anything in doubt, the bars decide; read with confidence, the recogniser does
    scrawl = LineRead(text="W", confidence=0.16, chars=[CharRead(text="W", x0=0, x1=24, confidence=0.16)])
    sure = LineRead(text="W", confidence=0.9, chars=[CharRead(text="W", x0=0, x1=24, confidence=0.9)])
    crop = LineCrop(image=equals, ink=_dark_strokes(equals), x=0, y=0, ink_width=10, ink_height=8)
    assert _lone_operator(crop, scrawl, floor=0.7, line_height=21).text == "="
    assert _lone_operator(crop, sure, floor=0.7, line_height=21) is None
    assert _lone_operator(crop, scrawl, floor=0.7, line_height=40) is None  # a quarter of a line wide: a speck


def test_a_small_equals_sign_read_as_er_is_an_equals_sign():
    from service.stages.ocr.stage import LineCrop, _dark_strokes, _lone_operator

    img = np.full((26, 22), 234, np.uint8)
    img[10:12, 6:17] = 40
    img[15:17, 5:17] = 40  # bars 12 px wide, 7 px from top to bottom: wider than 1.5 to 1
    er = LineRead(text="二", confidence=0.89, chars=[CharRead(text="二", x0=0, x1=22, confidence=0.89)])
    crop = LineCrop(image=img, ink=_dark_strokes(img), x=0, y=0, ink_width=12, ink_height=7)
    read = _lone_operator(crop, er, floor=0.7, line_height=25)
    assert read is not None and read.text == "="


def test_a_serif_greater_equal_read_as_v_is_told_from_a_v_by_its_shape():
    from service.stages.ocr.stage import LineCrop, _dark_strokes, _lone_operator

    serif = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    if not Path(serif).exists():
        pytest.skip("fonts-noto-cjk is not installed")

    def lone(text: str) -> str | None:
        img = Image.new("L", (44, 36), 234)
        ImageDraw.Draw(img).text((10, 2), text, font=ImageFont.truetype(serif, 24, index=2), fill=30)
        gray = np.asarray(img).copy()
        read = LineRead(text="V", confidence=0.84, chars=[CharRead(text="V", x0=0, x1=44, confidence=0.84)])
        crop = LineCrop(image=gray, ink=_dark_strokes(gray), x=0, y=0, ink_width=20, ink_height=22, alone=alone)
        out = _lone_operator(crop, read, floor=0.7, line_height=25)
        return out.text if out else None

    alone = True  # the only line of its cell, as in Sichuan's 指标性质 column
    assert lone("≥") == "≥" and lone("≤") == "≤"  # read as V (e00048)
    assert lone("V") is None  # a V is no chevron on its side
    alone = False  # beside other lines of its cell: a pen's tick by a score reads V as well (e00028)
    assert lone("≥") is None


def test_a_lone_operator_with_dust_around_it_keeps_its_shape():
    from service.stages.ocr.stage import _dark_strokes, _operator_shape, _without_specks

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 16)
    img = Image.new("L", (64, 32), 235)
    draw = ImageDraw.Draw(img)
    draw.text((30, 8), "≥", font=font, fill=30)
    draw.rectangle((2, 2, 3, 3), fill=30)  # scanner dust, far left of the glyph
    draw.rectangle((24, 12, 24, 14), fill=30)
    strokes = _dark_strokes(np.asarray(img))
    assert _operator_shape(strokes) is None  # the dust widens the glyph past any operator
    assert _operator_shape(_without_specks(strokes)) == "≥"


def test_a_pen_stroke_or_a_speck_apart_is_found_but_glyphs_and_points_are_not():
    from service.stages.ocr.stage import _stray_marks

    ink = np.zeros((120, 200), bool)
    for top in (10, 50, 90):  # three text lines of glyph-sized blobs, 20 px high
        for left in range(10, 150, 24):
            ink[top : top + 20, left : left + 18] = True
    assert _stray_marks(ink, line_height=20) is None
    ink[5:115, 170:173] = True  # a pen line down the cell, apart from the text
    found = _stray_marks(ink, line_height=20)
    assert found is not None and found[50, 171] and not found[:, :160].any()
    ink[5:115, 170:173] = False
    ink[28:30, 29:31] = True  # a decimal point between two glyphs
    ink[70:72, 160:162] = True  # dust 16 px (0.8 lines) right of the text
    found = _stray_marks(ink, line_height=20)
    assert found is not None and found[70, 160] and not found[28, 29] and found.sum() == 4


def test_a_doubtful_narrow_crop_is_read_again_with_paper_on_both_sides():
    from service.stages.ocr.stage import LineCrop, _reread_widened

    class WidthSensitive:
        """Reads '%' only from a crop at least twice as wide as high, as PP-OCR does."""

        def read_lines(self, images, scales):
            return [LineRead(text="%", confidence=0.95, chars=[CharRead(text="%", x0=0, x1=10, confidence=0.95)])
                    if img.shape[1] >= 2 * img.shape[0] else LineRead(text="", confidence=0.0, chars=[])
                    for img in images]

    narrow = LineCrop(image=np.full((36, 23), 230, np.uint8), ink=np.zeros((36, 23), bool), x=100, y=50,
                      ink_height=20, ink_width=15)
    sure = LineCrop(image=np.full((36, 23), 230, np.uint8), ink=np.zeros((36, 23), bool), x=200, y=50,
                    ink_height=20, ink_width=15)
    crops = [narrow, sure]
    reads = [LineRead(text="", confidence=0.0, chars=[]), LineRead(text="5", confidence=0.99, chars=[])]
    _reread_widened(crops, reads, WidthSensitive(), paper=230, scales=[1.0, 1.0], floor=0.5)
    assert reads[0].text == "%" and crops[0].image.shape[1] >= 2.5 * 36 and crops[0].x == 100 - 34
    assert reads[1].text == "5" and crops[1] is sure  # a sure read is not read again


def test_a_small_ring_alone_on_a_wrapped_line_is_a_full_stop_but_a_zero_is_not():
    from service.stages.ocr.stage import LineCrop, _wrapped_full_stop

    def crop(*blobs: tuple[int, int, int], last: bool = False) -> LineCrop:
        """A crop whose ink is the given (x, width, height) blobs."""
        ink = np.zeros((26, 60), bool)
        for x, w, h in blobs:
            ink[3 : 3 + h, x : x + w] = True
        cols = np.flatnonzero(ink.any(axis=0))
        return LineCrop(image=np.full((26, 60), 230, np.uint8), ink=ink, x=0, y=0, ink_width=int(np.ptp(cols)) + 1,
                        ink_height=max(h for _, _, h in blobs), wrapped_tail=last)

    def read(text: str, confidence: float) -> LineRead:
        chars = [CharRead(text=text, x0=0, x1=19, confidence=confidence)] if text else []
        return LineRead(text=text, confidence=confidence, chars=chars)

    stop = _wrapped_full_stop(crop((2, 11, 10)), read("o", 0.42), line_height=28, floor=0.7)
    assert stop.text == "。"
    assert _wrapped_full_stop(crop((2, 12, 20)), read("0", 0.6), line_height=28, floor=0.7) is None  # a 0 stands tall
    # A blurred stop with a speck of dust far to its right, read as nothing or as 8 in doubt,
    # is the stop where the crop is its cell's last line under a full line of Chinese.
    blurred, speck, sentence = (2, 10, 9), (50, 2, 2), "佐证资料不足"
    stop = _wrapped_full_stop(crop(blurred, speck, last=True), read("", 0.0), 28, 0.7, above=sentence)
    assert stop.text == "。" and (stop.chars[0].x0, stop.chars[0].x1) == (2, 12)
    assert _wrapped_full_stop(crop(blurred, last=True), read("8", 0.49), 28, 0.7, above=sentence).text == "。"
    assert _wrapped_full_stop(crop(blurred, speck), read("", 0.0), 28, 0.7, above=sentence) is None  # not a tail
    assert _wrapped_full_stop(crop(blurred, last=True), read("", 0.0), 28, 0.7, above="2.0") is None  # not a sentence
    assert _wrapped_full_stop(crop(blurred, speck), read("o", 0.4), 28, 0.7) is None  # not one small glyph
    two_glyphs = crop(blurred, (20, 10, 9), last=True)
    assert _wrapped_full_stop(two_glyphs, read("", 0.0), 28, 0.7, above=sentence) is None
    dust = crop((2, 6, 6), last=True)  # a fifth of a line: dust, not a stop
    assert _wrapped_full_stop(dust, read("", 0.0), 28, 0.7, above=sentence) is None
    sure = read("，", 0.95)
    assert _wrapped_full_stop(crop(blurred, last=True), sure, 28, 0.7, above=sentence) is None  # read with confidence


def test_a_lone_slash_is_told_from_a_seven_and_a_one():
    from service.stages.ocr.stage import _dark_strokes, _is_slash, _main_stroke

    font = ImageFont.truetype(FONT, 28)

    def glyph(text: str, speck: bool = False) -> np.ndarray:
        img = Image.new("L", (120, 40), 235)
        draw = ImageDraw.Draw(img)
        draw.text((55, 4), text, font=font, fill=30)
        if speck:  # scanner dirt at the cell's edges
            draw.rectangle((1, 30, 2, 31), fill=30)
            draw.rectangle((115, 2, 116, 3), fill=30)
        ink = _dark_strokes(np.asarray(img))
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        return _main_stroke(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])

    assert _is_slash(glyph("/"), 28) and _is_slash(glyph("/", speck=True), 28)
    assert not any(_is_slash(glyph(t), 28) for t in "17丨")


def test_dark_core_cuts_a_printed_digit_away_from_a_faint_pen_stroke():
    from service.stages.ocr.stage import LineCrop, _dark_core

    img = Image.new("L", (60, 36), 230)
    draw = ImageDraw.Draw(img)
    draw.line((4, 28, 30, 8), fill=200, width=2)  # faint pen stroke
    draw.text((40, 4), "1", font=ImageFont.truetype(FONT, 26), fill=25)
    gray = np.asarray(img)
    crop = LineCrop(image=gray, ink=gray < 215, x=100, y=50, ink_height=26, ink_width=52)
    core = _dark_core(crop, paper=230)
    assert core is not None and core.x > 130 and core.ink_width < 20
    assert _dark_core(LineCrop(image=gray[:, 36:], ink=gray[:, 36:] < 215, x=136, y=50, ink_height=26, ink_width=12), 230) is None


def test_dark_core_keeps_the_darkest_glyph_of_a_cell_under_a_seal():
    from service.stages.ocr.stage import LineCrop, _dark_core

    img = Image.new("L", (97, 79), 236)
    draw = ImageDraw.Draw(img)
    for x, y in ((14, 20), (36, 22), (58, 24), (74, 38), (12, 44), (76, 60)):
        draw.rectangle((x, y, x + 7, y + 7), outline=125)  # a seal's ticks, darker than its ring
    draw.text((40, 34), "1", font=ImageFont.truetype(FONT, 26), fill=60)
    gray = np.asarray(img)
    crop = LineCrop(image=gray, ink=gray < 215, x=100, y=50, ink_height=49, ink_width=83)
    core = _dark_core(crop, paper=236)
    assert core is not None and 135 <= core.x <= 145 and core.ink_width < 15  # the 1 alone (e00003)


def test_a_speck_alone_in_its_line_is_dropped_but_wrapped_punctuation_is_not():
    from service.stages.ocr.stage import LineCrop, _speck

    def read(text: str) -> LineRead:
        return LineRead(text=text, confidence=0.85, chars=[CharRead(text=text, x0=0, x1=4, confidence=0.85)])

    dot = LineCrop(image=np.zeros((10, 17), np.uint8), ink=np.zeros((10, 17), bool), x=0, y=0, ink_height=2, ink_width=4)
    glyph = LineCrop(image=np.zeros((30, 30), np.uint8), ink=np.zeros((30, 30), bool), x=0, y=0, ink_height=20, ink_width=20)
    assert _speck(dot, read("一"), 21.0) and _speck(dot, read("."), 21.0)
    assert not _speck(dot, read("。"), 21.0) and not _speck(glyph, read("一"), 21.0)


def test_a_seal_arc_read_as_a_dash_is_dropped_but_a_printed_dash_is_not():
    from service.stages.ocr.stage import _arc

    def verdict(text: str, ink_width: int, ink_height: int) -> bool:
        return _arc(*_read_of_ink(text, ink_width, ink_height, confidence=0.93), line_height=20.0)

    assert verdict("一", 44, 18)  # an arc of a seal's ring crossing a weight cell (e00046)
    assert not verdict("一", 44, 3) and not verdict("——", 40, 2)  # dashes as printed
    assert not verdict("一般", 40, 18) and not verdict("3", 12, 17)  # text a line high


def test_a_lone_upright_stroke_read_as_a_letter_is_the_digit_one():
    from service.stages.ocr.stage import _lone_one

    def lone(text: str, ink_width: int, ink_height: int, line_height: float = 24.0) -> str | None:
        read = _lone_one(*_read_of_ink(text, ink_width, ink_height, confidence=0.58), line_height)
        return None if read is None else f"{read.text}@{read.confidence}"

    assert lone("I", 9, 18) == "1@0.58"  # Kaiti's 1 in a weight cell, its doubt kept (e00051)
    assert lone("l", 9, 18) == "1@0.58" and lone("|", 6, 17) == "1@0.58"
    assert lone("I", 3, 30) is None  # the stub of a ruling line runs taller than a glyph
    assert lone("I", 9, 6) is None  # a short tick
    assert lone("L", 16, 18) is None  # too wide for a 1
    assert lone("II", 18, 18) is None and lone("1", 9, 18) is None  # nothing to change


def test_crops_are_read_in_batches_of_similar_width():
    from service.stages.ocr.base import _width_batches

    # narrowest first; a batch closes when full or when the next crop is 1.2 times its narrowest
    assert _width_batches([40, 41, 300, 45, 310, 600], batch_size=2) == [[0, 1], [3], [2, 4], [5]]
    assert _width_batches([], batch_size=16) == []


def test_traditional_characters_read_on_a_simplified_form_are_made_simplified():
    from service.stages.ocr.stage import _simplified

    def read(text: str) -> LineRead:
        chars = [CharRead(text=ch, x0=i * 10, x1=i * 10 + 9, confidence=0.99) for i, ch in enumerate(text)]
        return LineRead(text=text, confidence=0.99, chars=chars)

    fixed = _simplified(read("合理设置績效目標"))
    assert fixed.text == "合理设置绩效目标" and [c.text for c in fixed.chars][-3:] == ["效", "目", "标"]
    assert _simplified(read("课题研究")).text == "课题研究"  # simplified text is left alone (乾, 著 too)
    assert _simplified(read("乾著")).text == "乾著"
    assert _simplified(read("张堃")).text == "张堃"  # a rare character of a name, outside GB2312, stays


def test_a_lone_glyph_the_detector_passed_over_beside_found_text_is_cropped():
    """A weight of "1" in a borderless row, which the detector missed at its reduced
    resolution, is cropped for reading; a faded seal glyph and a far-off mark are not."""
    from service.stages.ocr.lines import ink_mask
    from service.stages.ocr.stage import _detected_crops, _missed_glyphs

    img = Image.new("L", (420, 160), 232)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    draw.text((10, 20), "全市采集数量", font=font, fill=30)
    draw.text((300, 20), "1", font=font, fill=30)  # same row as the found text
    draw.text((300, 110), "2", font=font, fill=30)  # far from any found text
    draw.text((380, 20), "口", font=font, fill=205)  # a faded seal glyph
    gray = np.asarray(img).copy()
    ink, paper = ink_mask(gray)
    quad = [(6.0, 16.0), (182.0, 16.0), (182.0, 54.0), (6.0, 54.0)]
    found = _detected_crops(quad, gray, ink, 0, 0, gray, None, paper)
    crops = _missed_glyphs([quad], found, ink, 0, 0, gray, 30.0, paper, print_level=130.0)
    assert [(c.x < 300 < c.x + c.image.shape[1], c.y < 35 < c.y + c.image.shape[0]) for c in crops] == [(True, True)]


def test_a_lone_slash_found_outside_ruled_cells_is_the_placeholder_and_a_one_is_not():
    from service.stages.ocr.lines import ink_mask
    from service.stages.ocr.stage import _lone_slash

    def ink_of(text: str) -> np.ndarray:
        img = Image.new("L", (60, 60), 232)
        ImageDraw.Draw(img).text((10, 4), text, font=ImageFont.truetype(FONT, 40), fill=30)
        return ink_mask(np.asarray(img).copy())[0]

    # line height measured on digits, shorter than the slash's ascender-to-descender reach
    assert _lone_slash(ink_of("/"), line_height=28.0)
    assert not _lone_slash(ink_of("1"), line_height=28.0)
    assert not _lone_slash(ink_of("7"), line_height=28.0)
    assert not _lone_slash(ink_of("/1"), line_height=28.0)


def test_a_speck_read_as_a_digit_is_dust_and_so_is_what_is_left_of_its_line():
    from service.stages.ocr.stage import LineCrop, _char_tokens

    def tokens(glyph_height: int) -> list[str]:
        ink = np.zeros((30, 30), bool)
        ink[6 : 6 + glyph_height, 8:12] = True  # read as "2"
        ink[22:24, 20:22] = True  # read as "."
        crop = LineCrop(image=np.where(ink, 30, 230).astype(np.uint8), ink=ink, x=0, y=0, ink_width=14, ink_height=18)
        chars = [CharRead(text="2", x0=6, x1=14, confidence=0.63), CharRead(text=".", x0=18, x1=24, confidence=0.86)]
        return [t.text for t in _char_tokens(crop, LineRead(text="2.", confidence=0.75, chars=chars), 1.0, 18.0)]

    assert tokens(4) == []  # a dot 4 px high under an 18 px line: no digit
    assert tokens(13) == ["2", "."]


def test_ink_detached_from_a_glyph_is_told_from_a_glyphs_edge():
    from service.stages.ocr.stage import _detached

    ink = np.zeros((30, 40), bool)
    ink[6:10, 8:12] = True  # a speck
    ink[4:26, 20:34] = True  # a glyph
    assert _detached(ink, 8, 11, 6, 10, slack=2.0)  # its last column outside the box: a pixel off
    assert not _detached(ink, 18, 24, 20, 26, slack=2.0)  # a box on the glyph's foot


def test_the_slanted_bar_of_a_noto_greater_equal_is_told_from_a_greater_than():
    from service.stages.ocr.stage import _dark_strokes, _parallel_bar

    noto = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    if not Path(noto).exists():
        pytest.skip("fonts-noto-cjk is not installed")

    def strokes(text: str) -> np.ndarray:
        img = Image.new("L", (60, 60), 232)
        ImageDraw.Draw(img).text((8, 4), text, font=ImageFont.truetype(noto, 36, index=2), fill=30)
        gray = np.asarray(img).copy()
        return _dark_strokes(gray)

    assert _parallel_bar(strokes("≥")) and _parallel_bar(strokes("≤"))
    assert not _parallel_bar(strokes(">")) and not _parallel_bar(strokes("＞")) and not _parallel_bar(strokes("<"))


def test_a_comma_with_one_or_two_digits_after_it_is_a_decimal_point():
    from service.stages.ocr.stage import _decimal_point

    def fixed(text: str) -> str:
        chars = [CharRead(text=ch, x0=i * 5, x1=i * 5 + 4, confidence=0.95) for i, ch in enumerate(text)]
        return _decimal_point(LineRead(text=text, confidence=0.95, chars=chars)).text

    assert fixed("2,00") == "2.00" and fixed("92,45%") == "92.45%" and fixed("≤1289,52万元") == "≤1289.52万元"
    assert fixed("1,5") == "1.5"
    assert fixed("2,405.79") == "2,405.79" and fixed("12,000元") == "12,000元"  # thousands
    assert fixed("完成,好") == "完成,好" and fixed("8月,项目") == "8月,项目"  # prose
    assert fixed("3个,2个") == "3个,2个" and fixed("第1,2,3期") == "第1,2,3期"  # a list
