"""Reconstruction: labelled tokens and table geometry in, forms out.

This is where rows are stitched across page breaks, level1/level2 are filled down
merged cells, several forms in one file are split at their titles, and cell text
becomes contract values (dashes → null, numbers → numbers). It reads only token
labels and geometry, never keywords, so it serves every labeller alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..contract import FieldSource, Form, FormType, FundRow, Goals, Indicator
from ..document import Document, Page, Table
from ..framework import FRAMEWORK_LEVELS
from ..geometry import char_height, group_lines, union
from ..labels import FUND_FIELDS, HEADER_FIELDS, INDICATOR_FIELDS, FieldLabel as L
from ..registry import register

# A cell of nothing but these is printed empty; OCR reads a lone dash as 一 now and then.
DASHES = re.compile(r"^[—―－\-–_/／\\、.。…·一]*$")
NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
YEAR = re.compile(r"(\d{4})\s*年")

FUND_KINDS = [
    ("总额", "total"),
    ("合计", "total"),
    ("财政拨款", "appropriation"),
    ("财政资金", "appropriation"),
    ("结转", "carryover"),
    ("财政专户", "special_account"),
    ("单位资金", "unit"),
    ("自有资金", "unit"),
    ("基本支出", "basic"),
    ("项目支出", "project"),
    ("其他", "other"),
]


def clean_text(text: str) -> str | None:
    text = re.sub(r"\s+", "", text)
    if not text or DASHES.match(text):
        return None
    return text


# A closing bracket wrapped alone onto a cell's last line ("产出指标（47分" / "）") has no
# context for the recogniser, which reads it as one of these.
BRACKET_MISREADS = set("8)）]】|J1")


def close_wrapped_bracket(lines: list[str]) -> str:
    """A cell's lines joined; a lone last glyph that closes a bracket left open is ）."""
    text = "".join(lines)
    if len(lines) < 2 or len(lines[-1]) != 1 or lines[-1] not in BRACKET_MISREADS:
        return text
    before = text[:-1]
    if before.count("（") > before.count("）"):
        return before + "）"
    if before.count("(") > before.count(")"):
        return before + ")"
    return text


def parse_number(text: str) -> float | None:
    """A printed number as a float: 576.09, 100.00%, 10分, 1,234.5 万元; dashes and blanks → None."""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+|,|，", "", t)
    t = re.sub(r"(万元|元|分|%|％)$", "", t)
    t = re.sub(r"(?<=\d)\.$", "", t)  # "7." is 7: dust read as a point after the digit
    if not t or DASHES.match(t):
        return None
    if NUMBER.match(t):
        return float(t)
    return None


def fund_kind(item: str) -> str | None:
    for key, kind in FUND_KINDS:
        if key in item:
            return kind
    return None


@dataclass
class Part:
    """The tokens of one unit that share a label (a cell, or a run of a text line)."""

    label: L
    page: Page
    tokens: list[int]

    @property
    def x0(self) -> float:
        return min(self.page.tokens[i].box[0] for i in self.tokens)

    @property
    def text(self) -> str:
        lines = ["".join(self.page.tokens[i].text for i in line) for line in group_lines(self.page.tokens, self.tokens)]
        return close_wrapped_bracket(lines)

    @property
    def label_confidence(self) -> float:
        return sum(self.page.tokens[i].label_confidence or 0.0 for i in self.tokens) / max(len(self.tokens), 1)

    def source(self) -> FieldSource:
        toks = [self.page.tokens[i] for i in self.tokens]
        return FieldSource(
            page=self.page.number,
            box=tuple(round(v, 2) for v in union([t.box for t in toks])),
            confidence=round(min(t.confidence for t in toks), 4),
        )


@dataclass
class Unit:
    """One reading-order step: a grid row of a ruled table, or a text line."""

    page: Page
    top: float
    bottom: float
    parts: list[Part]
    ruled: bool
    table_id: int | None = None  # position of the table on its page; None for free lines

    def labels(self) -> set[L]:
        return {p.label for p in self.parts}

    def get(self, label: L) -> list[Part]:
        return sorted((p for p in self.parts if p.label == label), key=lambda p: p.x0)


def _majority(page: Page, ids: list[int]) -> L:
    counts = Counter(page.tokens[i].label or L.other.value for i in ids)
    return L(counts.most_common(1)[0][0])


def _cell_part(page: Page, ids: list[int]) -> Part:
    """A ruled cell as one field; a key printed at the start of the cell before its value
    (实施单位南京市体育局, the rule between them missing) is left out of the value."""
    label = _majority(page, ids)
    if label is not L.key:
        ordered = [i for line in group_lines(page.tokens, ids) for i in line]
        lead = next((n for n, i in enumerate(ordered) if page.tokens[i].label != L.key.value), len(ordered))
        if 2 <= lead < len(ordered):
            ids = ordered[lead:]
    return Part(label, page, list(ids))


def _units(page: Page) -> list[Unit]:
    units: list[Unit] = []
    for line in page.lines:
        units.append(_line_unit(page, line, ruled=False, table_id=None))
    for t_id, table in enumerate(page.tables):
        if table.ruled:
            rows: dict[int, list] = {}
            for cell in table.cells:
                if cell.tokens:
                    rows.setdefault(cell.row, []).append(cell)
            for r, cells in rows.items():
                parts = [_cell_part(page, c.tokens) for c in cells]
                top = min(c.box[1] for c in cells)
                bottom = min(c.box[3] for c in cells)
                units.append(Unit(page, top, bottom, parts, ruled=True, table_id=t_id))
        else:
            by_row: dict[int, list[int]] = {}
            for cell in table.cells:
                by_row.setdefault(cell.row, []).extend(cell.tokens)
            for ids in by_row.values():
                units.append(_line_unit(page, sorted(ids, key=lambda i: page.tokens[i].box[0]), False, t_id))
    units.sort(key=lambda u: (u.top, u.parts[0].x0 if u.parts else 0))
    return units


def _line_unit(page: Page, line: list[int], ruled: bool, table_id: int | None) -> Unit:
    groups: dict[L, list[int]] = {}
    for i in line:
        groups.setdefault(L(page.tokens[i].label or L.other.value), []).append(i)
    parts = [Part(label, page, ids) for label, ids in groups.items()]
    top = min(page.tokens[i].box[1] for i in line)
    bottom = max(page.tokens[i].box[3] for i in line)
    return Unit(page, top, bottom, parts, ruled=ruled, table_id=table_id)


@dataclass
class _Row:
    """An indicator row being assembled; parts per field, in reading order."""

    page: int
    fields: dict[str, list[Part]] = field(default_factory=dict)
    last_page: int = 0
    last_bottom: float = 0.0
    level_only: bool = False  # a merged level cell with no indicator of its own (an empty category)
    level_tail: dict[str, list[Part]] = field(default_factory=dict)  # level text printed on a continuation page

    def has(self, name: str) -> bool:
        return any(clean_text(p.text) for p in self.fields.get(name, []))

    def add(self, name: str, parts: list[Part]) -> None:
        self.fields.setdefault(name, []).extend(parts)


@register("stages", "reconstruct")
def make_reconstruct() -> "Reconstructor":
    return Reconstructor()


class Reconstructor:
    def __call__(self, doc: Document) -> Document:
        builder = _FormBuilder()
        for page in doc.pages:
            builder.new_page(page)
            for unit in _units(page):
                builder.feed(unit)
        doc.forms = builder.finish()
        return doc


class _FormBuilder:
    def __init__(self) -> None:
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.rows: list[_Row] = []
        self.level: dict[str, tuple[str | None, FieldSource | None]] = {}
        self.page_started = False  # no indicator row seen yet on this page
        self.header_confidence: dict[str, float] = {}  # label confidence of each header value taken

    # -- form boundaries
    def _start(self, page: Page) -> Form:
        self._close()
        self.form = Form(form_type=FormType.project)
        self.rows, self.level = [], {}
        self.header_confidence = {}
        return self.form

    def _ensure(self, page: Page) -> Form:
        if self.form is None:
            form = self._start(page)
            form.warnings.append(f"form_start_missing: page {page.number} continues a form whose title was not found")
        assert self.form is not None
        if page.number not in self.form.pages:
            self.form.pages.append(page.number)
        return self.form

    def _close(self) -> None:
        if self.form is None:
            return
        self.level = {}
        self.form.indicators = []
        for row in self.rows:
            ind = self._indicator(row, self.form.indicators)
            if ind is not None:
                self.form.indicators.append(ind)
        if self.form.indicators or self.form.funds or self.form.project_name:
            self.forms.append(self.form)
        self.form = None

    def finish(self) -> list[Form]:
        self._close()
        return self.forms

    def new_page(self, page: Page) -> None:
        self.page_started = True

    # -- units
    def feed(self, unit: Unit) -> None:
        labels = unit.labels()
        page = unit.page
        if L.title in labels:
            self._title(unit)
        for label, name in HEADER_FIELDS.items():
            for part in unit.get(label):
                form = self._ensure(page)
                text = clean_text(part.text)
                # The header block comes first: a signature line after the tables does not
                # override it. Within it, of two values for one field the surer wins (a
                # 填报单位 line above the table read as the project name, at 0.6).
                confidence = part.label_confidence
                in_header = not (form.funds or self.rows)  # indicators are built from the rows at the end
                surer = in_header and confidence > self.header_confidence.get(name, 1.0)
                if text and (getattr(form, name) is None or surer):
                    setattr(form, name, text)
                    form.provenance[name] = part.source()
                    self.header_confidence[name] = confidence
        if labels & set(FUND_FIELDS):
            self._fund(unit)
        for label, name in ((L.goal_expected, "expected"), (L.goal_actual, "actual")):
            for part in unit.get(label):
                form = self._ensure(page)
                text = clean_text(part.text)
                old = getattr(form.goals, name)
                setattr(form.goals, name, (old or "") + text if old and text else (text or old))
                form.goals.provenance.setdefault(name, part.source())
        if labels & set(INDICATOR_FIELDS):
            self._indicator_unit(unit)
        for part in unit.get(L.total_score):
            form = self._ensure(page)
            form.total_score = parse_number(part.text)
            form.provenance["total_score"] = part.source()
        for part in unit.get(L.grade):
            form = self._ensure(page)
            form.grade = clean_text(part.text)
            form.provenance["grade"] = part.source()

    def _title(self, unit: Unit) -> None:
        text = "".join(clean_text(p.text) or "" for p in unit.get(L.title))
        if not text:
            return
        year = YEAR.search(unicodedata.normalize("NFKC", text))
        is_year_line = re.fullmatch(r"[（(]?\d{4}年度?[)）]?", unicodedata.normalize("NFKC", text)) is not None
        if self.form is None or (not is_year_line and self._has_content(self.form)):
            self._start(unit.page)
        form = self._ensure(unit.page)
        if not is_year_line:
            form.title = (form.title or "") + text if form.title and not self._has_content(form) else text
            title = form.title  # all its lines: a stray piece added to it does not retype the form
            form.form_type = FormType.department if "部门整体" in title or "部门" in title and "项目" not in title else FormType.project
            form.provenance.setdefault("title", unit.get(L.title)[0].source())
        if year and form.year is None:
            form.year = int(year.group(1))

    @staticmethod
    def _has_content(form: Form) -> bool:
        return bool(form.project_name or form.funds or form.indicators or form.department)

    def _fund(self, unit: Unit) -> None:
        form = self._ensure(unit.page)
        values: dict[str, object] = {}
        sources: dict[str, FieldSource] = {}
        for label, name in FUND_FIELDS.items():
            parts = unit.get(label)
            if not parts:
                continue
            text = "".join(p.text for p in parts)
            if label is L.fund_item:
                item = clean_text(text) or ""
                item = re.sub(r"^其中[:：]?", "", item)
                values[name] = item
            else:
                values[name] = parse_number(text)
            sources[name] = parts[0].source()
        if "item" not in values:
            if form.funds and unit.page.number == form.funds[-1].provenance.get("item", FieldSource(page=0, box=(0, 0, 0, 0))).page:
                row = form.funds[-1]  # a wrapped value line of the row above (borderless)
                for k, v in values.items():
                    if getattr(row, k) is None:
                        setattr(row, k, v)
            return
        if not values["item"]:
            return
        row = FundRow(item=values.pop("item"), **values)  # type: ignore[arg-type]
        row.item_kind = fund_kind(row.item)
        row.provenance = sources
        form.funds.append(row)

    # -- indicator rows, stitched across pages
    def _indicator_unit(self, unit: Unit) -> None:
        form = self._ensure(unit.page)
        parts = {name: unit.get(label) for label, name in INDICATOR_FIELDS.items() if unit.get(label)}
        has = {name for name, ps in parts.items() if any(clean_text(p.text) for p in ps)}
        real_rows = [r for r in self.rows if not r.level_only]
        prev = real_rows[-1] if real_rows else None
        new_page = prev is not None and prev.last_page != unit.page.number
        if not has:
            # a sentence's last 。 wrapped alone (onto the next page, or low enough to seem a row) is no empty cell
            ends = {name: ps for name, ps in parts.items() if name in ("name", "target", "actual", "deviation")
                    and prev is not None and prev.has(name) and _full_stops(ps)}
            if ends:
                self._append(prev, ends, unit, continuation=True)
            return
        form_has_weights = any(r.has("weight") or r.has("score") for r in self.rows)
        if prev is not None and new_page and self._continues(prev, has, form_has_weights):
            # a placeholder (……, ——) printed on the new page adds nothing to the row it continues
            self._append(prev, {name: ps for name, ps in parts.items() if name in has or _full_stops(ps)}, unit,
                         continuation=True)
            return
        if prev is not None and not new_page and self._wrapped_line(prev, has, unit):
            self._append(prev, parts, unit, continuation=False)
            return
        row = _Row(page=unit.page.number, level_only=not (has - {"level1", "level2"}))
        self._append(row, parts, unit, continuation=False)
        self.rows.append(row)

    def _continues(self, prev: _Row, has: set[str], form_has_weights: bool) -> bool:
        """Is the first row on a new page the rest of the last row on the previous one?"""
        fresh = "name" in has and (not form_has_weights or bool(has & {"weight", "score"}))
        prev_complete = prev.has("name") and (not form_has_weights or prev.has("weight") or prev.has("score"))
        return not fresh or not prev_complete

    @staticmethod
    def _wrapped_line(prev: _Row, has: set[str], unit: Unit) -> bool:
        """Is this text line, without ruling lines around it, the next line of a text cell of
        the row just above (the rest of a row cut by the page break, printed as loose lines
        above the new page's table)? It holds only text the row has and nothing that starts a
        row (a name, a level, a weight or score), right under the row's last line."""
        line = unit.bottom - unit.top
        return (not unit.ruled and bool(has) and has <= {"target", "actual", "deviation"}
                and all(prev.has(name) for name in has) and unit.top - prev.last_bottom <= 0.8 * line)

    def _append(self, row: _Row, parts: dict[str, list[Part]], unit: Unit, continuation: bool) -> None:
        for name, ps in parts.items():
            if continuation and name in ("level1", "level2"):
                row.level_tail.setdefault(name, []).extend(ps)  # reprinted, or the rest of a split cell
                continue
            row.add(name, ps)
        row.last_page = unit.page.number
        row.last_bottom = unit.bottom

    def _indicator(self, row: _Row, built: list[Indicator]) -> Indicator | None:
        """Build the contract row; level1/level2 fill down from the last printed merged cell
        (and a cell cut by the page break is made whole in the rows ``built`` before it too)."""
        ind = Indicator(page=row.page)
        for name in ("level1", "level2"):
            text = clean_text("".join(p.text for p in row.fields.get(name, [])))
            carried, carried_source = self.level.get(name, (None, None))
            if text and carried and carried_source is not None and carried_source.page < row.page \
                    and _rest_of_cut_level(carried, text):
                whole = _continued_text(carried, text)
                self.level[name] = (whole, carried_source)
                for earlier in built:
                    if getattr(earlier, name) == carried and earlier.provenance.get(name) == carried_source:
                        setattr(earlier, name, whole)
            elif text:
                self.level[name] = (text, row.fields[name][0].source())
                if name == "level1" and not row.has("level2"):
                    self.level.pop("level2", None)
            tail = clean_text("".join(p.text for p in row.level_tail.get(name, [])))
            if tail and name in self.level:
                base, source = self.level[name]
                self.level[name] = (_continued_text(base, tail), source)
        if row.level_only:
            return None
        for name in ("level1", "level2"):
            value, source = self.level.get(name, (None, None))
            setattr(ind, name, value)
            if source is not None:
                ind.provenance[name] = source
        for name in ("name", "target", "actual", "deviation"):
            ps = row.fields.get(name, [])
            text = clean_text("".join(p.text for p in ps))
            setattr(ind, name, text)
            if ps and text:
                ind.provenance[name] = _merge_sources([p.source() for p in ps])
        for name in ("weight", "score"):
            ps = row.fields.get(name, [])
            value = parse_number("".join(p.text for p in ps))
            setattr(ind, name, value)
            if ps and value is not None:
                ind.provenance[name] = _merge_sources([p.source() for p in ps])
        return ind


# How a category's name ends: 数量指标, 效益指标（30分）.
LEVEL_END = re.compile(r"(指标|[)）]|\d分)$")


LEVEL_POINTS = re.compile(r"[（(][\d.]+分[)）]$")


def _full_stops(parts: list[Part]) -> bool:
    return all(re.sub(r"\s+", "", p.text) == "。" for p in parts)


def _rest_of_cut_level(carried: str, text: str) -> bool:
    """Is ``text``, a level printed on a later page, the rest of a merged level cell cut by the
    page break (成本指 | 标, 可持续 | 影响指标)? The carried text stops short of a name's end,
    and the new one is no name of its own (a name so ended, other than the bare 指标 left of
    one, is a new category) or completes a framework category with it. A bracket left open
    (效益指标（22分 | ）) ends no name."""
    opened = sum(carried.count(c) for c in "(（") > sum(carried.count(c) for c in ")）")
    if LEVEL_END.search(carried) and not opened:
        return False
    return not LEVEL_END.search(text) or len(text) <= 2 or LEVEL_POINTS.sub("", carried + text) in FRAMEWORK_LEVELS


def _continued_text(before: str, after: str) -> str:
    """A merged cell's text from both sides of a page break: the new page either reprints
    it (whole) or prints the rest of a cell cut by the break."""
    if after.startswith(before) or before.endswith(after) or before.startswith(after):
        return after if len(after) > len(before) else before
    return before + after


def _merge_sources(sources: list[FieldSource]) -> FieldSource:
    first = sources[0]
    same_page = [s for s in sources if s.page == first.page]
    confs = [s.confidence for s in sources if s.confidence is not None]
    return FieldSource(
        page=first.page,
        box=union([s.box for s in same_page]),
        confidence=min(confs) if confs else None,
    )
