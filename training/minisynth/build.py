"""Generate synthetic documents with ground truth.

    python -m training.synth.build --out DIR --n N --seed S [--split train|eval|samples]
        [--workers 2] [--no-png] [--no-scan] [--exclude-style key=value ...]

Each document DIR/<doc_id>/ gets digital.pdf (text layer), scan.pdf (image-only),
pages/NNN.png (the scan pages), truth.json (the contract, indicators with page_end) and
tokens.jsonl (per page: every character with its box in points and its field label, and
the matrix from points to scan pixels). DIR/manifest.jsonl holds each document's style
tags, for subsets and withheld styles. The same seed gives the same truth and tokens.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

from service.contract import ExtractionResult, FormType

from .forms import random_form, random_style
from .printer import FormPrinter, Printer, draw_pdf, print_rubric
from .scanner import images_to_pdf, scan_pdf

# Bundled samples: each recipe forces what one sample must show (see samples/README.md).
SAMPLE_RECIPES: list[dict] = [
    {"what": "project form, ruled, standard columns, rows split across pages", "n_indicators": 30, "style": {"column_order": "standard", "ruled": True, "marker": "续上页", "marker_in_column": True, "header_repeat": False, "left_label": True}},
    {"what": "header row repeated on continuation pages, 续表 marker line", "n_indicators": 28, "style": {"header_repeat": True, "marker": "续表", "marker_in_column": False}},
    {"what": "continuation pages with neither header nor marker", "n_indicators": 40, "style": {"header_repeat": False, "marker": None, "left_label": False}},
    {"what": "borderless table", "n_indicators": 22, "style": {"ruled": False, "header_repeat": True}},
    {"what": "landscape page, weight column before target (分值 before 年度指标值)", "n_indicators": 18, "style": {"landscape": True, "column_order": "weight-first"}},
    {"what": "Sichuan template: target split into 指标性质 | 指标值 | 度量单位", "n_indicators": 16, "style": {"column_order": "sichuan"}},
    {"what": "extra 序号 and 指标说明 columns, level1 carrying points 产出指标（50分）", "n_indicators": 14, "style": {"column_order": "with-notes", "level1_points": True}},
    {"what": "department-wide form, flat indicator list", "form_types": ["department"], "n_indicators": 12, "style": {"column_order": "flat"}},
    {"what": "two forms in one PDF, the second starting mid-page", "form_types": ["project", "project"], "n_indicators": 5, "mid_page": True},
    {"what": "a form followed by a scoring rubric that is not a form", "n_indicators": 10, "rubric": True},
    {"what": "no deviation column, target before name, serif font", "n_indicators": 12, "style": {"column_order": "target-first", "font": "noto-serif"}},
    {"what": "a long form: 80 indicators over several pages, AR PL UMing font", "n_indicators": 80, "style": {"font": "uming", "size": 8.0}},
    {"what": "one indicator only, WenQuanYi font, vertically centred cells", "n_indicators": 1, "style": {"font": "wqy-zenhei", "valign": "middle"}},
    {"what": "a scan page turned 180° and one turned 90°", "n_indicators": 20, "turn_pages": True},
]


def parse_exclude(items: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in items:
        key, _, value = item.partition("=")
        out.setdefault(key, set()).add(value.lower())
    return out


def make_document(out: Path, doc_id: str, seed_text: str, exclude: dict[str, set[str]], recipe: dict | None,
                  png: bool, scan: bool) -> dict:
    rng = random.Random(seed_text)
    recipe = recipe or {}
    types = [FormType(t) for t in recipe.get("form_types", [])] or [
        FormType.department if rng.random() < 0.25 else FormType.project for _ in range(rng.choices([1, 2, 3], [7, 2, 1])[0])
    ]
    style = random_style(rng, types[0], exclude)
    for key, value in recipe.get("style", {}).items():
        setattr(style, key, value)
    printer = Printer(style, rng)
    printer.new_page()
    forms = []
    mid_page = False
    rubric_at = len(types) if recipe.get("rubric") or (not recipe and rng.random() < 0.1) else -1
    for k, form_type in enumerate(types):
        if k == rubric_at:
            print_rubric(printer, rng)
        if k > 0:
            if (recipe.get("mid_page") or rng.random() < 0.5) and printer.y < printer.bottom - 250:
                printer.y += 30
                mid_page = True
            else:
                printer.new_page()
        form = random_form(rng, form_type, recipe.get("n_indicators"))
        fp = FormPrinter(printer, form, rng)
        fp.print()
        forms.append((form, fp.split_rows))
    if rubric_at == len(types):
        print_rubric(printer, rng)
    doc_dir = out / doc_id
    doc_dir.mkdir(parents=True, exist_ok=True)
    draw_pdf(printer, doc_dir / "digital.pdf")
    truth = ExtractionResult(source=doc_id, pages=len(printer.pages), forms=[f for f, _ in forms])
    (doc_dir / "truth.json").write_text(truth.model_dump_json(indent=1, exclude_defaults=False), encoding="utf-8")
    pages_tokens = _aligned_tokens(printer, doc_dir / "digital.pdf")
    scans = []
    turned = {}
    if scan:
        turn_rng = random.Random(seed_text + "-turn")
        for k, (img, dpi, matrix, done) in enumerate(scan_pdf(str(doc_dir / "digital.pdf"), rng, allow_turn=not recipe)):
            if recipe.get("turn_pages") and k in (1, 2):
                img, matrix, done = _turn(img, matrix, done, 2 if k == 1 else 1)
            scans.append((img, dpi))
            pages_tokens[k]["scan"] = {"width": img.shape[1], "height": img.shape[0], "dpi": dpi,
                                       "matrix": [[round(v, 6) for v in row] for row in matrix.tolist()], **done}
            if "turned" in done:
                turned[k + 1] = done["turned"]
        images_to_pdf([im for im, _ in scans], [d for _, d in scans], doc_dir / "scan.pdf")
        if png:
            from PIL import Image

            (doc_dir / "pages").mkdir(exist_ok=True)
            for k, (img, dpi) in enumerate(scans, 1):
                Image.fromarray(img).save(doc_dir / "pages" / f"{k:03d}.png", dpi=(dpi, dpi))
    with open(doc_dir / "tokens.jsonl", "w", encoding="utf-8") as fh:
        for page in pages_tokens:
            fh.write(json.dumps(page, ensure_ascii=False) + "\n")
    return {
        "doc_id": doc_id,
        "what": recipe.get("what"),
        "n_forms": len(forms),
        "form_types": sorted({f.form_type.value for f, _ in forms}),
        "n_pages": len(printer.pages),
        "n_indicators": sum(len(f.indicators) for f, _ in forms),
        "split_rows": sum(s for _, s in forms),
        "has_split_rows": any(s for _, s in forms),
        "has_non_form": rubric_at >= 0,
        "multi_form": len(forms) > 1,
        "mid_page_start": mid_page,
        "turned_pages": turned,
        **style.tags(),
    }


def _turn(img, matrix, done, k: int):
    import numpy as np

    h, w = img.shape[:2]
    img = np.ascontiguousarray(np.rot90(img, k))
    turn = np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], float) if k == 1 else np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], float)
    full = turn @ np.vstack([matrix, [0, 0, 1]])
    return img, full[:2], {**done, "turned": 90 * k}


def _aligned_tokens(printer: Printer, pdf_path: Path) -> list[dict]:
    """Per page: the recorded characters, with pdfium's exact boxes when the text layer lines up."""
    import pypdfium2 as pdfium

    pages = []
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        for k, page in enumerate(printer.pages):
            chars = page.chars
            boxes = [c.box for c in chars]
            pdf_page = pdf[k]
            textpage = pdf_page.get_textpage()
            n = textpage.count_chars()
            found = []
            for i in range(n):
                ch = textpage.get_text_range(i, 1)
                if ch and not ch.isspace():
                    x0, y0, x1, y1 = textpage.get_charbox(i, loose=False)
                    found.append((ch, (round(x0, 2), round(page.height - y1, 2), round(x1, 2), round(page.height - y0, 2))))
            textpage.close()
            pdf_page.close()
            if len(found) == len(chars) and all(f[0] == c.text for f, c in zip(found, chars)):
                boxes = [f[1] if f[1][2] > f[1][0] else c.box for f, c in zip(found, chars)]
            pages.append({
                "page": k + 1, "width": page.width, "height": page.height,
                "tokens": [{"text": c.text, "box": list(b), "label": c.label} for c, b in zip(chars, boxes)],
            })
    finally:
        pdf.close()
    return pages


def _job(args):
    out, doc_id, seed_text, exclude, recipe, png, scan = args
    return make_document(Path(out), doc_id, seed_text, exclude, recipe, png, scan)


def build(out: Path, n: int, seed: int, split: str, workers: int = 2, png: bool = True, scan: bool = True,
          exclude: dict[str, set[str]] | None = None) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    exclude = exclude or {}
    jobs = []
    for i in range(n):
        recipe = SAMPLE_RECIPES[i % len(SAMPLE_RECIPES)] if split == "samples" else None
        doc_id = f"s{i + 1:02d}" if split == "samples" else f"{split}-{seed}-{i:04d}"
        keep_png = png and (split != "samples" or recipe.get("turn_pages") or i == 0)
        jobs.append((str(out), doc_id, f"{split}:{seed}:{i}", exclude, recipe, keep_png, scan))
    if workers > 1:
        with Pool(workers) as pool:
            manifest = list(pool.imap(_job, jobs))
    else:
        manifest = [_job(j) for j in jobs]
    with open(out / "manifest.jsonl", "w", encoding="utf-8") as fh:
        for line in manifest:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=["train", "eval", "samples"], default="train")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-png", action="store_true")
    ap.add_argument("--no-scan", action="store_true", help="digital PDF, truth and tokens only (fast, for training)")
    ap.add_argument("--exclude-style", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    manifest = build(args.out, args.n, args.seed, args.split, args.workers, not args.no_png, not args.no_scan,
                     parse_exclude(args.exclude_style))
    pages = sum(m["n_pages"] for m in manifest)
    dt = time.perf_counter() - t0
    print(f"{len(manifest)} documents, {pages} pages in {dt:.1f}s ({dt / max(pages, 1):.2f} s/page) → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
