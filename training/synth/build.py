"""Generate synthetic 绩效自评表 documents with ground truth.

    python -m training.synth.build --out DIR --n N --seed S [--split train|eval|samples]
        [--workers 2] [--no-png] [--no-scan] [--exclude-style KEY=VALUE ...] [--style KEY=VALUE ...]
        [--shuffled-columns SHARE] [--low-scores SHARE]

Each DIR/<doc_id>/ gets digital.pdf (text layer), scan.pdf (image-only JPEG pages),
pages/NNN.png (the scan pages), truth.json (a service.contract.ExtractionResult; every
indicator also carries ``page_end``) and tokens.jsonl (one line per page: every printed
character with its box in points, top-left origin, and its FieldLabel; the page's scan
size, dpi, turn and the 2x3 matrix from points to scan pixels). DIR/manifest.jsonl holds
each document's style tags. The same seed and split give byte-identical truth and tokens.

``--split samples`` ignores --n and draws the fixed sample plans (samples.py) that together
show every variation; ``--exclude-style`` and ``--style`` match manifest tags.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

PREFIX = {"train": "t", "eval": "e", "samples": "s"}


def doc_rng(seed: int, split: str, index: int) -> random.Random:
    return random.Random(f"jixiao-synth/{split}/{seed}/{index}")


def _parse_pairs(pairs: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not value:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        out.setdefault(key.strip(), set()).add(value.strip().lower())
    return out


def _tag_values(value: object) -> set[str]:
    values = value if isinstance(value, list) else [value]
    out = set()
    for v in values:
        out.add(("true" if v else "false") if isinstance(v, bool) else str(v).lower())
    return out


def tags_match(tags: dict, exclude: dict[str, set[str]], force: dict[str, set[str]]) -> bool:
    for key, values in exclude.items():
        if key in tags and _tag_values(tags[key]) & values:
            return False
    for key, values in force.items():
        if key in tags and not _tag_values(tags[key]) & values:
            return False
    return True


def generate_one(task: dict) -> dict:
    """Make one document and write its files; returns its manifest line."""
    from .document import make_document, token_records
    from .scan import scan_document, scan_pdf

    out = Path(task["out"]) / task["doc_id"]
    rng = doc_rng(task["seed"], task["split"], task["index"])
    exclude = {k: set(v) for k, v in task["exclude"].items()}
    force = {k: set(v) for k, v in task["force"].items()}
    style_force = {k: sorted(v)[0] for k, v in force.items()}
    for _attempt in range(30):  # document-level tags are checked after drawing
        gen = make_document(task["doc_id"], rng, exclude=exclude, force=style_force, plan=task.get("plan"),
                            shuffled_columns=task.get("shuffled_columns", 0.0), low_scores=task.get("low_scores", 0.0))
        if tags_match(gen.tags, exclude, force):
            break
    records = token_records(gen.pages)
    out.mkdir(parents=True, exist_ok=True)
    (out / "digital.pdf").write_bytes(gen.pdf)
    tags = dict(gen.tags)
    if task["scan"]:
        boxes = [[g.box for g in page.glyphs] for page in gen.pages]
        plan = task.get("plan") or {}
        extras = None
        if plan.get("extras", True):
            extras = random.Random(hashlib.sha1((repr(rng.getstate()) + "/scan").encode()).hexdigest())
        scans = scan_document(gen.pdf, rng, boxes, dpi=plan.get("dpi"), rotate_rate=task.get("rotate_rate", 0.05),
                              extras=extras)
        for rec, sp in zip(records, scans):
            rec["scan"] = {"width": sp.width, "height": sp.height, "dpi": sp.dpi, "rotation": sp.rotation,
                           "skew": sp.skew, "stamp": sp.stamp, "strokes": sp.strokes, "bitonal": sp.bitonal,
                           "matrix": sp.matrix}
        (out / "scan.pdf").write_bytes(scan_pdf(scans))
        tags["dpi"] = scans[0].dpi if scans else None
        tags["rotated_pages"] = sum(1 for s in scans if s.rotation)
        tags["stamped_pages"] = sum(1 for s in scans if s.stamp)
        tags["marked_pages"] = sum(1 for s in scans if s.strokes)
        tags["bitonal"] = any(s.bitonal for s in scans)
        if task["png"]:
            import cv2

            pages_dir = out / "pages"
            pages_dir.mkdir(exist_ok=True)
            for n, sp in enumerate(scans, 1):
                cv2.imwrite(str(pages_dir / f"{n:03d}.png"), sp.image(), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    (out / "truth.json").write_text(json.dumps(gen.truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with (out / "tokens.jsonl").open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    return tags


def _init_worker() -> None:
    from .fonts import ensure_all

    ensure_all()


def build(out: Path, n: int, seed: int, split: str = "train", workers: int = 2, png: bool = True, scan: bool = True,
          exclude: dict[str, set[str]] | None = None, force: dict[str, set[str]] | None = None,
          shuffled_columns: float = 0.0, low_scores: float = 0.0) -> list[dict]:
    from .fonts import ensure_all

    from .style import style_options

    force = dict(force or {})
    for key, values in list(force.items()):
        options = style_options().get(key)
        if options is not None and not values & {o.lower() for o in options}:
            print(f"warning: no style has {key}={'|'.join(sorted(values))} (options: {', '.join(options)}); ignored",
                  file=sys.stderr)
            force.pop(key)
    out.mkdir(parents=True, exist_ok=True)
    ensure_all()  # subset fonts once, before workers race for them
    tasks = []
    plans: list[dict | None] = [None] * n
    if split == "samples":
        from .samples import SAMPLE_PLANS

        plans = list(SAMPLE_PLANS)
        n = len(plans)
    for i in range(n):
        doc_id = f"{PREFIX[split]}{i + 1:02d}" if split == "samples" else f"{PREFIX[split]}{i + 1:05d}"
        plan = plans[i]
        tasks.append({"out": str(out), "doc_id": doc_id, "seed": seed, "split": split, "index": i,
                      "exclude": {k: sorted(v) for k, v in (exclude or {}).items()},
                      "force": {k: sorted(v) for k, v in (force or {}).items()},
                      "plan": plan, "png": png and (plan or {}).get("png", True), "scan": scan,
                      "rotate_rate": (plan or {}).get("rotate_rate", 0.05), "shuffled_columns": shuffled_columns,
                      "low_scores": low_scores})
    if workers > 1:
        with Pool(workers, initializer=_init_worker) as pool:
            tags = list(pool.imap(generate_one, tasks, chunksize=1))
    else:
        tags = [generate_one(t) for t in tasks]
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for t in tags:
            fh.write(json.dumps(t, ensure_ascii=False, sort_keys=True) + "\n")
    return tags


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.synth.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=list(PREFIX), default="train")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-png", action="store_true", help="skip pages/NNN.png")
    ap.add_argument("--no-scan", action="store_true", help="digital PDF, truth and tokens only (no scan.pdf, no PNG)")
    ap.add_argument("--exclude-style", action="append", default=[], metavar="KEY=VALUE",
                    help="never make documents whose manifest tag KEY equals VALUE (repeatable)")
    ap.add_argument("--style", action="append", default=[], metavar="KEY=VALUE",
                    help="only make documents whose manifest tag KEY equals VALUE (repeatable)")
    ap.add_argument("--shuffled-columns", type=float, default=0.0, metavar="SHARE",
                    help="print this share of documents with their indicator columns in a random order "
                         "that no named order has (training data for the learned labeller)")
    ap.add_argument("--low-scores", type=float, default=0.0, metavar="SHARE",
                    help="make this share of documents meet fewer targets: totals mostly under 80, grades 中 and 差 "
                         "(training data for the learned labeller)")
    args = ap.parse_args(argv)
    start = time.time()
    tags = build(args.out, args.n, args.seed, args.split, args.workers, png=not args.no_png, scan=not args.no_scan,
                 exclude=_parse_pairs(args.exclude_style), force=_parse_pairs(args.style),
                 shuffled_columns=args.shuffled_columns, low_scores=args.low_scores)
    pages = sum(t["n_pages"] for t in tags)
    took = time.time() - start
    print(f"{len(tags)} documents, {pages} pages in {took:.1f} s ({took / max(pages, 1):.2f} s/page) → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
