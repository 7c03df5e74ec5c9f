"""Ingest and ruling measured on generated documents: cells, page turns, skew and time per page.

    python -m training.eval_ruling DIR [--docs N] [--kinds digital scan] [--tol PT] [--turns]

DIR holds generated documents (DIR/<doc>/digital.pdf, scan.pdf, tokens.jsonl). The true
cells of a page are the cells its digital PDF draws (see true_cells); a found cell counts
when all four sides lie within --tol points of a true one. For scans, the true turn and skew come from each page's ``scan`` record in
tokens.jsonl. Printed: cell recall and precision, pages with every cell right, turns
right, skew error, and median ingest / ruling milliseconds per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

Box = tuple[float, float, float, float]


def true_cells(pdf_path: Path) -> list[list[Box]]:
    """Per page, the cells the digital PDF draws (top-left points).

    A cell is drawn either as one rectangle (the older generator) or as four consecutive
    lines, top, bottom, left, right (training.synth); lone rules (borderless tables) are
    no cells.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(str(pdf_path))
    pages = []
    try:
        for k in range(len(pdf)):
            page = pdf[k]
            height = page.get_height()
            boxes = set()
            lines: list[tuple[str, float, float, float]] = []  # (h|v, position, start, end)
            for obj in page.get_objects(max_depth=5):
                if obj.type != raw.FPDF_PAGEOBJ_PATH:
                    continue
                x0, y0, x1, y1 = obj.get_bounds()
                top, bottom = height - y1, height - y0
                if x1 - x0 > 4 and y1 - y0 > 4:
                    boxes.add((round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1)))
                elif x1 - x0 > y1 - y0:
                    lines.append(("h", (top + bottom) / 2, x0, x1))
                else:
                    lines.append(("v", (x0 + x1) / 2, top, bottom))
            for i in range(len(lines) - 3):
                (k1, ya, xa0, xa1), (k2, yb, xb0, xb1), (k3, xl, yl0, yl1), (k4, xr, yr0, yr1) = lines[i : i + 4]
                if (k1, k2, k3, k4) != ("h", "h", "v", "v"):
                    continue
                near = lambda a, b: abs(a - b) <= 1.0  # noqa: E731
                if near(xa0, xb0) and near(xa1, xb1) and near(yl0, yr0) and near(yl1, yr1) and yb > ya and xr > xl:
                    boxes.add((round(xa0, 1), round(yl0, 1), round(xa1, 1), round(yl1, 1)))
            pages.append(sorted(boxes))
    finally:
        pdf.close()
    return pages


def _matches(a: Box, b: Box, tol: float) -> bool:
    return max(abs(p - q) for p, q in zip(a, b)) <= tol


def score_page(found: list[Box], truth: list[Box], tol: float) -> tuple[int, int]:
    """(true cells found, found cells that are true)."""
    hit_truth = sum(1 for t in truth if any(_matches(f, t, tol) for f in found))
    hit_found = sum(1 for f in found if any(_matches(f, t, tol) for t in truth))
    return hit_truth, hit_found


def evaluate(root: Path, docs: int, kinds: list[str], tol: float) -> dict:
    from service.registry import create
    from service.stages.ingest import open_document

    ruling = create("stages", "ruling")
    dirs = sorted(d for d in root.iterdir() if (d / "digital.pdf").exists())[:docs]
    out: dict = {}
    for kind in kinds:
        acc = {"pages": 0, "true": 0, "found": 0, "hit_true": 0, "hit_found": 0, "pages_exact": 0,
               "turned": 0, "turn_right": 0, "skew_err": [], "ingest_ms": [], "ruling_ms": [], "misses": []}
        for d in dirs:
            src = d / f"{kind}.pdf"
            if not src.exists():
                continue
            truth = true_cells(d / "digital.pdf")
            records = [json.loads(line) for line in (d / "tokens.jsonl").read_text(encoding="utf-8").splitlines()]
            t0 = time.perf_counter()
            doc = open_document(src, src.name)
            t1 = time.perf_counter()
            doc = ruling(doc)
            t2 = time.perf_counter()
            acc["ingest_ms"].append(1000 * (t1 - t0) / len(doc.pages))
            acc["ruling_ms"].append(1000 * (t2 - t1) / len(doc.pages))
            for page, cells in zip(doc.pages, truth):
                found = [c.box for t in page.tables for c in t.cells]
                hit_t, hit_f = score_page(found, cells, tol)
                acc["pages"] += 1
                acc["true"] += len(cells)
                acc["found"] += len(found)
                acc["hit_true"] += hit_t
                acc["hit_found"] += hit_f
                if hit_t == len(cells) and hit_f == len(found):
                    acc["pages_exact"] += 1
                else:
                    acc["misses"].append(f"{d.name} p{page.number}: {hit_t}/{len(cells)} true, {len(found) - hit_f} extra")
                if kind == "scan":
                    scan = records[page.number - 1].get("scan", {})
                    turn = int(scan.get("turned", scan.get("rotation", 0)) or 0)
                    acc["turned"] += bool(turn)
                    acc["turn_right"] += page.rotation % 360 == turn % 360
                    if "skew" in scan:
                        acc["skew_err"].append(abs(page.skew + float(scan["skew"])))
        out[kind] = acc
    return out


def turn_check(root: Path, docs: int) -> tuple[int, int, list[str]]:
    """Every scan page turned again by 90°, 180° and 270° (counter-clockwise): is it turned back?"""
    import io

    import numpy as np
    from PIL import Image

    from service.stages.ingest import IngestOptions, open_document

    dirs = sorted(d for d in root.iterdir() if (d / "scan.pdf").exists())[:docs]
    right = total = 0
    wrong: list[str] = []
    for d in dirs:
        records = [json.loads(line) for line in (d / "tokens.jsonl").read_text(encoding="utf-8").splitlines()]
        raw = open_document(d / "scan.pdf", "scan.pdf", IngestOptions(fix_orientation=False))
        for page in raw.pages:
            if "blank: the page has no content" in page.warnings:
                continue
            scan = records[page.number - 1].get("scan", {})
            already = int(scan.get("turned", scan.get("rotation", 0)) or 0)
            for extra in (90, 180, 270):
                buf = io.BytesIO()
                dpi = round(page.scale * 72)
                Image.fromarray(np.rot90(page.image, k=extra // 90)).save(buf, format="PNG", dpi=(dpi, dpi))
                got = open_document(buf.getvalue(), "turned.png").pages[0].rotation
                total += 1
                if got % 360 == (already + extra) % 360:
                    right += 1
                else:
                    wrong.append(f"{d.name} p{page.number} turned {extra}: got {got}")
    return right, total, wrong


def report(results: dict) -> str:
    lines = []
    for kind, a in results.items():
        if not a["pages"]:
            continue
        recall = a["hit_true"] / max(a["true"], 1)
        precision = a["hit_found"] / max(a["found"], 1)
        lines.append(
            f"{kind}: {a['pages']} pages, cells recall {recall:.4f} ({a['hit_true']}/{a['true']}), "
            f"precision {precision:.4f} ({a['hit_found']}/{a['found']}), pages with every cell right "
            f"{a['pages_exact']}/{a['pages']}"
        )
        if kind == "scan":
            errs = a["skew_err"]
            lines.append(
                f"  turns right {a['turn_right']}/{a['pages']} (of them turned: {a['turned']}); skew error "
                f"median {statistics.median(errs):.2f}°, max {max(errs):.2f}°" if errs else ""
            )
        lines.append(
            f"  ms/page: ingest median {statistics.median(a['ingest_ms']):.0f}, "
            f"ruling median {statistics.median(a['ruling_ms']):.0f} (max {max(a['ruling_ms']):.0f})"
        )
        lines += [f"  miss: {m}" for m in a["misses"][:12]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.eval_ruling", description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--kinds", nargs="+", default=["digital", "scan"], choices=["digital", "scan"])
    ap.add_argument("--tol", type=float, default=3.0, help="points each side of a cell may be off")
    ap.add_argument("--turns", action="store_true", help="also turn every scan page by 90/180/270° and check it comes back")
    args = ap.parse_args(argv)
    print(report(evaluate(args.root, args.docs, args.kinds, args.tol)))
    if args.turns:
        right, total, wrong = turn_check(args.root, args.docs)
        print(f"extra turns: {right}/{total} pages turned back right")
        print("\n".join(f"  wrong: {w}" for w in wrong[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
