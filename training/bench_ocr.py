"""OCR backends side by side: character accuracy and seconds per page on scanned pages.

    python -m training.bench_ocr DATASET [--max-pages 6] [--backends rapidocr,paddleocr,tesseract]

Given page images and the true text of each line (or cell) with its box, every reader
produces characters with boxes; the characters whose centres fall in a true line's box
are read in order and compared with its text by edit distance. Characters that fall in
no true line count as errors too, so a reader cannot gain by reading noise.
character accuracy = 1 - (edits + stray characters) / true characters (NFKC, no spaces).

Readers: jixiao's ``ocr`` stage with each backend (ruled cells read without detection,
the cells from the ruling stage when it is registered, else from the ground truth),
RapidOCR's default whole-page pipeline (what the stage replaces), and Tesseract
(chi_sim, the Debian package) as an outside baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from service.contract import Box
from service.document import Document, Page, Table, Token
from service.geometry import text_of


class TruthLine(BaseModel):
    """One line of true text (or one cell's text) and its box in page points."""

    box: Box
    text: str


class BenchPage(BaseModel):
    """A scanned page, how it maps to points, its true lines and (optionally) its ruled tables."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    image: Any = Field(repr=False)  # grey or RGB np.ndarray of the upright page
    scale: float  # pixels per point
    width: float  # points
    height: float
    lines: list[TruthLine]
    tables: list[Table] = Field(default_factory=list)


class Score(BaseModel):
    reader: str
    pages: int
    true_chars: int
    errors: int
    char_accuracy: float
    median_s_per_page: float
    mean_s_per_page: float
    cpu_s_per_page: float  # all threads and child processes: steadier than wall time on a busy machine
    note: str = ""


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def count_errors(lines: list[TruthLine], tokens: list[Token], slack: float = 1.5) -> tuple[int, int]:
    """(errors, true characters) of character tokens (boxes in points) against true lines.

    A token belongs to the first true line whose box (grown by ``slack`` points) holds its
    centre; a line's tokens are read top to bottom, left to right.
    """
    from rapidfuzz.distance import Levenshtein

    owner: list[list[int]] = [[] for _ in lines]
    stray = 0
    for i, t in enumerate(tokens):
        cx, cy = (t.box[0] + t.box[2]) / 2, (t.box[1] + t.box[3]) / 2
        for k, line in enumerate(lines):
            b = line.box
            if b[0] - slack <= cx <= b[2] + slack and b[1] - slack <= cy <= b[3] + slack:
                owner[k].append(i)
                break
        else:
            stray += len(_norm(t.text))
    errors, total = stray, 0
    for line, ids in zip(lines, owner):
        truth = _norm(line.text)
        errors += Levenshtein.distance(_norm(text_of(tokens, ids)), truth)
        total += len(truth)
    return errors, total


def _score(reader: str, pages: list[BenchPage], read: Callable[[BenchPage], list[Token]], note: str = "") -> Score:
    """Run ``read`` on every page (after one untimed warm-up read) and score it."""
    if not pages:
        raise ValueError("no pages to benchmark")
    read(pages[0])  # models load and allocate on first use; not timed
    seconds: list[float] = []
    errors = total = 0
    cpu0 = _cpu_seconds()
    for page in pages:
        t0 = time.perf_counter()
        tokens = read(page)
        seconds.append(time.perf_counter() - t0)
        e, n = count_errors(page.lines, tokens)
        errors, total = errors + e, total + n
    cpu = (_cpu_seconds() - cpu0) / len(pages)
    return Score(
        reader=reader,
        pages=len(pages),
        true_chars=total,
        errors=errors,
        char_accuracy=1 - errors / max(total, 1),
        median_s_per_page=statistics.median(seconds),
        mean_s_per_page=statistics.fmean(seconds),
        cpu_s_per_page=cpu,
        note=note,
    )


def _cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (Tesseract)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _page(bench: BenchPage, tables: list[Table]) -> Page:
    return Page(
        number=1, width=bench.width, height=bench.height, scale=bench.scale, image=bench.image, tables=tables
    )


def ruled_tables(bench: BenchPage) -> tuple[list[Table], str]:
    """The page's ruled tables as the pipeline sees them: from the ruling stage when it is
    registered, else the ground truth's."""
    from service.registry import create, names

    if "ruling" in names("stages"):
        ruling = create("stages", "ruling")
        doc = ruling(Document(source=bench.name, pages=[_page(bench, [])]))
        return doc.pages[0].tables, "cells from the ruling stage"
    return bench.tables, "cells from the ground truth (no ruling stage registered)"


def bench_backend(backend: str, pages: list[BenchPage], **options: Any) -> Score:
    """Character accuracy and seconds per page of the ``ocr`` stage with ``backend``.

    The ruled cells are found before timing starts (they are the ruling stage's work);
    the time is the OCR stage's alone: line finding, detection outside tables, recognition.
    """
    from service.registry import create

    stage = create("stages", "ocr", backend=backend, **options)
    prepared: dict[str, list[Table]] = {}
    source = ""
    for p in pages:
        prepared[p.name], source = ruled_tables(p)

    def read(bench: BenchPage) -> list[Token]:
        page = _page(bench, prepared[bench.name])
        stage(Document(source=bench.name, pages=[page]))
        return page.tokens

    return _score(f"jixiao ocr stage, {backend}", pages, read, note=source)


def bench_rapidocr_whole_page(pages: list[BenchPage], threads: int = 2) -> Score:
    """RapidOCR's own pipeline on the whole page at its default settings (detection over
    the page, then recognition of every detected line), per-character boxes from its
    single-character box option."""
    import logging

    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)

    def read(bench: BenchPage) -> list[Token]:
        image = bench.image if bench.image.ndim == 3 else np.repeat(bench.image[:, :, None], 3, axis=2)
        out = engine(image, return_word_box=True, return_single_char_box=True)
        tokens: list[Token] = []
        for words in out.word_results or ():
            for text, _, box in words:
                if box is None or not str(text).strip():
                    continue
                xs, ys = [p[0] for p in box], [p[1] for p in box]
                tokens += _split_box(str(text), (min(xs), min(ys), max(xs), max(ys)), bench.scale, 1.0)
        return tokens

    return _score("RapidOCR whole page, default settings", pages, read)


def _split_box(text: str, box_px: tuple[float, float, float, float], scale: float, conf: float) -> list[Token]:
    """Characters of a word spread evenly over its pixel box, as point-space tokens."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return []
    x0, y0, x1, y1 = box_px
    step = (x1 - x0) / len(chars)
    return [
        Token(text=c, box=((x0 + k * step) / scale, y0 / scale, (x0 + (k + 1) * step) / scale, y1 / scale), confidence=conf)
        for k, c in enumerate(chars)
    ]


def tesseract_tokens(image: np.ndarray, scale: float, psm: int = 6, threads: int = 2) -> list[Token]:
    """Tesseract's words (chi_sim) as character tokens, each word's box split evenly."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        Image.fromarray(image).save(path)
        out = subprocess.run(
            ["tesseract", str(path), "-", "-l", "chi_sim", "--psm", str(psm), "tsv"],
            capture_output=True,
            text=True,
            check=True,
            env={"OMP_THREAD_LIMIT": str(threads), "PATH": "/usr/bin:/bin"},
        ).stdout
    tokens: list[Token] = []
    for row in out.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (float(v) for v in cols[6:10])
        conf = max(0.0, float(cols[10])) / 100
        tokens += _split_box(cols[11], (left, top, left + width, top + height), scale, conf)
    return tokens


def bench_tesseract(pages: list[BenchPage], psm: int = 6) -> Score:
    """Tesseract 5 (Debian tesseract-ocr + chi_sim) on the whole page, as a baseline."""
    return _score(
        f"Tesseract chi_sim --psm {psm}",
        pages,
        lambda b: tesseract_tokens(b.image, b.scale, psm),
        note="words split evenly into characters",
    )


# ---------------------------------------------------------------- generated documents


def load_generated(dataset: Path, max_pages: int = 6) -> list[BenchPage]:
    """Scanned pages of the form generator's documents with their true lines.

    Each DATASET/<doc_id>/ has pages/NNN.png and tokens.jsonl (training.synth, PNG pages): per
    page its size in points, every true character with its box in points, and the 2x3
    matrix from points to scan pixels. The scan is warped upright through that matrix (so
    the benchmark measures reading, not the ingest stage's deskew) and the characters are
    grouped into true lines.
    """
    pages: list[BenchPage] = []
    for doc_dir in sorted(p for p in dataset.iterdir() if (p / "tokens.jsonl").exists() and (p / "pages").is_dir()):
        for record in (json.loads(line) for line in (doc_dir / "tokens.jsonl").read_text(encoding="utf-8").splitlines()):
            image_path = doc_dir / "pages" / f"{record['page']:03d}.png"
            if "scan" not in record or not image_path.exists() or not record["tokens"]:
                continue
            pages.append(_upright_page(doc_dir.name, record, image_path))
            if len(pages) >= max_pages:
                return pages
    return pages


def _upright_page(doc_id: str, record: dict, image_path: Path) -> BenchPage:
    import cv2
    from PIL import Image

    scan = record["scan"]
    scale = scan["dpi"] / 72.0
    width, height = float(record["width"]), float(record["height"])
    to_scan = np.array(scan["matrix"], dtype=np.float64) @ np.diag([1 / scale, 1 / scale, 1.0])
    gray = np.array(Image.open(image_path).convert("L"))
    upright = cv2.warpAffine(
        gray,
        to_scan,
        (int(round(width * scale)), int(round(height * scale))),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderValue=255,
    )
    chars = [Token(text=t["text"], box=tuple(t["box"])) for t in record["tokens"] if t["text"].strip()]
    return BenchPage(
        name=f"{doc_id}/{record['page']:03d}",
        image=upright,
        scale=scale,
        width=width,
        height=height,
        lines=true_lines(chars),
    )


def true_lines(chars: list[Token]) -> list[TruthLine]:
    """True characters (in printing order) grouped into lines: a character continues the
    line when most of the shorter one's height is shared with the previous character (a
    decimal point sits low but inside its digits' band; the first line of a neighbouring
    cell usually sits higher or lower) and it follows by less than one em."""
    lines: list[list[Token]] = []
    for ch in chars:
        if lines:
            last = lines[-1][-1]
            em = max(last.box[3] - last.box[1], ch.box[3] - ch.box[1], 1.0)
            shared = min(ch.box[3], last.box[3]) - max(ch.box[1], last.box[1])
            shorter = max(min(ch.box[3] - ch.box[1], last.box[3] - last.box[1]), 0.1)
            if shared >= 0.6 * shorter and -0.3 * em <= ch.box[0] - last.box[2] <= 1.0 * em:
                lines[-1].append(ch)
                continue
        lines.append([ch])
    out = []
    for line in lines:
        box = (
            min(c.box[0] for c in line),
            min(c.box[1] for c in line),
            max(c.box[2] for c in line),
            max(c.box[3] for c in line),
        )
        out.append(TruthLine(box=box, text="".join(c.text for c in line)))
    return out


def compare(pages: list[BenchPage], backends: list[str]) -> list[Score]:
    scores: list[Score] = []
    for name in backends:
        if name == "tesseract":
            if shutil.which("tesseract") is None:
                continue
            scores.append(bench_tesseract(pages))
        elif name == "rapidocr-whole-page":
            scores.append(bench_rapidocr_whole_page(pages))
        else:
            try:
                scores.append(bench_backend(name, pages))
            except ImportError as exc:  # an optional backend that is not installed
                print(f"skipping {name}: {exc}", file=sys.stderr)
    return scores


def markdown(scores: list[Score]) -> list[str]:
    lines = [
        "| reader | pages | true chars | char accuracy | median s/page | mean s/page | CPU s/page | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in scores:
        lines.append(
            f"| {s.reader} | {s.pages} | {s.true_chars} | {s.char_accuracy:.4f} | {s.median_s_per_page:.2f} "
            f"| {s.mean_s_per_page:.2f} | {s.cpu_s_per_page:.2f} | {s.note} |"
        )
    return lines


DEFAULT_READERS = ["rapidocr", "paddleocr", "rapidocr-whole-page", "tesseract"]


def compare_backends_markdown(dataset: Path, max_pages: int = 6, backends: list[str] | None = None) -> list[str]:
    """The side-by-side table for docs/benchmarks.md (one process, models loaded once)."""
    pages = load_generated(dataset, max_pages) if dataset.exists() else []
    if not pages:
        return [f"No generated scans with true characters (tokens.jsonl) under `{dataset}`: OCR comparison skipped."]
    scores = compare(pages, backends or DEFAULT_READERS)
    return [
        f"{len(pages)} scanned pages from `{dataset}`; OCR time only (the ruled cells are found beforehand), "
        "2 threads, after one untimed warm-up page; CPU s/page counts both threads (and Tesseract's process), "
        "so on a quiet machine wall time is about half of it. Character accuracy = 1 - (edit distance + stray "
        "characters) / true characters, NFKC, spaces ignored.",
        "",
        *markdown(scores),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--max-pages", type=int, default=6)
    ap.add_argument("--backends", default=",".join(DEFAULT_READERS))
    ap.add_argument("--json", action="store_true", help="print the scores as JSON lines")
    args = ap.parse_args(argv)
    pages = load_generated(args.dataset, args.max_pages)
    if not pages:
        print(f"no generated pages with tokens.jsonl under {args.dataset}", file=sys.stderr)
        return 1
    scores = compare(pages, args.backends.split(","))
    if args.json:
        for s in scores:
            print(json.dumps(s.model_dump(), ensure_ascii=False))
    else:
        print("\n".join(markdown(scores)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
