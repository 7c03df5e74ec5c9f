"""One synthetic document: its forms, style, laid-out pages, digital PDF, truth and tokens.

``make_document(doc_id, rng, ...)`` draws the content (1–3 forms, sometimes a scoring rubric
that is not a form), a style, lays everything out and returns the PDF bytes, the truth
(``service.contract.ExtractionResult`` as a dict, every indicator with ``page_end``), the
per-page token records (without the scan part, which the scanner adds) and manifest tags.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from service.contract import ExtractionResult, Form, FormType

from .compose import Composer, fund_layout_for, indicator_columns, printed_target
from . import vocab
from .content import LEVELS, FormSpec, IndicatorSpec, contract_text, random_spec
from .fonts import Measurer
from .layout import LaidPage, Layout, PageSetup
from .render import draw_pdf
from .style import Style, apply_extras, random_style, shuffle_columns

A4 = (595.28, 841.89)


@dataclass
class Generated:
    doc_id: str
    pdf: bytes
    pages: list[LaidPage]
    truth: dict
    tags: dict
    style: Style


def truth_form(spec: FormSpec, style: Style, layout: Layout, k: int) -> Form:
    """The contract form exactly as printed in this style, with pages from the layout."""
    form = spec.form(grade_printed=style.grade_printed)
    printed = {f for f, _ in fund_layout_for(spec, style)}
    for row in form.funds:
        for name in ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score"):
            if name not in printed:
                setattr(row, name, None)
    cols = indicator_columns(spec, style)
    rows = []
    for i, ind_spec in enumerate(spec.indicators):
        ind = ind_spec.indicator()
        if ind is None:
            continue
        ind.target = contract_text(printed_target(ind_spec, cols))
        for name in ("name", "actual", "weight", "score", "deviation"):
            if name not in cols:  # a template without that column prints nothing of it
                setattr(ind, name, None)
        pages = layout.row_pages.get(("ind", k, i), [])
        ind.page = pages[0] if pages else None
        ind.page_end = pages[-1] if pages else None  # type: ignore[attr-defined]  # extra key for the evaluator
        rows.append(ind)
    form.indicators = rows
    form.pages = layout.section_pages.get(("form", k), [])
    return form


def _plant(spec: FormSpec, plan: dict) -> None:
    """Template leftovers a sample must show: placeholder rows, an empty level-2 category,
    a literal "0" in a text cell."""
    rows = spec.indicators
    if plan.get("placeholder") and rows:
        last = rows[-1]
        rows.append(IndicatorSpec(level1=last.level1, level2=last.level2, name="指标2"))
        rows.append(IndicatorSpec(level1=last.level1, level2=last.level2, name="……", target="……", actual="……"))
    if plan.get("level_only") and spec.levels and len(rows) > 2:
        for level1 in dict.fromkeys(r.level1 for r in rows):
            base = (level1 or "").split("（")[0].split("(")[0]
            used = {r.level2 for r in rows if r.level1 == level1}
            spare = [c for c in LEVELS.get(base, []) if c not in used]
            if spare:
                end = max(i for i, r in enumerate(rows) if r.level1 == level1) + 1
                rows.insert(end, IndicatorSpec(level1=level1, level2=spare[0], level_only=True))
                break
    if plan.get("level1_points") and spec.levels:
        points: dict[str, float] = {}
        for r in rows:
            if r.level1 and r.weight is not None:
                points[r.level1] = points.get(r.level1, 0) + r.weight
        for r in rows:
            if r.level1 in points and "分" not in r.level1:
                r.level1 = f"{r.level1}（{points[r.level1]:g}分）"
    if plan.get("zero_text"):
        full = [r for r in rows if r.weight is not None and r.score == r.weight]
        if full:
            full[0].deviation = "0"


def make_document(doc_id: str, rng: random.Random, exclude: dict[str, set[str]] | None = None,
                  force: dict[str, str] | None = None, plan: dict | None = None,
                  shuffled_columns: float = 0.0, low_scores: float = 0.0) -> Generated:
    """Draw and lay out one document. ``plan`` pins choices (tests and samples): n_forms,
    form_types, n_indicators, rubric ("before" | "after" | None), style overrides.
    ``shuffled_columns``: the share of documents whose indicator columns are printed in a
    random order (training data for the learned labeller; 0 leaves every other draw as it was).
    ``low_scores``: the share of documents whose forms meet fewer targets (totals mostly under 80,
    grades 中 and 差, which forms drawn as usual rarely print; 0 leaves every draw as it was)."""
    plan = plan or {}
    # print habits come from their own stream so adding one never reshuffles the content
    state = repr(rng.getstate())
    extras = random.Random(hashlib.sha1(state.encode()).hexdigest())
    style = random_style(rng, exclude, force)
    if plan.get("extras", True):
        apply_extras(style, extras)
    if shuffled_columns:
        columns_rng = random.Random(hashlib.sha1((state + "/columns").encode()).hexdigest())
        if columns_rng.random() < shuffled_columns:
            shuffle_columns(style, columns_rng)
    for key, value in plan.get("style", {}).items():
        setattr(style, key, value)
    met_rate = 0.8
    if low_scores:
        scores_rng = random.Random(hashlib.sha1((state + "/scores").encode()).hexdigest())
        if scores_rng.random() < low_scores:
            met_rate = scores_rng.uniform(0.0, 0.5)
    n_forms = plan.get("n_forms") or rng.choices([1, 2, 3], [8, 2, 1])[0]
    types = plan.get("form_types") or [None] * n_forms
    counts = plan.get("n_indicators") or [None] * n_forms
    specs = [random_spec(rng, FormType(t) if t else None, n, met_rate) for t, n in zip(types, counts)]
    for spec in specs:
        for key, value in plan.get("spec", {}).items():
            if key == "after_blocks" and value is True:
                value = [("评价结论", rng.choice(vocab.CONCLUSIONS)), ("存在问题", rng.choice(vocab.PROBLEMS)),
                         ("改进措施", rng.choice(vocab.IMPROVEMENTS))]
            if key == "signatures" and value is True:
                value = rng.choice(vocab.SIGNATURES)
            setattr(spec, key, value)
        _plant(spec, plan)
    rubric = plan["rubric"] if "rubric" in plan else (rng.choice(["before", "after"]) if rng.random() < 0.1 else None)

    width, height = A4 if style.orientation == "portrait" else (A4[1], A4[0])
    margin_x = rng.uniform(36, 62)
    setup = PageSetup(width=width, height=height, left=margin_x, right=margin_x + rng.uniform(-4, 4),
                      top=rng.uniform(40, 60), bottom=rng.uniform(40, 56))
    if style.page_numbers:
        fmt = rng.choice(["第{n}页", "- {n} -", "{n}"])
        setup.footer = lambda n, fmt=fmt: fmt.format(n=n)
    measure = Measurer(style.font)
    layout = Layout(setup, measure)
    composer = Composer(style, setup.body_width, rng, measure)

    def place_rubric(k: int) -> None:
        layout.force_page()
        for sec in composer.rubric_sections(k):
            layout.place(sec)

    if rubric == "before":
        place_rubric(0)
    for k, spec in enumerate(specs):
        if k > 0 or rubric == "before":
            if style.forms_on_new_page:
                layout.force_page()
        for sec in composer.form_sections(spec, k):
            layout.place(sec)
    if rubric == "after":
        place_rubric(1)
    pages = layout.pages
    if pages and not pages[-1].glyphs and not pages[-1].rules:
        pages.pop()

    forms = [truth_form(spec, style, layout, k) for k, spec in enumerate(specs)]
    result = ExtractionResult(source=doc_id, pages=len(pages), forms=forms)
    truth = result.model_dump(mode="json", exclude={"forms": {"__all__": {"provenance"}}})
    for form in truth["forms"]:
        form["goals"].pop("provenance", None)
        for group in ("funds", "indicators"):
            for row in form[group]:
                row.pop("provenance", None)
    pdf = draw_pdf(pages, style.font, title=doc_id)
    # a form starts mid-page when its first page also carries something before it
    starts_mid = any(k > 0 and layout.section_pages.get(("form", k), [0])[0] in layout.section_pages.get(("form", k - 1), [])
                     for k in range(len(specs)))
    n_ind = sum(len(f.indicators) for f in forms)
    split_rows = any(len(layout.row_pages.get(("ind", k, i), [])) > 1 for k, s in enumerate(specs) for i in range(len(s.indicators)))
    tags = {
        "doc_id": doc_id,
        "form_types": sorted({s.form_type.value for s in specs}),
        "n_forms": len(specs),
        "n_pages": len(pages),
        "n_indicators": n_ind,
        "max_form_pages": max((len(f.pages) for f in forms), default=0),
        "has_split_rows": split_rows,
        "has_non_form": rubric is not None,
        "starts_mid_page": starts_mid,
        "flat_indicators": any(not s.levels for s in specs),
        "level1_points": any(i.level1 and "分" in i.level1 for s in specs for i in s.indicators),
        "placeholder_rows": any(i.indicator() is not None and i.weight is None or i.name == "……" for s in specs for i in s.indicators),
        "level_only_rows": any(i.level_only for s in specs for i in s.indicators),
        "after_blocks": any(s.after_blocks for s in specs),
        "signatures": any(s.signatures for s in specs),
        "grade_printed": style.grade_printed,
        **style.tags(),
    }
    return Generated(doc_id=doc_id, pdf=pdf, pages=pages, truth=truth, tags=tags, style=style)


def token_records(pages: list[LaidPage]) -> list[dict]:
    """tokens.jsonl lines without the scan part: every printed character with box and label."""
    out = []
    for page in pages:
        out.append({
            "page": page.number, "width": round(page.width, 3), "height": round(page.height, 3),
            "tokens": [{"text": g.text, "box": list(g.box), "label": g.label, "cell": g.cell} for g in page.glyphs],
        })
    return out
