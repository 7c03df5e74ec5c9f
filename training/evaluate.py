"""Score predictions against ground truth: field P/R/F1, indicator-row exact match, cross-page rows.

    python -m training.evaluate PRED GT [--json OUT] [--subset KEY=VALUE ...] [--worst N]

PRED and GT are each one ``ExtractionResult`` JSON file or a directory. A GT directory
holds ``GT/<doc_id>/truth.json`` (the generator's layout; ``manifest.jsonl`` beside them
carries the tags ``--subset`` filters on). A PRED directory holds ``PRED/<doc_id>.json``
(``training.predict``'s layout) or ``PRED/<doc_id>/truth.json``. The metric definitions
are in docs/evaluation.md.

Public API: ``load_documents``, ``read_manifest``, ``select_documents``, ``evaluate``,
``evaluate_paths``, ``format_report``, ``main``.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from service.contract import ExtractionResult, Form, FundRow, Indicator

FORM_FIELDS = (
    "form_type", "title", "year", "project_name", "department", "implementing_unit",
    "project_lead", "contact_phone", "total_score", "grade",
)
GOAL_FIELDS = ("expected", "actual")
FUND_FIELDS = ("item", "initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
INDICATOR_FIELDS = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation", "page")
GROUPS = ("form", "goals", "fund", "indicator")

NUMBER_TOLERANCE = 1e-6
# Least name similarity (rapidfuzz ratio / 100) for two indicators, or two forms' project
# names, to be paired at all; below it both count as unmatched.
MATCH_FLOOR = 0.5
# Files a prediction directory may hold that are not documents (training.predict writes it).
NOT_DOCUMENTS = {"timings.json"}
DOCUMENT_FILES = ("truth.json", "prediction.json")


# ---------------------------------------------------------------------------------------
# Report objects


class Metrics(BaseModel):
    """Counts and ratios for one field (or a sum of fields).

    tp: compared pairs whose values are equal; predicted: non-null predicted values;
    truth: non-null true values. A ratio whose denominator is 0 is None.
    """

    tp: int = 0
    predicted: int = 0
    truth: int = 0
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None

    @classmethod
    def of(cls, tp: int, predicted: int, truth: int) -> "Metrics":
        return cls(
            tp=tp,
            predicted=predicted,
            truth=truth,
            precision=tp / predicted if predicted else None,
            recall=tp / truth if truth else None,
            # 2TP/(P+T) equals the harmonic mean of P and R where both exist, and stays
            # defined (as 0) when one side has no values at all.
            f1=2 * tp / (predicted + truth) if predicted + truth else None,
        )


class RowMetrics(BaseModel):
    """Indicator rows of the truth: how many, how many were paired, how many exactly right."""

    truth_rows: int = 0
    matched: int = 0
    exact: int = 0
    exact_match_rate: float | None = None
    fields: Metrics = Field(default_factory=Metrics, description="Field counts over these rows' indicator fields")


class DocumentScore(BaseModel):
    doc_id: str
    has_prediction: bool
    metrics: Metrics
    indicator_rows: int
    exact_rows: int


class MatchCounts(BaseModel):
    truth: int = 0
    predicted: int = 0
    matched: int = 0


class EvalReport(BaseModel):
    documents: int = Field(description="Truth documents scored")
    missing_predictions: list[str] = Field(default_factory=list, description="Truth documents with no prediction (all fields missed)")
    extra_predictions: list[str] = Field(default_factory=list, description="Predictions with no truth document (not scored)")
    unreadable: list[str] = Field(default_factory=list, description="Files that could not be read as a result")
    subset: dict[str, str] = Field(default_factory=dict)
    overall: Metrics
    per_group: dict[str, Metrics]
    per_field: dict[str, Metrics]
    forms: MatchCounts
    indicators: MatchCounts
    indicator_rows: RowMetrics
    cross_page_rows: RowMetrics
    per_document: list[DocumentScore] = Field(description="Worst F1 first")


# ---------------------------------------------------------------------------------------
# Values


def normalise_text(text: str) -> str:
    """NFKC, then every whitespace character removed: 'Ｘ ≥ 1 ％' and 'X≥1%' compare equal."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _value(record: BaseModel | None, name: str) -> Any:
    """A field's comparable value; None for null, an empty text or a missing record."""
    if record is None:
        return None
    value = getattr(record, name, None)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        value = normalise_text(value)
        return value or None
    return value


def _same(truth: Any, pred: Any) -> bool:
    """Equality with nulls included: null equals only null."""
    if truth is None or pred is None:
        return truth is None and pred is None
    numeric = (int, float)
    if isinstance(truth, numeric) and isinstance(pred, numeric) and not isinstance(truth, bool):
        return abs(float(truth) - float(pred)) <= NUMBER_TOLERANCE
    if isinstance(truth, str) and isinstance(pred, str):
        return truth == pred
    return normalise_text(str(truth)) == normalise_text(str(pred))


def is_cross_page(indicator: Indicator) -> bool:
    """A truth row that continues onto a later page (the generator's extra key ``page_end``)."""
    page_end = (indicator.model_extra or {}).get("page_end")
    return indicator.page is not None and page_end is not None and page_end > indicator.page


# ---------------------------------------------------------------------------------------
# Matching


def max_weight_assignment(weights: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (row, col) maximising the summed weight, one-to-one; zero-weight pairs are dropped.

    Hungarian algorithm (shortest augmenting paths, O(n²m)), vectorised over columns.
    Weights must be ≥ 0; 0 means "may not be paired".
    """
    weights = np.asarray(weights, dtype=float)
    if weights.size == 0:
        return []
    transposed = weights.shape[0] > weights.shape[1]
    cost = -(weights.T if transposed else weights)
    n, m = cost.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    owner = np.zeros(m + 1, dtype=int)  # owner[j]: 1-based row assigned to column j, 0 if free
    way = np.zeros(m + 1, dtype=int)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = owner[j0]
            reduced = cost[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (reduced < minv[1:])
            minv[1:][better] = reduced[better]
            way[1:][better] = j0
            candidates = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            u[owner[used]] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    pairs = [(int(owner[j]) - 1, j - 1) for j in range(1, m + 1) if owner[j]]
    if transposed:
        pairs = [(c, r) for r, c in pairs]
    return sorted((r, c) for r, c in pairs if weights[r, c] > 0)


def _similarity(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    from rapidfuzz import fuzz, process

    if not left or not right:
        return np.zeros((len(left), len(right)))
    return process.cdist(left, right, scorer=fuzz.ratio, dtype=np.float64) / 100.0


def _order_bonus(n: int, m: int) -> np.ndarray:
    """Up to 0.001 for rows at the same relative position: breaks ties by order."""
    ti = (np.arange(n) + 0.5) / max(n, 1)
    pj = (np.arange(m) + 0.5) / max(m, 1)
    return 1e-3 * (1.0 - np.abs(ti[:, None] - pj[None, :]))


def _equal_matrix(left: Sequence[str | None], right: Sequence[str | None]) -> np.ndarray:
    return np.array([[a is not None and a == b for b in right] for a in left], dtype=float).reshape(len(left), len(right))


def match_indicators(truth: Sequence[Indicator], pred: Sequence[Indicator]) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, pred index) by name similarity.

    Name similarity (rapidfuzz ratio of normalised names) must reach MATCH_FLOOR; where
    either row has no name, the rows' joined texts (level1, level2, name, target, actual)
    are compared instead. Equal level2 (+0.02) and level1 (+0.01) and the relative order
    (≤ +0.001) only break ties, e.g. between rows all named 指标2 under different headings.
    """
    if not truth or not pred:
        return []

    def name(ind: Indicator) -> str | None:
        return _value(ind, "name")

    def joined(ind: Indicator) -> str:
        return "".join(_value(ind, f) or "" for f in ("level1", "level2", "name", "target", "actual"))

    by_name = _similarity([name(t) or "" for t in truth], [name(p) or "" for p in pred])
    by_text = _similarity([joined(t) for t in truth], [joined(p) for p in pred])
    named = np.array([name(t) is not None for t in truth])[:, None] & np.array([name(p) is not None for p in pred])[None, :]
    primary = np.where(named, by_name, by_text)
    tie_break = (
        0.02 * _equal_matrix([_value(t, "level2") for t in truth], [_value(p, "level2") for p in pred])
        + 0.01 * _equal_matrix([_value(t, "level1") for t in truth], [_value(p, "level1") for p in pred])
        + _order_bonus(len(truth), len(pred))
    )
    weights = np.where(primary >= MATCH_FLOOR, primary + tie_break, 0.0)
    return max_weight_assignment(weights)


def match_forms(truth: Sequence[Form], pred: Sequence[Form]) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, pred index) by project_name similarity.

    Where either project_name is null the forms are compared on (form_type, department,
    position) instead: the form types must be equal, and the score is 0.5 + 0.5 × the
    departments' similarity (1 when both are null), so such a form still pairs with the
    remaining form of its type. Equal form_type (+0.01) and order (≤ +0.001) break ties.
    """
    if not truth or not pred:
        return []
    t_names = [_value(f, "project_name") for f in truth]
    p_names = [_value(f, "project_name") for f in pred]
    t_depts = [_value(f, "department") for f in truth]
    p_depts = [_value(f, "department") for f in pred]
    by_name = _similarity([n or "" for n in t_names], [n or "" for n in p_names])
    dept = _similarity([d or "" for d in t_depts], [d or "" for d in p_depts])
    both_dept_null = np.array([d is None for d in t_depts])[:, None] & np.array([d is None for d in p_depts])[None, :]
    one_dept_null = (np.array([d is None for d in t_depts])[:, None] ^ np.array([d is None for d in p_depts])[None, :])
    dept = np.where(both_dept_null, 1.0, np.where(one_dept_null, 0.0, dept))
    same_type = _equal_matrix([_value(f, "form_type") for f in truth], [_value(f, "form_type") for f in pred])
    named = np.array([n is not None for n in t_names])[:, None] & np.array([n is not None for n in p_names])[None, :]
    fallback = same_type * (0.5 + 0.5 * dept)
    primary = np.where(named, by_name, fallback)
    weights = np.where(primary >= MATCH_FLOOR, primary + 0.01 * same_type + _order_bonus(len(truth), len(pred)), 0.0)
    return max_weight_assignment(weights)


def match_funds(truth: Sequence[FundRow], pred: Sequence[FundRow]) -> list[tuple[int, int]]:
    """Pairs by equal normalised ``item`` first, then the rest by equal non-null ``item_kind``, in order."""
    pairs: list[tuple[int, int]] = []
    used_t: set[int] = set()
    used_p: set[int] = set()
    for key in ("item", "item_kind"):
        for i, t in enumerate(truth):
            if i in used_t or _value(t, key) is None:
                continue
            for j, p in enumerate(pred):
                if j not in used_p and _value(p, key) == _value(t, key):
                    pairs.append((i, j))
                    used_t.add(i)
                    used_p.add(j)
                    break
    return sorted(pairs)


# ---------------------------------------------------------------------------------------
# Tallies


@dataclass
class _Counts:
    tp: int = 0
    predicted: int = 0
    truth: int = 0

    def add(self, other: "_Counts") -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.truth += other.truth

    def metrics(self) -> Metrics:
        return Metrics.of(self.tp, self.predicted, self.truth)


@dataclass
class _Rows:
    truth_rows: int = 0
    matched: int = 0
    exact: int = 0
    fields: _Counts = field(default_factory=_Counts)

    def add(self, other: "_Rows") -> None:
        self.truth_rows += other.truth_rows
        self.matched += other.matched
        self.exact += other.exact
        self.fields.add(other.fields)

    def metrics(self) -> RowMetrics:
        rate = self.exact / self.truth_rows if self.truth_rows else None
        return RowMetrics(truth_rows=self.truth_rows, matched=self.matched, exact=self.exact,
                          exact_match_rate=rate, fields=self.fields.metrics())


@dataclass
class Tally:
    """Counts for one document, or summed over many."""

    fields: dict[str, _Counts] = field(default_factory=dict)
    rows: _Rows = field(default_factory=_Rows)
    cross_rows: _Rows = field(default_factory=_Rows)
    forms: MatchCounts = field(default_factory=MatchCounts)
    indicators: MatchCounts = field(default_factory=MatchCounts)

    def compare(self, key: str, truth: BaseModel | None, pred: BaseModel | None, names: Iterable[str],
                also: _Counts | None = None) -> bool:
        """Count each named field of a (truth, pred) pair; either may be None. True if all equal."""
        all_same = True
        for name in names:
            tv, pv = _value(truth, name), _value(pred, name)
            counts = self.fields.setdefault(f"{key}.{name}", _Counts())
            step = _Counts(
                tp=int(tv is not None and pv is not None and _same(tv, pv)),
                predicted=int(pv is not None),
                truth=int(tv is not None),
            )
            counts.add(step)
            if also is not None:
                also.add(step)
            all_same &= _same(tv, pv)
        return all_same

    def indicator(self, truth: Indicator | None, pred: Indicator | None) -> None:
        if truth is None:
            self.compare("indicator", None, pred, INDICATOR_FIELDS)
            return
        cross = is_cross_page(truth)
        row = _Rows(truth_rows=1, matched=int(pred is not None))
        row.exact = int(self.compare("indicator", truth, pred, INDICATOR_FIELDS, also=row.fields) and pred is not None)
        self.rows.add(row)
        if cross:
            self.cross_rows.add(row)

    def form(self, truth: Form | None, pred: Form | None) -> None:
        self.compare("form", truth, pred, FORM_FIELDS)
        self.compare("goals", truth.goals if truth else None, pred.goals if pred else None, GOAL_FIELDS)
        t_funds = truth.funds if truth else []
        p_funds = pred.funds if pred else []
        self._pairs(match_funds(t_funds, p_funds), t_funds, p_funds,
                    lambda t, p: self.compare("fund", t, p, FUND_FIELDS))
        t_inds = truth.indicators if truth else []
        p_inds = pred.indicators if pred else []
        pairs = match_indicators(t_inds, p_inds)
        self.indicators.truth += len(t_inds)
        self.indicators.predicted += len(p_inds)
        self.indicators.matched += len(pairs)
        self._pairs(pairs, t_inds, p_inds, self.indicator)

    def document(self, truth: ExtractionResult, pred: ExtractionResult | None) -> None:
        p_forms = pred.forms if pred else []
        pairs = match_forms(truth.forms, p_forms)
        self.forms.truth += len(truth.forms)
        self.forms.predicted += len(p_forms)
        self.forms.matched += len(pairs)
        self._pairs(pairs, truth.forms, p_forms, self.form)

    @staticmethod
    def _pairs(pairs, truth: Sequence, pred: Sequence, score) -> None:
        """Score matched pairs, then unmatched truth (all missed) and unmatched predictions (all spurious)."""
        paired_t = {i for i, _ in pairs}
        paired_p = {j for _, j in pairs}
        for i, j in pairs:
            score(truth[i], pred[j])
        for i, t in enumerate(truth):
            if i not in paired_t:
                score(t, None)
        for j, p in enumerate(pred):
            if j not in paired_p:
                score(None, p)

    def add(self, other: "Tally") -> None:
        for key, counts in other.fields.items():
            self.fields.setdefault(key, _Counts()).add(counts)
        self.rows.add(other.rows)
        self.cross_rows.add(other.cross_rows)
        for mine, theirs in ((self.forms, other.forms), (self.indicators, other.indicators)):
            mine.truth += theirs.truth
            mine.predicted += theirs.predicted
            mine.matched += theirs.matched

    def total(self, group: str | None = None) -> _Counts:
        out = _Counts()
        for key, counts in self.fields.items():
            if group is None or key.split(".", 1)[0] == group:
                out.add(counts)
        return out


# ---------------------------------------------------------------------------------------
# Scoring


def evaluate(predictions: Mapping[str, ExtractionResult], truths: Mapping[str, ExtractionResult],
             unreadable: Sequence[str] = (), subset: Mapping[str, str] | None = None) -> EvalReport:
    """Score every truth document against the prediction with the same doc_id.

    A truth document without a prediction counts all its fields as missed; predictions
    without a truth document are listed in ``extra_predictions`` and not scored.
    """
    total = Tally()
    per_document: list[DocumentScore] = []
    for doc_id in sorted(truths):
        tally = Tally()
        pred = predictions.get(doc_id)
        tally.document(truths[doc_id], pred)
        total.add(tally)
        per_document.append(
            DocumentScore(doc_id=doc_id, has_prediction=pred is not None, metrics=tally.total().metrics(),
                          indicator_rows=tally.rows.truth_rows, exact_rows=tally.rows.exact)
        )
    per_document.sort(key=lambda d: (d.metrics.f1 if d.metrics.f1 is not None else 2.0, d.doc_id))
    field_order = [f"form.{f}" for f in FORM_FIELDS] + [f"goals.{f}" for f in GOAL_FIELDS] \
        + [f"fund.{f}" for f in FUND_FIELDS] + [f"indicator.{f}" for f in INDICATOR_FIELDS]
    return EvalReport(
        documents=len(truths),
        missing_predictions=sorted(set(truths) - set(predictions)),
        extra_predictions=sorted(set(predictions) - set(truths)),
        unreadable=list(unreadable),
        subset=dict(subset or {}),
        overall=total.total().metrics(),
        per_group={g: total.total(g).metrics() for g in GROUPS},
        per_field={k: total.fields[k].metrics() for k in field_order if k in total.fields},
        forms=total.forms,
        indicators=total.indicators,
        indicator_rows=total.rows.metrics(),
        cross_page_rows=total.cross_rows.metrics(),
        per_document=per_document,
    )


# ---------------------------------------------------------------------------------------
# Loading


@dataclass
class LoadedDocuments:
    documents: dict[str, ExtractionResult]
    unreadable: list[str]


def _read_result(path: Path) -> ExtractionResult:
    return ExtractionResult.model_validate_json(path.read_bytes())


def load_documents(path: Path | str) -> LoadedDocuments:
    """Results keyed by doc_id from one JSON file or a directory.

    A file's doc_id is its stem (its folder's name for ``<doc_id>/truth.json``). In a
    directory: ``<doc_id>.json`` files and ``<doc_id>/truth.json`` or
    ``<doc_id>/prediction.json`` folders. Files that do not parse as an
    ``ExtractionResult`` are listed in ``unreadable`` with the reason, not raised.
    """
    path = Path(path)
    candidates: list[tuple[str, Path]] = []
    if path.is_file():
        candidates.append((path.parent.name if path.name in DOCUMENT_FILES else path.stem, path))
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_dir():
                found = next((child / n for n in DOCUMENT_FILES if (child / n).is_file()), None)
                if found:
                    candidates.append((child.name, found))
            elif child.suffix == ".json" and child.name not in NOT_DOCUMENTS:
                candidates.append((child.stem, child))
    else:
        raise FileNotFoundError(f"{path}: no such file or directory")
    documents: dict[str, ExtractionResult] = {}
    unreadable: list[str] = []
    for doc_id, file in candidates:
        if doc_id in documents:
            unreadable.append(f"{file}: a second result for {doc_id}")
            continue
        try:
            documents[doc_id] = _read_result(file)
        except (ValidationError, ValueError, OSError) as exc:
            reason = " | ".join(str(exc).splitlines()[:2]) or type(exc).__name__
            unreadable.append(f"{file}: {reason}")
    return LoadedDocuments(documents, unreadable)


def _tag_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def read_manifest(gt_dir: Path | str) -> dict[str, dict[str, Any]]:
    """``manifest.jsonl`` beside the truth folders: doc_id → that line's tags."""
    manifest = Path(gt_dir) / "manifest.jsonl"
    tags: dict[str, dict[str, Any]] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            tags[str(entry["doc_id"])] = entry
    return tags


def select_documents(manifest: Mapping[str, Mapping[str, Any]], subset: Mapping[str, str]) -> set[str]:
    """doc_ids whose tags match every KEY=VALUE, compared as strings (case-insensitive).

    Non-string tags are spelt as JSON (true, false, null, 3, 1.5); a list tag matches if
    any element does.
    """
    keep = set()
    for doc_id, tags in manifest.items():
        def matches(key: str, wanted: str) -> bool:
            value = tags.get(key)
            values = value if isinstance(value, list) else [value]
            return any(_tag_text(v).lower() == wanted.lower() for v in values)

        if all(matches(k, v) for k, v in subset.items()):
            keep.add(doc_id)
    return keep


def evaluate_paths(pred: Path | str, gt: Path | str, subset: Mapping[str, str] | None = None) -> EvalReport:
    """Load, pair by doc_id, optionally filter by manifest tags, and score."""
    pred, gt = Path(pred), Path(gt)
    truths = load_documents(gt)
    if truths.unreadable:
        raise ValueError("unreadable ground truth: " + "; ".join(truths.unreadable))
    if not truths.documents:
        raise ValueError(f"{gt}: no ground-truth documents found")
    preds = load_documents(pred)
    predictions = preds.documents
    if pred.is_file() and gt.is_file():
        # Two single files are one document whatever their names.
        predictions = {next(iter(truths.documents)): r for r in predictions.values()}
    truth_docs = truths.documents
    if subset:
        if not gt.is_dir() or not (gt / "manifest.jsonl").exists():
            raise ValueError(f"--subset needs {gt}/manifest.jsonl")
        keep = select_documents(read_manifest(gt), subset)
        truth_docs = {k: v for k, v in truth_docs.items() if k in keep}
        # Predictions for documents outside the subset are neither scored nor "extra".
        predictions = {k: v for k, v in predictions.items() if k in keep or k not in truths.documents}
    return evaluate(predictions, truth_docs, preds.unreadable, subset)


# ---------------------------------------------------------------------------------------
# Output


def _ratio(x: float | None) -> str:
    return "     -" if x is None else f"{x:6.3f}"


def _metrics_line(label: str, m: Metrics, width: int) -> str:
    return (f"{label:<{width}} {m.truth:>7} {m.predicted:>7} {m.tp:>7}  "
            f"{_ratio(m.precision)}  {_ratio(m.recall)}  {_ratio(m.f1)}")


def format_report(report: EvalReport, worst: int = 5) -> str:
    """The report as a plain-text table."""
    width = max([len(k) for k in report.per_field] + [12])
    lines = [
        f"documents: {report.documents} scored"
        + (f" (subset {', '.join(f'{k}={v}' for k, v in report.subset.items())})" if report.subset else "")
        + f", {len(report.missing_predictions)} without prediction, {len(report.extra_predictions)} extra predictions"
        + (f", {len(report.unreadable)} unreadable files" if report.unreadable else ""),
        f"forms: {report.forms.truth} true, {report.forms.predicted} predicted, {report.forms.matched} matched; "
        f"indicators: {report.indicators.truth} true, {report.indicators.predicted} predicted, {report.indicators.matched} matched",
        "",
        f"{'field':<{width}} {'truth':>7} {'pred':>7} {'tp':>7}  {'prec':>6}  {'recall':>6}  {'f1':>6}",
        _metrics_line("OVERALL", report.overall, width),
    ]
    for group, m in report.per_group.items():
        lines.append(_metrics_line(f"{group}.*", m, width))
    lines.append("")
    lines += [_metrics_line(k, m, width) for k, m in report.per_field.items()]
    rows, cross = report.indicator_rows, report.cross_page_rows
    lines += [
        "",
        f"indicator rows exactly right: {rows.exact}/{rows.truth_rows} = {_ratio(rows.exact_match_rate).strip()}"
        f" ({rows.matched} matched)",
        f"rows crossing a page break: {cross.truth_rows}; exactly right {cross.exact}/{cross.truth_rows}"
        f" = {_ratio(cross.exact_match_rate).strip()}; fields P {_ratio(cross.fields.precision).strip()}"
        f" R {_ratio(cross.fields.recall).strip()} F1 {_ratio(cross.fields.f1).strip()}",
    ]
    if report.per_document and worst:
        lines += ["", f"worst {min(worst, len(report.per_document))} documents (F1, tp/pred/truth, exact rows):"]
        for d in report.per_document[:worst]:
            m = d.metrics
            note = "" if d.has_prediction else "  NO PREDICTION"
            lines.append(f"  {d.doc_id:<24} {_ratio(m.f1)}  {m.tp}/{m.predicted}/{m.truth}  "
                         f"{d.exact_rows}/{d.indicator_rows}{note}")
    for title, items in (("without prediction", report.missing_predictions),
                         ("extra predictions (not scored)", report.extra_predictions),
                         ("unreadable", report.unreadable)):
        if items:
            shown = ", ".join(items[:20]) + (f" … (+{len(items) - 20})" if len(items) > 20 else "")
            lines += ["", f"{title}: {shown}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pred", type=Path, help="prediction JSON file or directory")
    ap.add_argument("gt", type=Path, help="ground-truth JSON file or directory")
    ap.add_argument("--json", type=Path, help="also write the report as JSON here")
    ap.add_argument("--subset", action="append", default=[], metavar="KEY=VALUE",
                    help="score only documents whose manifest.jsonl tag KEY equals VALUE (repeatable)")
    ap.add_argument("--worst", type=int, default=5, help="how many worst documents to list")
    args = ap.parse_args(argv)
    bad = [s for s in args.subset if "=" not in s]
    if bad:
        ap.error(f"--subset wants KEY=VALUE, got {bad[0]!r}")
    subset = dict(s.split("=", 1) for s in args.subset)
    try:
        report = evaluate_paths(args.pred, args.gt, subset)
    except (FileNotFoundError, ValueError) as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_report(report, args.worst))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
