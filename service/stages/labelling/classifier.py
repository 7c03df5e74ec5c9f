"""The learned labeller: a LayoutLM-style token classifier over characters and their boxes.

Each page becomes one character sequence in reading order (text lines by y, then x;
a multi-character token is split into characters with its box divided evenly), with
every character's box scaled to 0–1000 of the page. Pages longer than the model's
window are read in overlapping windows; a character takes its label from the window in
which it sits most centrally.

Column meaning lives in header rows that a window far down a long table, or a
continuation page printed without a header row, cannot see. So every window is
prefixed with *context*: the last characters labelled KEY before it in
reading order (from earlier windows of the page, or from earlier pages of the
document), with their own boxes and token type 1. Training builds the same prefix from
the true labels. Windows of a document therefore run in order, one after another.

The model predicts BIO tags (service.labels.BIO_TAGS); a token's label is the field
whose B- and I- probabilities, averaged over its characters, sum highest, after the
votes (``vote``) have settled each unit the layout found (a cell, a column, a row) on one
field. The indicator columns a page's table settles carry to the next page, where a column
too short to vote means what it meant before.

Files in the model directory: config.json + model.safetensors (transformers'
LayoutLMForTokenClassification, what training writes and continues from), model.onnx
(the same model exported by training.export: what the labeller runs, on onnxruntime, so
a worker holds neither torch nor transformers), tokenizer.json (a character WordLevel
vocabulary, NFKC, loadable with PreTrainedTokenizerFast) and classifier.json (window,
context and the label list).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...document import Cell, Document, Page, Table, Token
from ...geometry import char_height, group_lines
from ...labels import BIO_TAGS, FUND_FIELDS, HEADER_FIELDS, INDICATOR_FIELDS, LABELS, FieldLabel
from ...registry import register

MODEL_DIR = Path(__file__).resolve().parents[3] / "models"
SETTINGS_FILE = "classifier.json"
ONNX_FILE = "model.onnx"
MODEL_INPUTS = ("input_ids", "bbox", "token_type_ids", "attention_mask")

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]
KEY_LABEL_INDEX = LABELS.index(FieldLabel.key.value)
MARKER_LABEL_INDEX = LABELS.index(FieldLabel.marker.value)
OTHER_LABEL_INDEX = LABELS.index(FieldLabel.other.value)
GRADE_LABEL_INDEX = LABELS.index(FieldLabel.grade.value)
TITLE_LABEL_INDEX = LABELS.index(FieldLabel.title.value)


@dataclass(frozen=True)
class WindowSettings:
    """How a page is cut for the model; saved with the model in classifier.json."""

    window: int = 512  # model positions per window, [CLS] and [SEP] included
    stride: int = 384  # start-to-start distance of consecutive windows
    context: int = 64  # KEY characters carried in front of a window (0: none)

    @property
    def body(self) -> int:
        """Page characters per window (the context is reserved room even while empty)."""
        return self.window - 2 - self.context


# ---------------------------------------------------------------- encoding


def normalise_char_text(text: str) -> str:
    """NFKC without whitespace: what the vocabulary is built from and looked up with."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def split_box(box: Sequence[float], n: int) -> list[tuple[float, float, float, float]]:
    """Divide a multi-character token's box evenly along its longer side (vertical text stands)."""
    x0, y0, x1, y1 = box
    if n <= 1:
        return [(x0, y0, x1, y1)]
    if (y1 - y0) > 1.5 * (x1 - x0):
        step = (y1 - y0) / n
        return [(x0, y0 + k * step, x1, y0 + (k + 1) * step) for k in range(n)]
    step = (x1 - x0) / n
    return [(x0 + k * step, y0, x0 + (k + 1) * step, y1) for k in range(n)]


@dataclass
class EncodedPage:
    """A page as the model reads it: characters in reading order.

    ``owner[k]`` is the index (into the token list encoded) of the token character k
    came from; ``line[k]`` numbers the text line it sits on.
    """

    chars: list[str]
    ids: np.ndarray  # int64 [n]
    boxes: np.ndarray  # int64 [n, 4], 0–1000
    owner: np.ndarray  # int64 [n]
    line: np.ndarray  # int64 [n]

    def __len__(self) -> int:
        return len(self.chars)


def scale_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Points → LayoutLM's 0–1000 page coordinates, clamped, x1 ≥ x0 and y1 ≥ y0."""
    scale = np.array([1000.0 / max(width, 1e-6), 1000.0 / max(height, 1e-6)] * 2)
    out = np.clip(np.rint(np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * scale), 0, 1000).astype(np.int64)
    out[:, 2] = np.maximum(out[:, 2], out[:, 0])
    out[:, 3] = np.maximum(out[:, 3], out[:, 1])
    return out


def encode_tokens(tokens: Sequence[Token], width: float, height: float, vocab: dict[str, int]) -> EncodedPage:
    """Order a page's tokens into text lines and split them into vocabulary characters."""
    unk = vocab[UNK]
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    owner: list[int] = []
    line_of: list[int] = []
    for line_no, line in enumerate(group_lines(tokens, range(len(tokens)))):
        for i in line:
            text = normalise_char_text(tokens[i].text)
            for ch, box in zip(text, split_box(tokens[i].box, len(text))):
                chars.append(ch)
                boxes.append(box)
                owner.append(i)
                line_of.append(line_no)
    return EncodedPage(
        chars=chars,
        ids=np.array([vocab.get(ch, unk) for ch in chars], dtype=np.int64),
        boxes=scale_boxes(np.array(boxes, dtype=np.float64), width, height) if boxes else np.zeros((0, 4), np.int64),
        owner=np.array(owner, dtype=np.int64),
        line=np.array(line_of, dtype=np.int64),
    )


# ---------------------------------------------------------------- windows


def window_spans(n: int, settings: WindowSettings) -> list[tuple[int, int]]:
    """Overlapping [start, end) spans of ``body`` characters, ``stride`` apart; the last ends at n."""
    body = settings.body
    if n <= body:
        return [(0, n)]
    stride = min(settings.stride, body)
    spans = []
    start = 0
    while start + body < n:
        spans.append((start, start + body))
        start += stride
    spans.append((n - body, n))
    return spans


def window_owners(n: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """For every position, the window in which it sits most centrally (ties: the earlier).

    A page's first and last characters have no neighbours beyond the page, so the
    page edges do not count as window edges.
    """
    best = np.full(n, -1, dtype=np.int64)
    margin = np.full(n, -np.inf)
    pos = np.arange(n)
    for w, (start, end) in enumerate(spans):
        inside = (pos >= start) & (pos < end)
        left = np.where(start == 0, np.inf, pos - start)
        right = np.where(end == n, np.inf, end - 1 - pos)
        m = np.where(inside, np.minimum(left, right), -np.inf)
        better = m > margin
        best[better] = w
        margin[better] = m[better]
    return best


@dataclass
class WindowInput:
    """One model input row: [CLS] context… page characters… [SEP]."""

    ids: list[int]
    boxes: list[list[int]]
    types: list[int]  # 1 for context characters
    body_start: int  # model position of the first page character


def build_window(
    page: EncodedPage,
    span: tuple[int, int],
    context_ids: Sequence[int],
    context_boxes: Sequence[Sequence[int]],
    vocab: dict[str, int],
) -> WindowInput:
    start, end = span
    ids = [vocab[CLS], *context_ids, *page.ids[start:end].tolist(), vocab[SEP]]
    boxes = [[0, 0, 0, 0], *[list(b) for b in context_boxes], *page.boxes[start:end].tolist(), [1000, 1000, 1000, 1000]]
    types = [0] + [1] * len(context_ids) + [0] * (end - start) + [0]
    return WindowInput(ids=ids, boxes=boxes, types=types, body_start=1 + len(context_ids))


def collate(windows: Sequence[WindowInput], pad_id: int) -> dict[str, np.ndarray]:
    """Pad windows into one batch (int64 arrays named as the model's inputs)."""
    t = max(len(w.ids) for w in windows)
    ids = np.full((len(windows), t), pad_id, dtype=np.int64)
    boxes = np.zeros((len(windows), t, 4), dtype=np.int64)
    types = np.zeros((len(windows), t), dtype=np.int64)
    mask = np.zeros((len(windows), t), dtype=np.int64)
    for k, w in enumerate(windows):
        n = len(w.ids)
        ids[k, :n] = w.ids
        boxes[k, :n] = w.boxes
        types[k, :n] = w.types
        mask[k, :n] = 1
    return dict(zip(MODEL_INPUTS, (ids, boxes, types, mask)))


class OnnxModel:
    """The exported classifier on onnxruntime: a batch in, BIO probabilities [batch, length, tags] out."""

    def __init__(self, path: str | Path, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, batch)[0]


class KeyContext:
    """The last KEY-labelled characters seen so far in a document, oldest first."""

    def __init__(self, size: int):
        self.size = size
        self.ids: list[int] = []
        self.boxes: list[list[int]] = []

    def copy(self) -> "KeyContext":
        other = KeyContext(self.size)
        other.ids, other.boxes = list(self.ids), list(self.boxes)
        return other

    def clear(self) -> None:
        self.ids, self.boxes = [], []

    def add(self, ids: Sequence[int], boxes: Sequence[Sequence[int]]) -> None:
        if self.size <= 0 or not len(ids):
            return
        self.ids = (self.ids + list(ids))[-self.size :]
        self.boxes = (self.boxes + [list(b) for b in boxes])[-self.size :]


def bio_to_field_probs(bio_probs: np.ndarray) -> np.ndarray:
    """[n, len(BIO_TAGS)] → [n, len(LABELS)]: a field's B- and I- probabilities summed."""
    out = np.zeros((bio_probs.shape[0], len(LABELS)), dtype=bio_probs.dtype)
    for k, tag in enumerate(BIO_TAGS):
        out[:, LABELS.index(tag.split("-", 1)[-1] if tag != "O" else "O")] += bio_probs[:, k]
    return out


def vote(page: Page, probs: list[np.ndarray | None], known: Sequence[KnownColumn] = ()) -> list[KnownColumn]:
    """The model reads characters; the page's layout says which of them belong together.
    Each vote below settles one kind of unit on one field, in this order. ``known`` are the
    indicator columns of the form's table on the pages before; the page's are returned."""
    page_numbers(page, probs)
    vote_units(page, probs)
    header_rows(page, probs)
    vote_header_fields(page, probs)
    header_fields_in_tables(page, probs)
    marker_texts(page, probs)
    spanning_names(page, probs)
    total_rows(page, probs)  # an indicator row's 分值/得分 read as totals then join their columns' vote
    grade_rows(page, probs)
    grades_are_words(page, probs)
    no_goals_in_indicator_rows(page, probs)
    known = vote_columns(page, probs, known)
    total_rows(page, probs)  # and a total row's cells the columns' vote took for an indicator's are totals
    return known


# A page number printed as such (第3页, 第 3 页 共 9 页, — 3 —); a bare 3 or 3/9 only where the
# number is the page's own and the line is the page's first or last.
PAGE_NUMBER = re.compile(r"(共\d+页)?第\d+页([,，]?共\d+页)?|[-—–－]+\d+[-—–－]+")
BARE_PAGE_NUMBER = re.compile(r"(\d+)(/\d+)?")


def page_numbers(page: Page, probs: list[np.ndarray | None]) -> None:
    """A page number is no field, though printed under a column it reads as one to the model
    (第1页 centred under the 年度指标值 column, read TARGET, then joined to the next page's first
    target as the rest of a cut cell). It is a loose line, or the page's first or last line:
    the cells of a borderless table may take in the footer below it."""
    read = [i for i, p in enumerate(probs) if p is not None]
    all_lines = group_lines(page.tokens, read)
    edges = [all_lines[0], all_lines[-1]] if all_lines else []
    loose = [[i for i in line if probs[i] is not None] for line in page.lines]
    for line in edges + loose:
        if not line:
            continue
        text = "".join(normalise_char_text(page.tokens[i].text) for i in line)
        bare = BARE_PAGE_NUMBER.fullmatch(text)
        own = bare is not None and int(bare.group(1)) == page.number and line in edges
        if PAGE_NUMBER.fullmatch(text) or own:
            _settle(probs, line, OTHER_LABEL_INDEX, float(np.mean([probs[i].max() for i in line])))


def vote_units(page: Page, probs: list[np.ndarray | None]) -> None:
    """One field per unit of text the layout found: a table cell, or a run of a loose text
    line between keys and wide gaps. Their characters' probabilities, averaged by
    characters, outvote a stray misread (a title's 0 left out of it, four characters of a
    单位名称 line taken for the project name). Keys keep their own label (a ruled cell may
    print a key before its value), and so do the pieces of a borderless segment that runs
    across columns; but one or two key characters inside a value (年 of （2022年度）, 标 of
    产出指标（42分）) are the value's: no key is printed inside a value. The other way round,
    a cell mixing value characters into a key (_key_or_value) is a key, and a key character
    opening the value of a key cell, or a value of three characters or more (_value_not_key),
    is the value's: once the keys inside it are (全 and 标 of 全市重点场所外语标识采集数量 under
    the header, both read KEY)."""
    h = char_height(page.tokens, [i for line in page.lines for i in line])
    for table in page.tables:
        after_key = _cells_after_keys(table, probs)
        names: dict[int, set[int]] = {}  # row → the cells (by id) reading as a name
        for cell in table.cells:
            if any(probs[i] is not None and int(probs[i].argmax()) in ROW_NAMES for i in cell.tokens):
                names.setdefault(cell.row, set()).add(id(cell))
        for cell in table.cells:
            ordered = [i for line in group_lines(page.tokens, cell.tokens) for i in line]
            named_row = bool(names.get(cell.row, set()) - {id(cell)})
            if table.ruled or cell.col_span == 1:
                _key_or_value(page, probs, ordered, named_row=named_row)
            _keys_inside_values(page, probs, ordered, h)
            if (table.ruled and id(cell) in after_key) or len(cell.tokens) >= 3 or named_row:
                _value_not_key(page, probs, ordered)
            if table.ruled or cell.col_span == 1:
                _vote(page, probs, cell.tokens)
    for line in page.lines:
        ordered = sorted(line, key=lambda i: page.tokens[i].box[0])
        _keys_inside_values(page, probs, ordered, h)
        run: list[int] = []
        for i in ordered:
            key = probs[i] is not None and int(probs[i].argmax()) == KEY_LABEL_INDEX
            if run and (key or page.tokens[i].box[0] - page.tokens[run[-1]].box[2] > h):
                _vote(page, probs, run)
                run = []
            if not key:
                run.append(i)
        _vote(page, probs, run)


def header_rows(page: Page, probs: list[np.ndarray | None]) -> None:
    """A table row in which every cell reads as a key, wholly or in part, and most wholly, is a
    header row: keys throughout (the model, unsure of a header row, read 指标值 half TARGET).
    An indicator row prints no key at all (see _keys_in_indicator_rows)."""
    for table in page.tables:
        for cells in _row_bodies(table, probs):
            keyed = [[int(probs[i].argmax()) == KEY_LABEL_INDEX for i in body] for body in cells]
            if len(cells) < 3 or not all(any(k) for k in keyed) or 2 * sum(all(k) for k in keyed) < len(cells):
                continue
            for body in cells:
                mean = np.mean([probs[i] for i in body], axis=0)
                _settle(probs, body, KEY_LABEL_INDEX, float(mean[KEY_LABEL_INDEX]))


def _row_bodies(table: Table, probs: list[np.ndarray | None]) -> list[list[list[int]]]:
    """The labelled tokens of each cell, grouped by the table row the cell starts in."""
    rows: dict[int, list[list[int]]] = {}
    for cell in table.cells:
        body = [i for i in cell.tokens if probs[i] is not None]
        if body:
            rows.setdefault(cell.row, []).append(body)
    return list(rows.values())


# Indicator columns: each field has one column, but a target may be printed over several
# (性质 | 值 | 单位).
COLUMN_FIELDS = [LABELS.index(f.value) for f in INDICATOR_FIELDS]
REPEATABLE = {LABELS.index(FieldLabel.target.value)}


@dataclass
class KnownColumn:
    """An indicator column the vote settled, as an x interval from the table's left edge
    (ruled) or the page's (borderless): a table keeps its columns from page to page."""

    x0: float
    x1: float
    field: int
    confidence: float


def vote_columns(page: Page, probs: list[np.ndarray | None], known: Sequence[KnownColumn] = ()) -> list[KnownColumn]:
    """One field per indicator column: a table's columns mean what their headers say, on
    every row. The cells of a column read as an indicator field pool their probabilities,
    and the columns take fields one each, the surest first, so that two columns both read
    mostly as 得分 part: the less sure takes its next best field. A column of one cell, too
    few to vote (a continuation page's last row), means what the column it lies in meant on
    the page before (服务对象满意度 under the 续上页 printed down the level column, read
    LEVEL2); but not below a form's title: a new form has columns of its own. Returns the
    columns of the page's last table that settled any, else ``known``."""
    titles = [page.tokens[i].box[3] for i, p in enumerate(probs) if p is not None and int(p.argmax()) == TITLE_LABEL_INDEX]
    for table in page.tables:
        if any(bottom <= table.box[1] for bottom in titles):
            known = []
        edge = table.box[0] if table.ruled else 0.0
        columns: dict[int, list[list[int]]] = {}
        extents: dict[int, list[tuple[float, float]]] = {}
        for cell in table.cells:
            body = [i for i in cell.tokens if probs[i] is not None]
            if (table.ruled or cell.col_span == 1) and body and int(probs[body[0]].argmax()) in COLUMN_FIELDS:
                columns.setdefault(cell.col, []).append(body)
                extents.setdefault(cell.col, []).append((cell.box[0] - edge, cell.box[2] - edge))
        short = {col: cells for col, cells in columns.items() if len(cells) < 2}
        columns = {col: cells for col, cells in columns.items() if len(cells) >= 2}
        means = {col: np.mean([np.mean([probs[i] for i in cell], axis=0) for cell in cells], axis=0)
                 for col, cells in columns.items()}
        options = sorted(((float(m[f]), col, f) for col, m in means.items() for f in COLUMN_FIELDS), reverse=True)
        chosen: dict[int, int] = {}
        taken: set[int] = set()
        for _, col, f in options:
            if col not in chosen and (f in REPEATABLE or f not in taken):
                chosen[col] = f
                taken.add(f)
        for col, cells in short.items():
            (x0, x1), = extents[col]
            for column in known:
                if (column.field in REPEATABLE or column.field not in taken) and _aligned(x0, x1, column.x0, column.x1):
                    chosen[col], columns[col] = column.field, cells
                    means[col] = np.zeros(len(LABELS), dtype=np.float32)
                    means[col][column.field] = column.confidence
                    taken.add(column.field)
                    break
        for col, f in chosen.items():
            for cell in columns[col]:
                _settle(probs, cell, f, means[col][f])
        _keys_in_indicator_rows(table, probs, chosen, means)
        _cut_cell_under_header(table, probs, chosen, means)
        _one_field_per_row(table, probs)
        _rows_read_as_nothing(page, table, probs, chosen, means)
        settled = [KnownColumn(*np.median(extents[col], axis=0).tolist(), field=f, confidence=float(means[col][f]))
                   for col, f in chosen.items()]
        known = settled or known
    return list(known)


def _aligned(x0: float, x1: float, y0: float, y1: float) -> bool:
    """Two columns are one where each one's middle lies within the other."""
    return x0 <= (y0 + y1) / 2 <= x1 and y0 <= (x0 + x1) / 2 <= y1


def _cut_cell_under_header(table: Table, probs: list[np.ndarray | None], chosen: dict[int, int],
                           means: dict[int, np.ndarray]) -> None:
    """The rest of a cell cut by the page break, alone in its row right under the repeated
    header row ("意度" of 服务对接方对服务整理满意度), reads as a key to the model, which sees
    it under the header, but in doubt: it holds its column's field, or where the column has
    no other cells, its own likeliest indicator field, for reconstruction to join it to the
    row it continues; a continuation marker (续表 printed down the level columns) may share its
    row. A key printed alone under the header, and sure, is the header's second row where the
    header's other cells reach down beside it or no ruling tells; a ruled row of its own is a
    body row, whatever the model reads in it (the （二） of 服务电话拨打方投诉（二）, KEY 0.86)."""
    rows = _rows_of_cells(table, probs)
    order = sorted(rows)
    for above, row, below in zip(order, order[1:], order[2:]):
        unmarked = [(cell, body) for cell, body in rows[row]
                    if not _reads_as(probs, body, MARKER_LABEL_INDEX)]
        if len(unmarked) != 1:
            continue
        cell, body = unmarked[0]
        if cell.col_span != 1 or not _reads_as(probs, body, KEY_LABEL_INDEX):
            continue
        header_above = all(int(probs[i].argmax()) == KEY_LABEL_INDEX for _, ids in rows[above] for i in ids)
        values_below = any(int(probs[i].argmax()) not in (KEY_LABEL_INDEX, OTHER_LABEL_INDEX)
                           for _, ids in rows[below] for i in ids)
        sure = np.mean([probs[i][KEY_LABEL_INDEX] for i in body]) >= SURE_KEY and not _row_of_its_own(table, row)
        if header_above and values_below and not sure:
            _settle_in_column(probs, cell.col, body, chosen, means)


SURE_KEY = 0.8  # the model's mean key probability over a cell it reads as a printed key


def _row_of_its_own(table: Table, row: int) -> bool:
    """A ruled table's row that no cell above reaches down into."""
    return table.ruled and not any(cell.row < row < cell.row + cell.row_span for cell in table.cells)


def _rows_read_as_nothing(page: Page, table: Table, probs: list[np.ndarray | None], chosen: dict[int, int],
                          means: dict[int, np.ndarray]) -> None:
    """A row whose every cell reads as no field, each one column wide in a column read as an
    indicator field (a template's leftover 指标2 alone in the name column), holds its columns'
    fields: a note or a sentence printed in the table runs across its columns. Only in a ruled
    table: the rows of a borderless one may take in the page's footer."""
    if not table.ruled:
        return
    for cells in _rows_of_cells(table, probs).values():
        if not all(cell.col_span == 1 and cell.col in chosen
                   and _reads_as(probs, body, OTHER_LABEL_INDEX) for cell, body in cells):
            continue
        if not any(ch.isalnum() for _, body in cells for i in body for ch in page.tokens[i].text):
            continue  # dashes in the empty cells of a total row
        for cell, body in cells:
            _settle_in_column(probs, cell.col, body, chosen, means)


def _one_field_per_row(table: Table, probs: list[np.ndarray | None]) -> None:
    """A row holds each indicator or fund field in one column: a cell reading in doubt as the
    field another cell of its row holds more surely (the 度 of 参训人员满意度, cut by the page
    break and alone in its column, read LEVEL2 beside the level's own rest 象满意度指标; the —
    of an empty 年初预算数 read as the 全年预算数 beside it) takes its second likeliest field, if
    that is a field of the same kind the row does not hold. A cell read surely is left alone:
    a pen stroke may split one cell in two, both halves one field."""
    for cells in _rows_of_cells(table, probs).values():
        read = []
        for cell, body in cells:
            if table.ruled or cell.col_span == 1:
                mean = np.mean([probs[i] for i in body], axis=0)
                read.append((float(mean.max()), int(mean.argmax()), cell, body, mean))
        held: dict[int, float] = {}
        for sure, field, *_ in read:
            held[field] = max(held.get(field, 0.0), sure)
        for sure, field, cell, body, mean in read:
            if field in REPEATABLE or sure >= SURE_FIELD or held[field] <= sure:
                continue
            kind = next((fields for fields in (COLUMN_FIELDS, FUND_LABELS) if field in fields), None)
            other = int(np.argsort(mean)[-2])
            if kind is not None and other in kind and other not in held:
                _settle(probs, body, other, float(mean[other]))
                held[other] = float(mean[other])


SURE_FIELD = 0.9  # the model's mean probability over a cell it reads surely as one field


def _keys_in_indicator_rows(table: Table, probs: list[np.ndarray | None], chosen: dict[int, int],
                            means: dict[int, np.ndarray]) -> None:
    """A row that names an indicator prints no key (its keys are the header row's): the one cell
    of such a row that reads as a key, in a column read as an indicator field, holds that field;
    in a column not read as one (too few cells: the 标 of a level split by the page break, alone
    on the new page), its own likeliest indicator field. Key characters after a value in a cell
    of such a row are the value's (无偏差 read 无 DEVIATION, 偏差 KEY)."""
    for cells in _rows_of_cells(table, probs).values():
        keys = [(cell, body) for cell, body in cells
                if _reads_as(probs, body, KEY_LABEL_INDEX)]
        named = any(int(probs[i].argmax()) in ROW_NAMES for _, body in cells for i in body)
        if not named:
            continue
        if len(keys) == 1 and (table.ruled or keys[0][0].col_span == 1):
            _settle_in_column(probs, keys[0][0].col, keys[0][1], chosen, means)
        for cell, body in cells:
            opening = int(probs[body[0]].argmax())
            if opening in COLUMN_FIELDS and (table.ruled or cell.col_span == 1):
                trailing = [i for i in body if int(probs[i].argmax()) == KEY_LABEL_INDEX]
                _settle(probs, trailing, opening, float(probs[body[0]][opening]))


def _reads_as(probs: list[np.ndarray | None], ids: Sequence[int], field: int) -> bool:
    """Every one of the tokens reads as ``field``."""
    return all(int(probs[i].argmax()) == field for i in ids)


def _rows_of_cells(table: Table, probs: list[np.ndarray | None]) -> dict[int, list[tuple[Cell, list[int]]]]:
    """The table's cells holding labelled tokens, with those tokens, by row."""
    rows: dict[int, list[tuple[Cell, list[int]]]] = {}
    for cell in table.cells:
        body = [i for i in cell.tokens if probs[i] is not None]
        if body:
            rows.setdefault(cell.row, []).append((cell, body))
    return rows


def _settle_in_column(probs: list[np.ndarray | None], col: int, body: list[int], chosen: dict[int, int],
                      means: dict[int, np.ndarray]) -> None:
    """The tokens take the field their column was read as, or where the column was read as
    none (too few cells to vote), their own likeliest indicator field."""
    if col in chosen:
        _settle(probs, body, chosen[col], float(means[col][chosen[col]]))
    else:
        mean = np.mean([probs[i] for i in body], axis=0)
        field = max(COLUMN_FIELDS, key=lambda f: mean[f])
        _settle(probs, body, field, float(mean[field]))


def spanning_names(page: Page, probs: list[np.ndarray | None]) -> None:
    """A cell spanning rows that name their own indicators groups them (a level, or a
    continuation marker printed down the side): it is not a name, and takes its next-best field."""
    name = LABELS.index(FieldLabel.name.value)
    for table in page.tables:
        named_rows = {cell.row for cell in table.cells if cell.row_span == 1
                      and any(probs[i] is not None and int(probs[i].argmax()) == name for i in cell.tokens)}
        for cell in table.cells:
            body = [i for i in cell.tokens if probs[i] is not None]
            if (cell.row_span < 2 or not body or any(int(probs[i].argmax()) != name for i in body)
                    or len(named_rows & set(range(cell.row, cell.row + cell.row_span))) < 2):
                continue
            for i in body:
                probs[i] = probs[i].copy()
                probs[i][name] = 0.0


def marker_texts(page: Page, probs: list[np.ndarray | None]) -> None:
    """A continuation marker (续上页, 续表) is a set phrase: a cell printing the same text as a
    cell of the page read as a marker throughout is a marker too."""
    cells = [(page_text, body) for table in page.tables for cell in table.cells
             if (body := [i for i in cell.tokens if probs[i] is not None])
             and (page_text := "".join(normalise_char_text(page.tokens[i].text) for i in body))]
    marked = {text for text, body in cells if _reads_as(probs, body, MARKER_LABEL_INDEX)}
    for text, body in cells:
        if text in marked:
            for i in body:
                if int(probs[i].argmax()) != MARKER_LABEL_INDEX:
                    _settle(probs, [i], MARKER_LABEL_INDEX, probs[i].max())  # its own confidence, as a marker


TOTALS = {LABELS.index(FieldLabel.weight.value): LABELS.index(FieldLabel.total_weight.value),
          LABELS.index(FieldLabel.score.value): LABELS.index(FieldLabel.total_score.value)}
ROW_NAMES = {LABELS.index(f.value) for f in (FieldLabel.level1, FieldLabel.level2, FieldLabel.name)}
ROW_VALUES = {LABELS.index(f.value) for f in (FieldLabel.target, FieldLabel.actual)}


def total_rows(page: Page, probs: list[np.ndarray | None]) -> None:
    """A table row that names no indicator but holds a key or a total (总分 | 100 | 95.5) is a
    total row throughout: its 分值 and 得分 cells are the totals, not an indicator's (every
    indicator row has a name, printed or carried from the row it continues, which holds no key).
    And the other way round: a row with a name and a target or actual but no key is an
    indicator's, whose 分值 and 得分 read as totals (the last row above 合计) are its own."""
    indicator_of = {total: value for value, total in TOTALS.items()}
    for table in page.tables:
        for cells in _row_bodies(table, probs):
            ids = [i for body in cells for i in body]
            labels = {int(probs[i].argmax()) for i in ids}
            if labels & (set(TOTALS.values()) | {KEY_LABEL_INDEX}) and not labels & ROW_NAMES:
                _swap(probs, ids, TOTALS)
            elif labels & ROW_NAMES and labels & ROW_VALUES and KEY_LABEL_INDEX not in labels:
                _swap(probs, ids, indicator_of)


def grade_rows(page: Page, probs: list[np.ndarray | None]) -> None:
    """The row under a total row printing a key and words, no number (评价等级 | 中), is the
    grade's: its words are the grade where the model finds them likelier a grade than no
    field. The model, which met few grades in training but 优 and 良, reads a 中 spanning the
    分值 and 得分 columns as a deviation reason (GRADE 0.33, second); the column vote would
    make it the total weight."""
    totals = set(TOTALS.values())
    for table in page.tables:
        rows = _rows_of_cells(table, probs)
        order = sorted(rows)
        for above, row in zip(order, order[1:]):
            if not any(int(probs[i].argmax()) in totals for _, body in rows[above] for i in body):
                continue
            words = [body for _, body in rows[row] if not _reads_as(probs, body, KEY_LABEL_INDEX)]
            if len(words) == len(rows[row]) or not words or any(_has_digit(page, body) for body in words):
                continue
            for body in words:
                mean = np.mean([probs[i] for i in body], axis=0)
                field = max((GRADE_LABEL_INDEX, OTHER_LABEL_INDEX), key=lambda f: mean[f])
                _settle(probs, body, field, float(mean[field]))


def grades_are_words(page: Page, probs: list[np.ndarray | None]) -> None:
    """A grade is a word (优, 良好): a token read as the grade holding no letter (the ☆ of a
    seal stamped below the table, read GRADE 0.43) is no field."""
    for i, p in enumerate(probs):
        if p is not None and int(p.argmax()) == GRADE_LABEL_INDEX and not any(ch.isalpha() for ch in page.tokens[i].text):
            _settle(probs, [i], OTHER_LABEL_INDEX, float(p.max()))


GOALS = {LABELS.index(FieldLabel.goal_expected.value), LABELS.index(FieldLabel.goal_actual.value)}
FUND_LABELS = [LABELS.index(f.value) for f in FUND_FIELDS]
FUND_AMOUNTS = {LABELS.index(f.value) for f in (FieldLabel.fund_initial, FieldLabel.fund_annual, FieldLabel.fund_executed)}
LEVELS = {LABELS.index(FieldLabel.level1.value), LABELS.index(FieldLabel.level2.value)}


def no_goals_in_indicator_rows(page: Page, probs: list[np.ndarray | None]) -> None:
    """A table row that prints a level (产出指标 | 数量指标 | ...) is an indicator's: a cell of
    it read as a goal (预期目标, 实际完成情况; the model, meeting the first row of a table that
    starts a page, may take it for the goals block above) holds its likeliest indicator field.
    So is a row that prints two budget amounts or more a fund row's: a cell of it read as a
    goal (项目支出 over the goals block below), a header field or no field though it holds a
    digit (a 分值 of 20.00 read as a phone number) holds its likeliest fund field."""
    for table in page.tables:
        for cells in _row_bodies(table, probs):
            read = [int(np.mean([probs[i] for i in body], axis=0).argmax()) for body in cells]
            if any(int(probs[i].argmax()) in LEVELS for body in cells for i in body):
                fields, strays = COLUMN_FIELDS, [set(GOALS)] * len(cells)
            elif sum(f in FUND_AMOUNTS for f in read) >= 2:
                fields = FUND_LABELS
                strays = [GOALS | set(HEADER_LABELS) | ({OTHER_LABEL_INDEX} if _has_digit(page, body) else set())
                          for body in cells]
            else:
                continue
            for body, f, stray in zip(cells, read, strays):
                if f in stray:
                    mean = np.mean([probs[i] for i in body], axis=0)
                    field = max(fields, key=lambda k: mean[k])
                    _settle(probs, body, field, float(mean[field]))


def _has_digit(page: Page, ids: Sequence[int]) -> bool:
    return any(ch.isdigit() for i in ids for ch in page.tokens[i].text)


def _swap(probs: list[np.ndarray | None], ids: Sequence[int], fields: dict[int, int]) -> None:
    """Tokens whose field is a key of ``fields`` take its value instead (probabilities swapped)."""
    for i in ids:
        k = int(probs[i].argmax())
        if k in fields:
            probs[i][fields[k]], probs[i][k] = probs[i][k], probs[i][fields[k]]


HEADER_LABELS = [LABELS.index(f.value) for f in HEADER_FIELDS]


def vote_header_fields(page: Page, probs: list[np.ndarray | None]) -> None:
    """One cell per header field in a table: where two cells read as one field (项目名称's
    value and 主管部门's both as the project name), the surer keeps it and the other takes
    its likeliest header field that no surer cell holds, or none."""
    for table in page.tables:
        cells = _header_cells(table, probs)
        claimed = [int(mean.argmax()) for _, mean in cells]
        if len(set(claimed)) == len(claimed):
            continue
        options = sorted(((float(mean[f]), k, f) for k, (_, mean) in enumerate(cells)
                          for f in [*HEADER_LABELS, OTHER_LABEL_INDEX]), reverse=True)
        chosen: dict[int, int] = {}
        for _, k, f in options:
            if k not in chosen and (f == OTHER_LABEL_INDEX or f not in chosen.values()):
                chosen[k] = f
        for k, f in chosen.items():
            if f != claimed[k]:
                _swap(probs, cells[k][0], {claimed[k]: f})


def _header_cells(table: Table, probs: list[np.ndarray | None]) -> list[tuple[list[int], np.ndarray]]:
    """Each cell's tokens read as a header field, with their mean probabilities."""
    cells = []
    for cell in table.cells:
        body = [i for i in cell.tokens if probs[i] is not None and int(probs[i].argmax()) in HEADER_LABELS]
        if body:
            cells.append((body, np.mean([probs[i] for i in body], axis=0)))
    return cells


def header_fields_in_tables(page: Page, probs: list[np.ndarray | None]) -> None:
    """A header field that a form's table holds is not also on a loose line above the table:
    the 单位名称 (填报单位) line printed over a project form names the reporting unit, and the
    table's 项目名称 cell the project. Such a line's characters take their likeliest header
    field that the table does not hold, or none."""
    for line in page.lines:
        body = [i for i in line if probs[i] is not None and int(probs[i].argmax()) in HEADER_LABELS]
        if not body:
            continue
        bottom = max(page.tokens[i].box[3] for i in line)
        below = [t for t in page.tables if t.box[1] >= bottom]
        if not below:
            continue
        table = min(below, key=lambda t: t.box[1])  # the table the line heads
        held = {int(mean.argmax()) for _, mean in _header_cells(table, probs)}
        for field in {int(probs[i].argmax()) for i in body} & held:
            ids = [i for i in body if int(probs[i].argmax()) == field]
            mean = np.mean([probs[i] for i in ids], axis=0)
            free = [f for f in [*HEADER_LABELS, OTHER_LABEL_INDEX] if f == OTHER_LABEL_INDEX or f not in held]
            _swap(probs, ids, {field: max(free, key=lambda f: float(mean[f]))})


def _key_or_value(page: Page, probs: list[np.ndarray | None], ordered: Sequence[int], named_row: bool) -> None:
    """A cell whose characters read as KEY and as one field, with a KEY character after one of
    the field's or a single KEY character before them (a key is a word: the 绩 of a 绩效指标
    label printed down a merged cell), mixes a key up with a value where it opens with a key
    (a cell may print its key before its value, not after it), or where no other cell of its
    row names an indicator (合计 read 合 NAME 计 KEY; but 数量指标 read LEVEL2 ×2, KEY ×2 beside
    its indicator's name is a value): where the cell's characters lean to KEY on average, it is
    a key throughout."""
    ids = [i for i in ordered if probs[i] is not None and int(probs[i].argmax()) != OTHER_LABEL_INDEX]
    labels = [int(probs[i].argmax()) for i in ids]
    fields = set(labels) - {KEY_LABEL_INDEX}
    if len(fields) != 1 or KEY_LABEL_INDEX not in labels or (named_row and labels[0] != KEY_LABEL_INDEX):
        return
    first_value = next(n for n, k in enumerate(labels) if k != KEY_LABEL_INDEX)
    if KEY_LABEL_INDEX not in labels[first_value:] and first_value != 1:
        return
    mean = _char_mean(page, probs, ids)
    if int(mean.argmax()) == KEY_LABEL_INDEX:
        for i in ids:
            probs[i] = mean.copy()


def _cells_after_keys(table: Table, probs: list[np.ndarray | None]) -> set[int]:
    """The cells (by id) whose left neighbour in their row reads as a key throughout."""
    key_ends = set()
    for cell in table.cells:
        body = [i for i in cell.tokens if probs[i] is not None]
        if body and _reads_as(probs, body, KEY_LABEL_INDEX):
            key_ends.add((cell.row, cell.col + cell.col_span))
    return {id(cell) for cell in table.cells if (cell.row, cell.col) in key_ends}


def _value_not_key(page: Page, probs: list[np.ndarray | None], ordered: Sequence[int]) -> None:
    """One KEY character opening a cell, followed by characters of one field, is that field's:
    a key is a word, printed in its own cell (the cell right of a key cell holds its value),
    and the model, leaving a header row, reads the first character below it as a key
    (未 of 未通过验收)."""
    ids = [i for i in ordered if probs[i] is not None]
    first = normalise_char_text(page.tokens[ids[0]].text) if ids else ""
    if len(ids) < 2 or len(first) != 1 or not first.isalnum():
        return  # a bracket closing the header above, spilt into the cell, is no value's
    labels = [int(probs[i].argmax()) for i in ids]
    if labels[0] == KEY_LABEL_INDEX and len(set(labels[1:])) == 1 and labels[1] not in (KEY_LABEL_INDEX, OTHER_LABEL_INDEX):
        probs[ids[0]] = probs[ids[1]].copy()


def _keys_inside_values(page: Page, probs: list[np.ndarray | None], ordered: Sequence[int], h: float) -> None:
    """One or two KEY characters between two characters of one field, close on both sides, take that field."""
    ids = [i for i in ordered if probs[i] is not None]
    labels = [int(probs[i].argmax()) for i in ids]
    for n in range(1, len(ids) - 1):
        if labels[n] != KEY_LABEL_INDEX or labels[n - 1] in (KEY_LABEL_INDEX, OTHER_LABEL_INDEX):
            continue
        end = n + 1 if labels[n + 1] != KEY_LABEL_INDEX else n + 2
        if end >= len(ids) or labels[end] != labels[n - 1]:
            continue
        chain = ids[n - 1 : end + 1]
        if all(page.tokens[b].box[0] - page.tokens[a].box[2] <= h for a, b in zip(chain, chain[1:])
               if abs(page.tokens[b].box[1] - page.tokens[a].box[1]) < 0.5 * h):
            for k in range(n, end):
                probs[ids[k]] = probs[ids[n - 1]].copy()
                labels[k] = labels[n - 1]


def _vote(page: Page, probs: list[np.ndarray | None], ids: Sequence[int]) -> None:
    body = [i for i in ids if probs[i] is not None and int(probs[i].argmax()) != KEY_LABEL_INDEX]
    if len(body) < 2:
        return
    mean = _char_mean(page, probs, body)
    for i in body:
        probs[i] = mean.copy()  # later votes change tokens one by one


def _char_mean(page: Page, probs: list[np.ndarray | None], ids: Sequence[int]) -> np.ndarray:
    """The tokens' probabilities averaged by characters (a multi-character OCR token weighs more)."""
    weights = np.array([max(len(normalise_char_text(page.tokens[i].text)), 1) for i in ids], dtype=np.float32)
    return (np.stack([probs[i] for i in ids]) * weights[:, None]).sum(axis=0) / weights.sum()


def _settle(probs: list[np.ndarray | None], ids: Sequence[int], field: int, confidence: float) -> None:
    """The tokens take one field, with this confidence and nothing else left open."""
    for i in ids:
        p = np.zeros_like(probs[i])
        p[field] = confidence
        probs[i] = p


# ---------------------------------------------------------------- the labeller


def load_vocab(model_dir: Path) -> dict[str, int]:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json")).get_vocab()


@register("labellers", "classifier")
class ClassifierLabeller:
    """Labels every token of every page with the trained model in ``model_dir`` (default models/)."""

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None):
        self.model_dir = Path(model_dir) if model_dir else MODEL_DIR
        settings_path = self.model_dir / SETTINGS_FILE
        if not settings_path.exists():
            raise FileNotFoundError(
                f"no trained classifier in {self.model_dir} (run `make model`, or use --labeller keywords)"
            )
        if not (self.model_dir / ONNX_FILE).exists():
            raise FileNotFoundError(
                f"no {ONNX_FILE} in {self.model_dir} (run `python -m training.export {self.model_dir}`)"
            )
        meta = json.loads(settings_path.read_text(encoding="utf-8"))
        if meta.get("bio_tags") != BIO_TAGS:
            raise ValueError(f"{settings_path}: the model's tags differ from service.labels.BIO_TAGS; retrain it")
        self.settings = WindowSettings(**meta["windows"])
        self.vocab = load_vocab(self.model_dir)
        self.model = OnnxModel(self.model_dir / ONNX_FILE, threads)

    def __call__(self, doc: Document) -> Document:
        context = KeyContext(self.settings.context)
        columns: list[KnownColumn] = []
        for page in doc.pages:
            columns = self.label_page(page, context, columns)
        return doc

    def label_page(self, page: Page, context: KeyContext | None = None,
                   columns: Sequence[KnownColumn] = ()) -> list[KnownColumn]:
        """Labels the page's tokens; returns its table's indicator columns for the next page."""
        context = context or KeyContext(self.settings.context)
        probs = self.token_probs(page.tokens, page.width, page.height, context)
        columns = vote(page, probs, columns)
        for token, p in zip(page.tokens, probs):
            if p is None:  # whitespace only: nothing to read
                token.label, token.label_confidence = FieldLabel.other.value, 1.0
                continue
            k = int(p.argmax())
            token.label, token.label_confidence = LABELS[k], round(float(p[k]), 4)
        return columns

    def token_probs(
        self, tokens: Sequence[Token], width: float, height: float, context: KeyContext
    ) -> list[np.ndarray | None]:
        """Field-label probabilities per token (None for a token with no characters).

        A form that starts below another one (or below a scoring rubric) on the same page is
        read again on its own: the window that held the first form's rows took 部门名称 for a
        project's 主管部门, and one that held a rubric read half the title as more of it.
        Its KEY context starts afresh: the keys carried so far named the other form's columns.
        """
        page = encode_tokens(tokens, width, height, self.vocab)
        n = len(page)
        before = context.copy()
        char_probs = self._read(page, 0, n, context)
        starts = form_starts(page, char_probs)
        if starts:
            context.ids, context.boxes = before.ids, before.boxes
            for k, (start, end) in enumerate(zip([0] + starts, starts + [n])):
                if k:
                    context.clear()
                char_probs[start:end] = self._read(page, start, end, context)
        sums = np.zeros((len(tokens), len(LABELS)), dtype=np.float32)
        counts = np.zeros(len(tokens), dtype=np.int64)
        np.add.at(sums, page.owner, char_probs)
        np.add.at(counts, page.owner, 1)
        return [sums[i] / counts[i] if counts[i] else None for i in range(len(tokens))]

    def _read(self, page: EncodedPage, lo: int, hi: int, context: KeyContext) -> np.ndarray:
        """Probabilities of the characters [lo, hi) read in windows of their own; each
        window's decided KEYs join the context of the next."""
        char_probs = np.zeros((hi - lo, len(LABELS)), dtype=np.float32)
        if hi <= lo:
            return char_probs
        spans = window_spans(hi - lo, self.settings)
        owners = window_owners(hi - lo, spans)
        added = 0  # characters before this position have been offered to the context
        for w, (start, end) in enumerate(spans):
            window = build_window(page, (lo + start, lo + end), context.ids, context.boxes, self.vocab)
            bio = self.model(collate([window], self.vocab[PAD]))[0]
            body = bio_to_field_probs(bio[window.body_start : window.body_start + end - start])
            mine = owners[start:end] == w
            char_probs[start:end][mine] = body[mine]
            # Every character before the next window is decided now; its KEYs become context.
            limit = spans[w + 1][0] if w + 1 < len(spans) else hi - lo
            decided = np.arange(added, limit)
            keys = lo + decided[char_probs[decided].argmax(axis=1) == KEY_LABEL_INDEX]
            context.add(page.ids[keys].tolist(), page.boxes[keys].tolist())
            added = limit
        return char_probs


FORM_TITLE_CHARS = 6  # 绩效自评表 and more: a title line, not a stray character read as one
FORM_CONTENT_CHARS = 40  # a form's worth of text above it: the title starts another form


def form_starts(page: EncodedPage, char_probs: np.ndarray) -> list[int]:
    """The first characters of the lines where a form's title begins below another form's
    fields, or below other text (a scoring rubric), on this page."""
    labels = char_probs.argmax(axis=1)
    starts: list[int] = []
    content = 0
    n = 0
    while n < len(labels):
        if labels[n] != TITLE_LABEL_INDEX:
            content += 1
            n += 1
            continue
        run = n
        while run < len(labels) and labels[run] == TITLE_LABEL_INDEX:
            run += 1
        if run - n >= FORM_TITLE_CHARS and content >= FORM_CONTENT_CHARS:
            line_start = int(np.argmax(page.line == page.line[n]))
            starts.append(line_start)
            content = 0
        n = run
    return starts
