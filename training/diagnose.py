"""Where the labeller and reconstruction go wrong on generated documents.

    python -m training.diagnose DATASET [--labeller keywords] [--input digital] [--limit N] [--doc ID ...]

For each document, runs the pipeline up to labelling, gives every token the true label of
the generated character under its centre, and counts (true → predicted) label pairs.
With ``--oracle`` the true labels replace the labeller's before reconstruction and the
result is scored: what reconstruction alone loses with perfect labels.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from service.config import PipelineConfig
from service.pipeline import Pipeline, to_result
from service.stages.ingest import open_document

AFTER_LABELLING = ("reconstruct", "normalise", "checks")


def true_labels(page, record: dict) -> list[str | None]:
    """The generated label under each token's centre (the commonest over its characters)."""
    boxes = np.array([t["box"] for t in record["tokens"]], dtype=float).reshape(-1, 4)
    labels = [t["label"] for t in record["tokens"]]
    out: list[str | None] = []
    for token in page.tokens:
        x0, y0, x1, y1 = token.box
        n = max(1, len(token.text))
        votes: Counter = Counter()
        for k in range(n):
            cx, cy = x0 + (k + 0.5) * (x1 - x0) / n, (y0 + y1) / 2
            inside = np.flatnonzero((boxes[:, 0] <= cx) & (cx <= boxes[:, 2]) & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3]))
            if len(inside):
                votes[labels[inside[0]]] += 1
        out.append(votes.most_common(1)[0][0] if votes else None)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.diagnose")
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--labeller", help="classifier | keywords (default: service/pipeline.toml's)")
    ap.add_argument("--input", default="digital", choices=["digital", "scan"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--doc", action="append", default=[])
    ap.add_argument("--oracle", type=Path, help="write predictions made from true labels here")
    ap.add_argument("--show", type=int, default=0, help="print up to N wrong tokens per document")
    args = ap.parse_args(argv)

    config = PipelineConfig.load()
    if args.labeller:
        config.options.setdefault("labelling", {})["labeller"] = args.labeller
    pipe = Pipeline(config)
    stages = dict(pipe.stages)
    docs = sorted(p for p in args.dataset.iterdir() if (p / "truth.json").exists())
    if args.doc:
        docs = [d for d in docs if d.name in args.doc]
    docs = docs[: args.limit] if args.limit else docs
    confusion: Counter = Counter()
    per_doc: list[tuple[int, str]] = []
    for d in docs:
        records = {r["page"]: r for r in map(json.loads, (d / "tokens.jsonl").read_text(encoding="utf-8").splitlines())}
        doc = open_document(d / f"{args.input}.pdf", None, pipe.ingest_options)
        for name, stage in pipe.stages:
            if name in AFTER_LABELLING:
                break
            doc = stage(doc)
        wrong = 0
        shown = 0
        for page in doc.pages:
            truth = true_labels(page, records[page.number])
            for token, t in zip(page.tokens, truth):
                if t is None:
                    continue
                confusion[(t, token.label)] += 1
                if t != token.label:
                    wrong += 1
                    if shown < args.show:
                        print(f"  {d.name} p{page.number} {token.text!r} true {t} got {token.label} at {[round(v) for v in token.box]}")
                        shown += 1
            if args.oracle:
                for token, t in zip(page.tokens, truth):
                    token.label = t or "OTHER"
        per_doc.append((wrong, d.name))
        if args.oracle:
            args.oracle.mkdir(parents=True, exist_ok=True)
            for name in AFTER_LABELLING:
                doc = stages[name](doc)
            (args.oracle / f"{d.name}.json").write_text(to_result(doc).model_dump_json(), encoding="utf-8")
    print("true → predicted (errors only), tokens:")
    for (t, p), n in confusion.most_common():
        if t != p and n:
            print(f"  {t:18s} → {p!s:18s} {n}")
    total = sum(confusion.values())
    right = sum(n for (t, p), n in confusion.items() if t == p)
    print(f"token accuracy {right}/{total} = {right / max(total, 1):.4f}")
    print("most wrong documents:", ", ".join(f"{name} ({w})" for w, name in sorted(per_doc, reverse=True)[:15]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
