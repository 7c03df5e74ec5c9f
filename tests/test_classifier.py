"""The layout-aware token classifier: encoding, windows, the tiny training path, the shipped model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from conftest import PageBuilder
from service.document import Document, Token
from service.labels import BIO_TAGS, LABELS, FieldLabel as L
from service.stages.labelling.classifier import (
    MODEL_DIR,
    SETTINGS_FILE,
    KeyContext,
    WindowSettings,
    marker_texts,
    page_numbers,
    spanning_names,
    bio_to_field_probs,
    build_window,
    encode_tokens,
    header_fields_in_tables,
    header_rows,
    form_starts,
    split_box,
    total_rows,
    vote,
    vote_header_fields,
    vote_columns,
    vote_units,
    window_owners,
    window_spans,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# ---------------------------------------------------------------- hand-built labelled forms

COLUMNS = [
    ("一级指标", L.level1, ["产出指标", "效益指标"]),
    ("三级指标", L.name, ["设备数量", "运维时长", "满意度", "故障率"]),
    ("年度指标值", L.target, ["≥95%", "=12个月", "≤1%", "4项"]),
    ("实际完成值", L.actual, ["98%", "12个月", "0.5%", "4项"]),
    ("分值", L.weight, ["10", "20", "5", "15"]),
    ("得分", L.score, ["9.5", "20.00", "4", "15"]),
]


def labelled_form(rng: random.Random, order: list[int], rows: int = 4) -> tuple[list[Token], list[str]]:
    """A one-page form: title, a header key/value row and an indicator table in the given column order."""
    builder = PageBuilder()
    labels: dict[int, str] = {}

    def mark(start: int, label: L) -> None:
        for i in range(start, len(builder.page.tokens)):
            labels.setdefault(i, label.value)

    start = len(builder.page.tokens)
    builder.line("项目支出绩效自评表", 180, 40)
    mark(start, L.title)
    start = len(builder.page.tokens)
    builder.table([["项目名称"]], [90], x=40, y=70)
    mark(start, L.key)
    start = len(builder.page.tokens)
    builder.table([[rng.choice(["热线运维", "门户网站", "语言环境建设"])]], [200], x=130, y=70)
    mark(start, L.project_name)
    widths = [70, 90, 90, 90, 50, 50]
    x = 40.0
    for c in order:
        head, label, values = COLUMNS[c]
        cells = [[head]] + [[rng.choice(values)] for _ in range(rows)]
        start = len(builder.page.tokens)
        builder.table(cells[:1], [widths[c]], x=x, y=110)
        mark(start, L.key)
        start = len(builder.page.tokens)
        builder.table(cells[1:], [widths[c]], x=x, y=132)
        mark(start, label)
        x += widths[c]
    page = builder.build()
    return page.tokens, [labels[i] for i in range(len(page.tokens))]


def write_dataset(root: Path, n: int, seed: int, orders: list[list[int]]) -> Path:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    manifest = []
    for k in range(n):
        doc = root / f"doc{k:03d}"
        doc.mkdir()
        tokens, labels = labelled_form(rng, orders[k % len(orders)])
        page = {
            "page": 1,
            "width": 595.0,
            "height": 842.0,
            "tokens": [{"text": t.text, "box": list(t.box), "label": lab} for t, lab in zip(tokens, labels)],
        }
        (doc / "tokens.jsonl").write_text(json.dumps(page, ensure_ascii=False) + "\n", encoding="utf-8")
        manifest.append(json.dumps({"doc_id": doc.name}))
    (root / "manifest.jsonl").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return root


# ---------------------------------------------------------------- encoding and windows


def test_split_box_divides_multi_character_tokens_evenly():
    assert split_box((0, 0, 30, 10), 3) == [(0, 0, 10, 10), (10, 0, 20, 10), (20, 0, 30, 10)]
    # a tall, narrow box is vertical text: split top to bottom
    assert split_box((0, 0, 10, 40), 2) == [(0, 0, 10, 20), (0, 20, 10, 40)]


def test_encoding_orders_lines_scales_boxes_and_splits_tokens():
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "a": 5, "1": 6, "2": 7}
    tokens = [
        Token(text="2", box=(100, 200, 110, 210)),  # second line
        Token(text="ａ1", box=(10, 100, 30, 110)),  # first line, full-width a: NFKC → "a"
        Token(text=" ", box=(40, 100, 45, 110)),  # whitespace has no characters
        Token(text="z", box=(600, 100, 620, 110)),  # unknown, and beyond the page's right edge
    ]
    enc = encode_tokens(tokens, width=500.0, height=1000.0, vocab=vocab)
    assert enc.chars == ["a", "1", "z", "2"]
    assert enc.ids.tolist() == [5, 6, 1, 7]
    assert enc.owner.tolist() == [1, 1, 3, 0]
    assert enc.line.tolist() == [0, 0, 0, 1]
    assert enc.boxes.tolist() == [[20, 100, 40, 110], [40, 100, 60, 110], [1000, 100, 1000, 110], [200, 200, 220, 210]]


@pytest.mark.parametrize("n", [0, 1, 5, 409, 410, 411, 1000, 2049, 5000])
def test_sliding_windows_give_every_character_to_exactly_one_window(n):
    settings = WindowSettings(window=512, stride=320, context=100)
    spans = window_spans(n, settings)
    assert all(0 <= s < e <= n or n == 0 for s, e in spans)
    assert all(e - s <= settings.body for s, e in spans)
    covered = np.zeros(n, dtype=int)
    for s, e in spans:
        covered[s:e] += 1
    assert (covered >= 1).all()
    owners = window_owners(n, spans)
    counts = np.zeros(n, dtype=int)
    for w, (s, e) in enumerate(spans):
        counts[s:e] += owners[s:e] == w
    assert (counts == 1).all()  # owned exactly once, by a window that contains it
    if len(spans) > 1:
        # an owned character is never at a window's inner edge: it keeps context on both sides
        for k in range(n):
            s, e = spans[owners[k]]
            assert (s == 0 or k - s >= 40) and (e == n or e - 1 - k >= 40)


def test_window_puts_context_between_cls_and_page_characters():
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "x": 5}
    enc = encode_tokens([Token(text="xxx", box=(0, 0, 30, 10))], 100.0, 100.0, vocab)
    window = build_window(enc, (1, 3), [5], [[1, 2, 3, 4]], vocab)
    assert window.ids == [2, 5, 5, 5, 3]
    assert window.types == [0, 1, 0, 0, 0]
    assert window.boxes[1] == [1, 2, 3, 4] and window.boxes[0] == [0, 0, 0, 0]
    assert window.body_start == 2


def test_key_context_keeps_the_latest_characters():
    ctx = KeyContext(3)
    ctx.add([1, 2], [[0, 0, 1, 1]] * 2)
    ctx.add([3, 4], [[0, 0, 2, 2]] * 2)
    assert ctx.ids == [2, 3, 4] and len(ctx.boxes) == 3


def test_bio_probabilities_fold_into_field_labels():
    probs = np.zeros((1, len(BIO_TAGS)), dtype=np.float32)
    probs[0, BIO_TAGS.index("B-NAME")] = 0.3
    probs[0, BIO_TAGS.index("I-NAME")] = 0.3
    probs[0, BIO_TAGS.index("B-TARGET")] = 0.4
    folded = bio_to_field_probs(probs)
    assert LABELS[int(folded[0].argmax())] == "NAME"
    assert folded[0, LABELS.index("NAME")] == pytest.approx(0.6)


def test_a_cell_takes_one_field_but_keys_and_cross_column_pieces_keep_theirs():
    from service.document import Cell, Page, Table

    def onehot(label: str, p: float = 0.9) -> np.ndarray:
        v = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1), dtype=np.float32)
        v[LABELS.index(label)] = p
        return v

    texts = ["≥", "95", "%", "项目名称", "信", "息", "化", "12", "3"]
    tokens = [Token(text=t, box=(10 * k, 10, 10 * k + 9, 20)) for k, t in enumerate(texts)]
    page = Page(number=1, width=595, height=842, tokens=tokens)
    page.tables = [
        Table(box=(0, 0, 100, 30), cells=[Cell(box=(0, 0, 30, 30), row=0, col=0, tokens=[0, 1, 2]),
                                          Cell(box=(30, 0, 80, 30), row=0, col=1, tokens=[3, 4, 5, 6])]),
        Table(box=(0, 40, 100, 60), ruled=False, cells=[Cell(box=(70, 40, 90, 60), row=0, col=3, col_span=2, tokens=[7, 8])]),
    ]
    probs = [onehot("TARGET"), onehot("ACTUAL", 0.6), onehot("TARGET"), onehot("KEY"),
             onehot("PROJECT_NAME"), onehot("DEPARTMENT", 0.5), onehot("PROJECT_NAME"), onehot("WEIGHT"), onehot("SCORE")]
    vote_units(page, probs)
    labels = [LABELS[int(p.argmax())] for p in probs]
    assert labels == ["TARGET"] * 3 + ["KEY"] + ["PROJECT_NAME"] * 3 + ["WEIGHT", "SCORE"]


def test_two_columns_read_as_one_field_part_the_less_sure_takes_its_next_best():
    from service.document import Cell, Page, Table

    # 指标权重（分） read as a score column: its cells lean to SCORE, with WEIGHT second
    tokens, cells, probs = [], [], []
    for row in range(3):
        for col, p in ((0, _probs_of(NAME=0.9)), (1, _probs_of(SCORE=0.6, WEIGHT=0.35)), (2, _probs_of(SCORE=0.95))):
            tokens.append(Token(text="5", box=(100 * col, 20 * row, 100 * col + 9, 20 * row + 9)))
            cells.append(Cell(box=(100 * col, 20 * row, 100 * col + 90, 20 * row + 18), row=row, col=col, tokens=[len(tokens) - 1]))
            probs.append(p)
    tokens.append(Token(text="总", box=(0, 60, 9, 69)))  # a key in the name column stays a key
    cells.append(Cell(box=(0, 60, 90, 78), row=3, col=0, tokens=[len(tokens) - 1]))
    probs.append(_probs_of(KEY=0.9))
    page = Page(number=1, width=595, height=842, tokens=tokens, tables=[Table(box=(0, 0, 300, 80), cells=cells)])
    vote_columns(page, probs)
    labels = [LABELS[int(p.argmax())] for p in probs]
    assert labels == ["NAME", "WEIGHT", "SCORE"] * 3 + ["KEY"]


def test_a_row_naming_no_indicator_but_holding_a_key_or_a_total_holds_the_totals():
    from service.document import Cell, Page, Table

    def probs_of(label: str) -> np.ndarray:
        v = np.full(len(LABELS), 0.01, dtype=np.float32)
        v[LABELS.index(label)] = 0.8
        return v

    rows = [[("NAME", "培训人次"), ("WEIGHT", "5"), ("SCORE", "4")],  # an indicator: left alone
            [("NAME", "满意度"), ("TARGET", "≥90%"), ("TOTAL_WEIGHT", "10"), ("TOTAL_SCORE", "9")],  # the last above 合计
            [("KEY", "总分"), ("TOTAL_WEIGHT", "100"), ("SCORE", "95.5")],
            [("KEY", "合计"), ("WEIGHT", "100"), ("SCORE", "95.5")]]
    tokens, cells, probs = [], [], []
    for r, row in enumerate(rows):
        for c, (label, text) in enumerate(row):
            tokens.append(Token(text=text, box=(100 * c, 20 * r, 100 * c + 30, 20 * r + 9)))
            cells.append(Cell(box=(100 * c, 20 * r, 100 * c + 90, 20 * r + 18), row=r, col=c, tokens=[len(tokens) - 1]))
            probs.append(probs_of(label))
    page = Page(number=1, width=595, height=842, tokens=tokens, tables=[Table(box=(0, 0, 400, 80), cells=cells)])
    total_rows(page, probs)
    assert [LABELS[int(p.argmax())] for p in probs] == (
        ["NAME", "WEIGHT", "SCORE", "NAME", "TARGET", "WEIGHT", "SCORE"] + ["KEY", "TOTAL_WEIGHT", "TOTAL_SCORE"] * 2
    )


def test_two_cells_read_as_one_header_field_part_the_less_sure_takes_its_next_best():
    from service.document import Cell, Page, Table

    cells_read = [("职业技能培训", _probs_of(PROJECT_NAME=0.95)),
                  ("重庆市城市管理委员会", _probs_of(PROJECT_NAME=0.55, DEPARTMENT=0.4)),  # 主管部门's value
                  ("王懿梓", _probs_of(PROJECT_LEAD=0.9))]
    tokens, cells, probs = [], [], []
    for r, (text, p) in enumerate(cells_read):
        for k, ch in enumerate(text):
            tokens.append(Token(text=ch, box=(100 + 10 * k, 20 * r, 109 + 10 * k, 20 * r + 9)))
            probs.append(p.copy())
        cells.append(Cell(box=(90, 20 * r, 400, 20 * r + 18), row=r, col=1,
                          tokens=list(range(len(tokens) - len(text), len(tokens)))))
    page = Page(number=1, width=595, height=842, tokens=tokens, tables=[Table(box=(0, 0, 400, 60), cells=cells)])
    vote_header_fields(page, probs)
    got = [LABELS[int(p.argmax())] for p in probs]
    assert got == ["PROJECT_NAME"] * 6 + ["DEPARTMENT"] * 10 + ["PROJECT_LEAD"] * 3


def test_a_key_character_inside_a_value_is_the_values():
    from service.document import Page

    def probs_of(label: str) -> np.ndarray:
        v = np.full(len(LABELS), 0.01, dtype=np.float32)
        v[LABELS.index(label)] = 0.8
        return v

    line = [("（", "TITLE"), ("2", "TITLE"), ("0", "TITLE"), ("2", "TITLE"), ("2", "TITLE"), ("年", "KEY"), ("度", "TITLE"), ("）", "TITLE")]
    keys = [("项", "KEY"), ("目", "KEY"), ("名", "KEY"), ("称", "KEY"), ("信", "PROJECT_NAME"), ("息", "PROJECT_NAME")]
    tokens = [Token(text=t, box=(10 * k, 10, 10 * k + 9, 19)) for k, (t, _) in enumerate(line)]
    tokens += [Token(text=t, box=(10 * k, 40, 10 * k + 9, 49)) for k, (t, _) in enumerate(keys)]
    page = Page(number=1, width=595, height=842, tokens=tokens)
    page.lines = [list(range(len(line))), list(range(len(line), len(tokens)))]
    probs = [probs_of(label) for _, label in line + keys]
    vote_units(page, probs)
    assert [LABELS[int(p.argmax())] for p in probs] == ["TITLE"] * 8 + ["KEY"] * 4 + ["PROJECT_NAME"] * 2


def _probs_of(**p: float) -> np.ndarray:
    v = np.full(len(LABELS), 0.001, dtype=np.float32)
    for label, q in p.items():
        v[LABELS.index(label)] = q
    return v


def _grid(rows: list[list[tuple[str, dict[str, float]] | None]], spans: dict[tuple[int, int], tuple[int, int]] = {}):
    """A ruled table, one token per character; ``spans`` gives (row_span, col_span) by (row, col)."""
    from service.document import Cell, Page, Table

    tokens, cells, probs = [], [], []
    for r, row in enumerate(rows):
        for c, entry in enumerate(row):
            if entry is None:
                continue
            text, p = entry
            start = len(tokens)
            for k, ch in enumerate(text):
                tokens.append(Token(text=ch, box=(100 * c + 10 * k, 20 * r, 100 * c + 10 * k + 9, 20 * r + 9)))
                probs.append(_probs_of(**p))
            rs, cs = spans.get((r, c), (1, 1))
            cells.append(Cell(box=(100 * c, 20 * r, 100 * (c + cs) - 10, 20 * (r + rs) - 2), row=r, col=c,
                              row_span=rs, col_span=cs, tokens=list(range(start, len(tokens)))))
    page = Page(number=1, width=800, height=842, tokens=tokens, tables=[Table(box=(0, 0, 800, 200), cells=cells)])
    return page, probs


def _labels(probs) -> list[str]:
    return [LABELS[int(p.argmax())] for p in probs]


def test_a_cell_mixing_key_and_value_characters_is_a_key_where_it_leans_to_one():
    # 绩效指标 read KEY/NAME/KEY/NAME opens with a key; 合计 read NAME/KEY names no indicator of its row
    page, _ = _grid([[("绩效指标", {})], [("合计", {}), ("100", {})]])
    probs = [_probs_of(KEY=1.0, NAME=0.0), _probs_of(NAME=0.69, KEY=0.3), _probs_of(KEY=0.85, NAME=0.14),
             _probs_of(NAME=0.55, KEY=0.45), _probs_of(NAME=0.58, KEY=0.42), _probs_of(KEY=0.62, NAME=0.37)]
    probs += [_probs_of(TOTAL_WEIGHT=0.9) for _ in range(3)]
    vote_units(page, probs)
    assert _labels(probs) == ["KEY"] * 6 + ["TOTAL_WEIGHT"] * 3
    # one KEY character opening one field's is no key before its value (a key is a word): the
    # 绩效指标 label printed down a cell merged over a flat indicator list, 效指标 read LEVEL1
    page, _ = _grid([[("绩效指标", {})]])
    probs = [_probs_of(KEY=1.0), _probs_of(LEVEL1=0.9, KEY=0.08), _probs_of(LEVEL1=0.48, KEY=0.47),
             _probs_of(LEVEL1=0.52, KEY=0.45)]
    vote_units(page, probs)
    assert _labels(probs) == ["KEY"] * 4
    # a key printed before its value in one cell keeps both; a level whose 指标 reads as a key
    # (数量指标, as at a page break) beside its indicator's name is left to the column votes
    page, _ = _grid([[("负责人王五", {})], [("数量指标", {}), ("改造面积", {})]])
    probs = [_probs_of(KEY=0.9) for _ in range(3)] + [_probs_of(PROJECT_LEAD=0.9) for _ in range(2)]
    probs += [_probs_of(LEVEL2=0.84, KEY=0.15), _probs_of(LEVEL2=0.99), _probs_of(KEY=0.99), _probs_of(KEY=0.95)]
    probs += [_probs_of(NAME=0.9) for _ in range(4)]
    vote_units(page, probs)
    assert _labels(probs) == ["KEY"] * 3 + ["PROJECT_LEAD"] * 2 + ["LEVEL2"] * 2 + ["KEY"] * 2 + ["NAME"] * 4


def test_a_key_character_opening_the_value_of_a_key_cell_is_the_values():
    page, _ = _grid([[("联系人", {}), ("金涛", {}), ("年初预算", {})]])
    probs = [_probs_of(KEY=0.99)] * 3 + [_probs_of(KEY=0.97, PROJECT_LEAD=0.03), _probs_of(PROJECT_LEAD=0.99)]
    probs += [_probs_of(KEY=0.9), _probs_of(KEY=0.9), _probs_of(KEY=0.9), _probs_of(KEY=0.9)]
    vote_units(page, probs)
    assert _labels(probs) == ["KEY"] * 3 + ["PROJECT_LEAD"] * 2 + ["KEY"] * 4


def test_a_key_cell_in_an_indicator_row_holds_its_columns_field():
    head = {"KEY": 0.99}
    page, probs = _grid([[("指标", head), ("目标", head), ("实际", head)],
                         [("培训人次", {"NAME": 0.9}), ("≥90", {"TARGET": 0.9}), ("95", {"ACTUAL": 0.9})],
                         [("满意度", {"NAME": 0.9}), ("≥90", {"TARGET": 0.9}), ("95", {"ACTUAL": 0.9})],
                         [("培训时间", {"NAME": 0.9}), ("完成", {"TARGET": 0.9}), ("完成", {"KEY": 0.99})]])
    vote_columns(page, probs)
    indicator = ["NAME"] * 4 + ["TARGET"] * 3 + ["ACTUAL"] * 2
    assert _labels(probs) == ["KEY"] * 6 + indicator + ["NAME"] * 3 + indicator[4:] + ["NAME"] * 4 + ["TARGET"] * 2 + ["ACTUAL"] * 2


def test_a_key_cell_in_an_indicator_row_of_a_column_too_short_to_vote_takes_its_likeliest_field():
    # a continuation page: the 标 of 效益指标, split by the page break, alone in the level column
    # beside a row that names its indicator; the column holds no other cell to vote with
    page, probs = _grid([[("一级指标", {"KEY": 0.99}), ("三级指标", {"KEY": 0.99})],
                         [("标", {"KEY": 0.58, "LEVEL1": 0.42}), ("改善水环境质量", {"NAME": 0.9})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["KEY"] * 8 + ["LEVEL1"] + ["NAME"] * 7


def test_the_rest_of_a_cut_cell_alone_under_the_header_holds_an_indicator_field():
    # a continuation page: the 意度 of 服务对接方对服务整理满意度, cut by the page break, alone in
    # its row between the repeated header row and the total row; the model reads it as a key
    head = {"KEY": 0.99}
    page, probs = _grid([[("一级指标", head), ("三级指标", head), ("分值", head)],
                         [None, ("意度", {"KEY": 0.49, "NAME": 0.3})],
                         [("总分", head), None, ("100", {"TOTAL_WEIGHT": 0.9})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["KEY"] * 10 + ["NAME"] * 2 + ["KEY"] * 2 + ["TOTAL_WEIGHT"] * 3
    # a key the model is sure of, alone under the header whose other cells reach down beside
    # it, is the header's second row
    page, probs = _grid([[("一级指标", head), ("三级指标", head), ("分值", head)],
                         [None, None, ("(分)", {"KEY": 0.9, "NAME": 0.05})],
                         [("总分", head), None, ("100", {"TOTAL_WEIGHT": 0.9})]],
                        spans={(0, 0): (2, 1), (0, 1): (2, 1)})
    vote_columns(page, probs)
    assert _labels(probs)[10:13] == ["KEY"] * 3
    # in a ruled row of its own it is a cut cell's rest however sure: the （二） of 服务电话拨打方投诉（二）
    page, probs = _grid([[("一级指标", head), ("三级指标", head), ("分值", head)],
                         [None, ("（二）", {"KEY": 0.86, "NAME": 0.13})],
                         [("总分", head), None, ("100", {"TOTAL_WEIGHT": 0.9})]])
    vote_columns(page, probs)
    assert _labels(probs)[10:13] == ["NAME"] * 3
    # the 续表 printed down the level column may share the cut cell's row (标 of 绩效目标, KEY 0.78)
    page, probs = _grid([[("一级指标", head), ("三级指标", head), ("偏差原因", head)],
                         [("续表", {"MARKER": 0.99}), None, ("标", {"KEY": 0.78, "DEVIATION": 0.21})],
                         [None, ("培训人次", {"NAME": 0.9}), ("—", {"DEVIATION": 0.9})],
                         [None, ("满意度", {"NAME": 0.9}), ("—", {"DEVIATION": 0.9})]])
    vote_columns(page, probs)
    assert _labels(probs)[12:15] == ["MARKER", "MARKER", "DEVIATION"]


def test_a_row_read_as_no_field_in_indicator_columns_holds_their_fields():
    # a template's leftover 指标2 alone in the name column, read O, above the total row
    head = {"KEY": 0.99}
    page, probs = _grid([[("三级指标", head), ("分值", head)],
                         [("培训人次", {"NAME": 0.9}), ("5", {"WEIGHT": 0.9})],
                         [("满意度", {"NAME": 0.9}), ("5", {"WEIGHT": 0.9})],
                         [("指标2", {"O": 0.8, "NAME": 0.1}), None],
                         [("合计", head), ("100", {"TOTAL_WEIGHT": 0.9})],
                         [("—", {"O": 0.9}), ("—", {"O": 0.9})]])
    vote_columns(page, probs)
    assert _labels(probs)[15:18] == ["NAME"] * 3
    assert _labels(probs)[-2:] == ["O", "O"]  # dashes left under the total: no row of their own


def test_a_one_cell_column_means_what_its_column_meant_on_the_page_before():
    # page 1 votes its columns; page 2 holds one row: 服务对象满意度 under the 续上页 printed
    # down the level column, read LEVEL2 (the level's own words), and the placeholder 指标2 read TARGET
    head = {"KEY": 0.99}
    page, probs = _grid([[("二级指标", head), ("三级指标", head), ("指标值", head)],
                         [("数量指标", {"LEVEL2": 0.9}), ("培训人次", {"NAME": 0.9}), ("≥90", {"TARGET": 0.9})],
                         [("质量指标", {"LEVEL2": 0.9}), ("合格率", {"NAME": 0.9}), ("≥95%", {"TARGET": 0.9})]])
    known = vote_columns(page, probs)
    assert sorted(LABELS[c.field] for c in known) == ["LEVEL2", "NAME", "TARGET"]
    page, probs = _grid([[("续上页", {"MARKER": 0.99}), ("服务对象满意度", {"LEVEL2": 0.99}), ("≥90%", {"TARGET": 0.9})]])
    vote_columns(page, probs, known)
    assert _labels(probs) == ["MARKER"] * 3 + ["NAME"] * 7 + ["TARGET"] * 4
    page, probs = _grid([[("满意度指标", {"LEVEL2": 0.99}), ("指标2", {"TARGET": 0.8})]])
    vote_columns(page, probs, known)
    assert _labels(probs) == ["LEVEL2"] * 5 + ["NAME"] * 3
    # below a form's title a table has columns of its own
    page, probs = _grid([[("满意度指标", {"LEVEL2": 0.99}), ("指标2", {"TARGET": 0.8})]])
    page.tokens.append(Token(text="部门整体支出绩效自评表", box=(0, -40, 200, -30)))
    probs.append(_probs_of(TITLE=0.99))
    vote_columns(page, probs, known)
    assert _labels(probs)[:8] == ["LEVEL2"] * 5 + ["TARGET"] * 3
    # without a page before, one cell keeps its own reading
    page, probs = _grid([[("满意度指标", {"LEVEL2": 0.99}), ("指标2", {"TARGET": 0.8})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["LEVEL2"] * 5 + ["TARGET"] * 3


def test_a_cell_read_in_doubt_as_a_field_its_row_holds_takes_its_second_reading():
    # the 度 of 参训人员满意度, cut by the page break, alone in the name column beside the
    # rest of its level 象满意度指标: read LEVEL2 (0.58) before NAME (0.32)
    page, probs = _grid([[("象满意度指标", {"LEVEL2": 0.99}), ("度", {"LEVEL2": 0.58, "NAME": 0.32})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["LEVEL2"] * 6 + ["NAME"]
    # a cell read surely keeps its field: one cell a pen stroke split in two
    page, probs = _grid([[("培训", {"NAME": 0.97}), ("人次", {"NAME": 0.95, "TARGET": 0.04})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["NAME"] * 4


def test_a_page_number_outside_the_tables_is_no_field():
    from service.document import Page

    def page_of(number: int, texts: list[tuple[str, float]]) -> tuple[Page, list[np.ndarray]]:
        tokens = [Token(text=t, box=(280, y, 300, y + 10)) for t, y in texts]
        page = Page(number=number, width=595, height=842, tokens=tokens, lines=[[k] for k in range(len(tokens))])
        return page, [_probs_of(TARGET=0.9, O=0.09) for _ in tokens]

    page, probs = page_of(1, [("第1页", 800)])
    page_numbers(page, probs)
    assert _labels(probs) == ["O"]
    page, probs = page_of(2, [("12", 400), ("— 2 —", 800), ("共 9 页 第 2 页", 810)])
    page_numbers(page, probs)
    assert _labels(probs) == ["TARGET", "O", "O"]
    # a bare number only where it is the page's own, first or last on the page
    page, probs = page_of(3, [("≥3", 100), ("3", 400), ("95", 500), ("3", 800)])
    page_numbers(page, probs)
    assert _labels(probs) == ["TARGET", "TARGET", "TARGET", "O"]
    # the footer taken into a borderless table's last row, - 1 - in three cells: the page's last line
    page, probs = page_of(1, [("≥3", 100), ("-", 800), ("1", 800), ("-", 800)])
    for k, token in enumerate(page.tokens[1:]):
        token.box = (270 + 10 * k, 800, 278 + 10 * k, 810)
    page.lines = [[0]]
    page_numbers(page, probs)
    assert _labels(probs) == ["TARGET", "O", "O", "O"]


def test_a_header_field_the_table_holds_is_not_taken_from_a_line_above_it():
    from service.document import Cell, Page, Table

    # 单位名称：武汉市交通运输局本级 printed over a project form whose table holds its 项目名称
    line = "武汉市交通运输局本级"
    cell = "高标准农田培训项目"
    tokens = [Token(text=ch, box=(100 + 10 * k, 50, 109 + 10 * k, 59)) for k, ch in enumerate(line)]
    tokens += [Token(text=ch, box=(100 + 10 * k, 80, 109 + 10 * k, 89)) for k, ch in enumerate(cell)]
    probs = [_probs_of(PROJECT_NAME=0.7, DEPARTMENT=0.1) for _ in line] + [_probs_of(PROJECT_NAME=0.95) for _ in cell]
    table = Table(box=(90, 75, 400, 200), cells=[Cell(box=(90, 75, 400, 95), row=0, col=1,
                                                      tokens=list(range(len(line), len(tokens))))])
    page = Page(number=1, width=595, height=842, tokens=tokens, tables=[table], lines=[list(range(len(line)))])
    header_fields_in_tables(page, probs)
    assert _labels(probs) == ["DEPARTMENT"] * len(line) + ["PROJECT_NAME"] * len(cell)
    # a line below the table, or over a table that holds no such field, keeps its reading
    probs = [_probs_of(PROJECT_NAME=0.7, DEPARTMENT=0.1) for _ in line] + [_probs_of(PROJECT_LEAD=0.95) for _ in cell]
    header_fields_in_tables(page, probs)
    assert _labels(probs)[: len(line)] == ["PROJECT_NAME"] * len(line)


def test_an_indicator_rows_score_read_as_a_total_joins_its_columns_vote():
    """The last row above 总分: its 分值 and 得分 both read TOTAL_WEIGHT. Turned back into the
    indicator's own fields before the columns vote, the 得分 cell takes its column's SCORE
    (after it, both became WEIGHT and the row's weight read 11); the 总分 row keeps its totals."""
    weight, score, target = {"WEIGHT": 0.8}, {"SCORE": 0.8}, {"TARGET": 0.9}
    page, probs = _grid([[("指标", {"KEY": 0.99}), ("指标值", {"KEY": 0.99}), ("分值", {"KEY": 0.99}), ("得分", {"KEY": 0.99})],
                         [("培训人次", {"NAME": 0.9}), ("≥5", target), ("2", weight), ("2", score)],
                         [("满意度", {"NAME": 0.9}), ("≥9", target), ("3", weight), ("3", score)],
                         [("合格率", {"NAME": 0.9}), ("≥1", target), ("1", {"TOTAL_WEIGHT": 0.84, "WEIGHT": 0.09}),
                          ("1", {"TOTAL_WEIGHT": 0.46, "TOTAL_SCORE": 0.43, "SCORE": 0.08})],
                         [("总分", {"KEY": 0.9}), None, ("100", weight), ("95", score)]])
    vote(page, probs)
    row = ["TARGET"] * 2 + ["WEIGHT", "SCORE"]
    assert _labels(probs)[9:] == ["NAME"] * 4 + row + ["NAME"] * 3 + row + ["NAME"] * 3 + row + [
        "KEY"] * 2 + ["TOTAL_WEIGHT"] * 3 + ["TOTAL_SCORE"] * 2


def test_a_row_whose_every_cell_reads_partly_as_a_key_is_a_header_row():
    # the header row of a form that starts mid-page, read unsure: 指标值 half TARGET
    key, half = {"KEY": 0.9}, {"TARGET": 0.55, "KEY": 0.45}
    page, probs = _grid([[("三级指标", key), ("指标值", half), ("分数", key), ("得分", key)],
                         [("培训人次", {"NAME": 0.9}), ("≥90", {"TARGET": 0.9}), ("5", {"WEIGHT": 0.9}), ("5", {"SCORE": 0.9})]])
    probs[5] = _probs_of(KEY=0.53, TARGET=0.47)  # 标
    probs[6] = _probs_of(KEY=0.65, TARGET=0.35)  # 值
    header_rows(page, probs)
    assert _labels(probs) == ["KEY"] * 11 + ["NAME"] * 4 + ["TARGET"] * 3 + ["WEIGHT", "SCORE"]
    # a cell without any key character keeps the row what it is
    page, probs = _grid([[("三级指标", key), ("指标值", {"TARGET": 0.9}), ("分数", key), ("得分", key)]])
    header_rows(page, probs)
    assert _labels(probs) == ["KEY"] * 4 + ["TARGET"] * 3 + ["KEY"] * 4


def test_a_cell_spanning_named_rows_is_no_name():
    page, probs = _grid([[("续表", {"NAME": 0.97, "MARKER": 0.03}), ("可用性", {"NAME": 0.99})],
                         [None, ("故障率", {"NAME": 0.99})]], spans={(0, 0): (2, 1)})
    spanning_names(page, probs)
    assert _labels(probs) == ["MARKER"] * 2 + ["NAME"] * 6


def test_a_text_read_as_a_marker_marks_every_cell_printing_it():
    page, probs = _grid([[("续上页", {"MARKER": 0.98}), ("续上页", {"NAME": 0.78, "MARKER": 0.2}), ("续上", {"NAME": 0.9})]])
    marker_texts(page, probs)
    assert _labels(probs) == ["MARKER"] * 6 + ["NAME"] * 2


def test_a_title_below_a_forms_fields_or_a_rubric_starts_a_form_at_its_line():
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    tokens = [Token(text="项目支出绩效自评表", box=(100, 40, 190, 50))]
    tokens += [Token(text="设备数量" * 3, box=(60, 60 + 12 * k, 180, 70 + 12 * k)) for k in range(4)]
    tokens += [Token(text="（2020）", box=(40, 300, 100, 310)), Token(text="部门整体支出绩效自评表", box=(110, 300, 220, 310))]
    tokens += [Token(text="部门名称", box=(60, 320, 100, 330))]
    enc = encode_tokens(tokens, 595.0, 842.0, vocab)
    labels = [L.title] * 9 + [L.name] * 48 + [L.other] * 6 + [L.title] * 11 + [L.key] * 4
    probs = np.stack([_probs_of(**{label.value: 0.9}) for label in labels])
    # the second title's line starts with its year (read O): the new form starts there
    assert form_starts(enc, probs) == [57]
    # so does one below other text (a scoring rubric, all O)
    rubric = probs.copy()
    rubric[:57] = _probs_of(O=0.9)
    assert form_starts(enc, rubric) == [57]
    # a title first on the page, or after too little to be a form, starts nothing
    assert form_starts(enc, probs[:57]) == []
    short = encode_tokens(tokens[:2] + tokens[5:], 595.0, 842.0, vocab)
    assert form_starts(short, np.concatenate([probs[:21], probs[57:]])) == []


def test_bio_tags_start_entities_at_label_changes_lines_and_gaps():
    from training.token_data import PageSample, bio_tags

    texts = ["产", "出", "9", "9", "5"]
    boxes = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [100, 0, 110, 10], [110, 0, 120, 10], [200, 0, 210, 10]], float)
    labels = ["LEVEL1", "LEVEL1", "SCORE", "SCORE", "SCORE"]
    page = PageSample(595.0, 842.0, texts, boxes, labels)
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    enc = encode_tokens(page.tokens(), 595.0, 842.0, vocab)
    tags = [BIO_TAGS[k] for k in bio_tags(page, enc)]
    assert tags == ["B-LEVEL1", "I-LEVEL1", "B-SCORE", "I-SCORE", "B-SCORE"]


def test_augmentation_keeps_labels_aligned_with_tokens():
    from training.token_data import Augment, PageSample, augment_page, merge_runs

    tokens, labels = labelled_form(random.Random(1), [0, 1, 2, 3, 4, 5])
    page = PageSample(595.0, 842.0, [t.text for t in tokens], np.array([t.box for t in tokens]), labels)
    out = augment_page(page, random.Random(2), Augment(merge_page=1.0), ["x"])
    assert len(out.texts) == len(out.labels) == len(out.boxes)
    assert abs(len("".join(out.texts)) - len(tokens)) < 0.1 * len(tokens)
    merged = merge_runs(page, random.Random(3), 1.0)
    assert "".join(merged.texts) != "" and len(merged.texts) < len(page.texts)
    # a merged token only joins characters of one label, so its text is one cell's text
    by_label = {}
    for text, label in zip(merged.texts, merged.labels):
        by_label.setdefault(label, []).append(text)
    assert "项目支出绩效自评表" in by_label["TITLE"]


# ---------------------------------------------------------------- training path (CI)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from training.train import main

    base = tmp_path_factory.mktemp("tiny")
    orders = [[0, 1, 2, 3, 4, 5], [0, 1, 4, 5, 2, 3], [1, 0, 2, 3, 5, 4]]
    train = write_dataset(base / "train", 12, seed=1, orders=orders)
    heldout = write_dataset(base / "heldout", 2, seed=2, orders=[[0, 1, 2, 3, 4, 5]])
    out = base / "model"
    assert main(["--tiny", "--data", str(train), "--heldout", str(heldout), "--out", str(out), "--steps", "80"]) == 0
    return out


def test_tiny_training_writes_a_loadable_model_with_a_card(tiny_model):
    from transformers import PreTrainedTokenizerFast

    for name in ("model.safetensors", "model.onnx", "config.json", "tokenizer.json", SETTINGS_FILE, "metrics.json",
                 "README.md"):
        assert (tiny_model / name).exists(), name
    meta = json.loads((tiny_model / SETTINGS_FILE).read_text())
    assert meta["bio_tags"] == BIO_TAGS
    tok = PreTrainedTokenizerFast.from_pretrained(str(tiny_model))
    vocab = tok.get_vocab()
    # the saved tokenizer reads text character by character, as the labeller's lookups do
    assert tok("项目 名称", add_special_tokens=False)["input_ids"] == [vocab[c] for c in "项目名称"]
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert "KEY" in metrics["heldout"]["per_label"]
    assert "## Held-out styles" in (tiny_model / "README.md").read_text()


def test_tiny_model_labels_every_token_and_learns_something(tiny_model):
    from service.registry import create

    labeller = create("labellers", "classifier", model_dir=str(tiny_model))
    tokens, labels = labelled_form(random.Random(7), [0, 1, 2, 3, 4, 5], rows=3)
    page = PageBuilder().build()
    page.tokens = tokens
    doc = labeller(Document(source="t", pages=[page]))
    got = [t.label for t in doc.pages[0].tokens]
    assert all(label in LABELS for label in got)
    assert all(0.0 <= t.label_confidence <= 1.0 for t in doc.pages[0].tokens)
    # after ~80 steps the tiny model beats labelling everything with the commonest label
    accuracy = np.mean([g == t for g, t in zip(got, labels)])
    commonest = max(labels.count(lab) for lab in set(labels)) / len(labels)
    assert accuracy > commonest


# ---------------------------------------------------------------- the shipped model


def _sample_pages() -> list[Path]:
    return sorted(SAMPLES.glob("*/tokens.jsonl"))


@pytest.mark.skipif(not (MODEL_DIR / SETTINGS_FILE).exists() or not _sample_pages(), reason="no shipped model or samples")
def test_shipped_onnx_export_is_the_shipped_weights():
    """The service runs model.onnx; it must be the export of model.safetensors, not a stale one."""
    import torch
    from transformers import LayoutLMForTokenClassification

    from service.stages.labelling.classifier import OnnxModel
    from training.export import TOLERANCE, _example_batch

    model = LayoutLMForTokenClassification.from_pretrained(str(MODEL_DIR)).eval()
    batch = _example_batch(model.config.vocab_size, length=120, padded=True)
    with torch.no_grad():
        expected = torch.softmax(model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits, dim=-1).numpy()
    assert np.abs(OnnxModel(MODEL_DIR / "model.onnx")(batch) - expected).max() < TOLERANCE


@pytest.mark.skipif(not (MODEL_DIR / SETTINGS_FILE).exists() or not _sample_pages(), reason="no shipped model or samples")
def test_shipped_model_labels_a_bundled_sample():
    from service.registry import create
    from training.token_data import load_docs

    labeller = create("labellers", "classifier")
    doc = load_docs(_sample_pages()[0].parent.parent)[0]
    page = doc.pages[0]
    tokens = page.tokens()
    from service.document import Page

    labelled = labeller(Document(source=doc.doc_id, pages=[Page(number=1, width=page.width, height=page.height, tokens=tokens)]))
    got = [t.label for t in labelled.pages[0].tokens]

    def text_with(label: str, labels: list[str]) -> str:
        return "".join(t for t, lab in zip(page.texts, labels) if lab == label)

    for field in ("PROJECT_NAME", "NAME", "TARGET", "ACTUAL", "WEIGHT", "SCORE"):
        if field in page.labels:
            assert text_with(field, got) == text_with(field, page.labels), field
    assert np.mean([g == t for g, t in zip(got, page.labels)]) > 0.97


@pytest.mark.skipif(not (MODEL_DIR / SETTINGS_FILE).exists() or not _sample_pages(), reason="no shipped model or samples")
def test_a_department_form_below_a_project_form_reads_its_own_header():
    """s03 page 2: a department form starts below the end of a project form. Read in one
    window with the project's rows, 部门名称's value looked like a project's 主管部门."""
    from service.pipeline import Pipeline
    from service.registry import create

    pipeline = Pipeline()
    doc = pipeline.run(SAMPLES / "s03" / "digital.pdf")
    labelled = create("labellers", "classifier")(doc)
    page = labelled.pages[1]
    value = "".join(t.text for t in sorted(page.tokens, key=lambda t: t.box[0]) if 525 < t.box[1] < 540 and t.box[0] > 110)
    assert value == "南京市规划和自然资源局管理处"
    labels = {t.label for t in page.tokens if 525 < t.box[1] < 540 and t.box[0] > 110 and t.text != "处"}
    assert labels == {L.project_name.value}


def test_a_lone_key_character_opening_a_longer_value_is_the_values():
    """The first data row under a header: 未 of 未通过验收 read as a key (a key is a word, and no
    key is printed before a value in its own cell in one character)."""
    page, _ = _grid([[("未通过验收", {})], [("分值", {})]])
    probs = [_probs_of(KEY=0.6, ACTUAL=0.4)] + [_probs_of(ACTUAL=0.95) for _ in range(4)]
    probs += [_probs_of(KEY=0.7, WEIGHT=0.3), _probs_of(WEIGHT=0.8, KEY=0.2)]
    vote_units(page, probs)
    assert _labels(probs) == ["ACTUAL"] * 5 + ["KEY", "WEIGHT"]  # two characters are no longer value
    # ... unless the row names an indicator, which a header row does not
    page, _ = _grid([[("设备数", {}), ("完成", {})]])
    probs = [_probs_of(NAME=0.9)] * 3 + [_probs_of(KEY=0.6, ACTUAL=0.4), _probs_of(ACTUAL=0.9)]
    vote_units(page, probs)
    assert _labels(probs) == ["NAME"] * 3 + ["ACTUAL"] * 2


def test_a_row_printing_a_level_holds_no_goal():
    from service.stages.labelling.classifier import no_goals_in_indicator_rows

    page, _ = _grid([[("产出", {}), ("设备数", {}), ("7台", {})], [("预期目标", {}), ("完成", {})]])
    probs = [_probs_of(LEVEL1=0.9)] * 2 + [_probs_of(GOAL_EXPECTED=0.5, NAME=0.4, TARGET=0.1)] * 3
    probs += [_probs_of(GOAL_ACTUAL=0.6, ACTUAL=0.3)] * 2
    probs += [_probs_of(KEY=0.9)] * 4 + [_probs_of(GOAL_EXPECTED=0.9, NAME=0.1)] * 2  # the goals block keeps its own
    no_goals_in_indicator_rows(page, probs)
    assert _labels(probs) == ["LEVEL1"] * 2 + ["NAME"] * 3 + ["ACTUAL"] * 2 + ["KEY"] * 4 + ["GOAL_EXPECTED"] * 2


def test_a_row_printing_budget_amounts_holds_no_goal_and_no_header_field():
    from service.stages.labelling.classifier import no_goals_in_indicator_rows

    # 项目支出 read as a goal over the goals block below; a 分值 of 20 read as a phone number
    page, _ = _grid([[("项目支出", {}), ("0", {}), ("833", {}), ("726", {}), ("20", {}), ("—", {})]])
    probs = [_probs_of(GOAL_EXPECTED=0.6, FUND_ITEM=0.3)] * 4 + [_probs_of(FUND_INITIAL=0.9)]
    probs += [_probs_of(FUND_ANNUAL=0.9)] * 3 + [_probs_of(FUND_EXECUTED=0.9)] * 3
    probs += [_probs_of(O=0.55, FUND_WEIGHT=0.4)] * 2 + [_probs_of(O=0.9, FUND_RATE=0.05)]
    no_goals_in_indicator_rows(page, probs)
    assert _labels(probs) == ["FUND_ITEM"] * 4 + ["FUND_INITIAL"] + ["FUND_ANNUAL"] * 3 + [
        "FUND_EXECUTED"] * 3 + ["FUND_WEIGHT"] * 2 + ["O"]  # a dash holds no amount
    # one amount in a goals row leaves it the goals'
    page, _ = _grid([[("预期目标", {}), ("完成2台", {})]])
    probs = [_probs_of(KEY=0.9)] * 4 + [_probs_of(GOAL_EXPECTED=0.9)] * 2 + [_probs_of(FUND_ANNUAL=0.6, GOAL_EXPECTED=0.4)]
    probs += [_probs_of(GOAL_EXPECTED=0.9)]
    no_goals_in_indicator_rows(page, probs)
    assert _labels(probs)[4:] == ["GOAL_EXPECTED"] * 2 + ["FUND_ANNUAL", "GOAL_EXPECTED"]


def test_an_empty_budget_cell_read_as_its_neighbours_field_takes_its_second_reading():
    # the — of an empty 年初预算数 read FUND_ANNUAL beside the 全年预算数 of 上年结转资金
    page, probs = _grid([[("上年结转资金", {"FUND_ITEM": 0.99}), ("—", {"FUND_ANNUAL": 0.6, "FUND_INITIAL": 0.35}),
                          ("633.59", {"FUND_ANNUAL": 0.99}), ("596.64", {"FUND_EXECUTED": 0.99})]])
    vote_columns(page, probs)
    assert _labels(probs) == ["FUND_ITEM"] * 6 + ["FUND_INITIAL"] + ["FUND_ANNUAL"] * 6 + ["FUND_EXECUTED"] * 6



def test_the_words_of_the_row_under_the_total_row_are_the_grade():
    """自评等级 | 中 under 合计: the model, which met few grades but 优 and 良, reads 中 as a
    deviation reason, GRADE second; the column vote then made it the total weight."""
    key, weight, score = {"KEY": 0.99}, {"WEIGHT": 0.8}, {"SCORE": 0.8}

    def labelled(last_row):
        page, probs = _grid([[("指标", key), ("分值", key), ("得分", key), ("原因", key)],
                             [("培训人次", {"NAME": 0.9}), ("50", weight), ("45", score), ("偏低", {"DEVIATION": 0.9})],
                             [("满意度", {"NAME": 0.9}), ("50", weight), ("45", score), ("偏低", {"DEVIATION": 0.9})],
                             [("合计", key), ("100", weight), ("90", score), ("—", {"O": 0.9})],
                             last_row], spans={(4, 1): (1, 3)})
        vote(page, probs)
        return _labels(probs)

    labels = labelled([("自评等级", key), ("中", {"DEVIATION": 0.66, "GRADE": 0.33})])
    assert labels[-13:] == ["KEY"] * 2 + ["TOTAL_WEIGHT"] * 3 + ["TOTAL_SCORE"] * 2 + ["O"] + ["KEY"] * 4 + ["GRADE"]
    # a dash left in the grade's cell is no field; a row under the totals printing a number is no grade's
    assert labelled([("自评等级", key), ("—", {"DEVIATION": 0.5, "GRADE": 0.1, "O": 0.3})])[-1] == "O"
    assert "GRADE" not in labelled([("备注", key), ("第2条", {"DEVIATION": 0.66, "GRADE": 0.33})])


def test_a_grade_is_a_word():
    # the ☆ of a seal stamped below the table, read GRADE; 优 stays the grade
    from service.document import Page

    tokens = [Token(text="☆", box=(300, 700, 310, 710)), Token(text="优", box=(300, 300, 310, 310))]
    page = Page(number=1, width=595, height=842, tokens=tokens, lines=[[0], [1]])
    probs = [_probs_of(GRADE=0.43, O=0.28), _probs_of(GRADE=0.9)]
    vote(page, probs)
    assert _labels(probs) == ["O", "GRADE"]


def test_a_value_opening_with_a_key_character_and_holding_one_inside_is_one_field():
    # 全 and 标 of 全市重点场所外语标识采集数量, the first row under a header, both read KEY
    name = {"NAME": 0.9, "KEY": 0.09}
    key = {"KEY": 0.9, "NAME": 0.09}
    page, _ = _grid([[("指标名称", {"KEY": 0.99})], [("全市重点标识", {})]])
    probs = [_probs_of(KEY=0.99)] * 4 + [_probs_of(**p) for p in (key, name, name, key, name, name)]
    vote_units(page, probs)
    assert _labels(probs) == ["KEY"] * 4 + ["NAME"] * 6
