"""Run the pipeline over a generated dataset and write one prediction per document.

    python -m training.predict DATASET --input scan --out PRED [--labeller keywords]

DATASET holds DATASET/<doc_id>/{digital.pdf, scan.pdf, truth.json}; predictions go to
PRED/<doc_id>.json, the layout `training.evaluate` reads. Stage timings are summed in
PRED/timings.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from service.config import PipelineConfig
from service.export import to_json
from service.pipeline import Pipeline

INPUTS = {"digital": "digital.pdf", "scan": "scan.pdf"}


def documents(dataset: Path, subset: dict[str, str] | None = None) -> list[Path]:
    docs = sorted(p for p in dataset.iterdir() if (p / "truth.json").exists())
    manifest = dataset / "manifest.jsonl"
    if subset and manifest.exists():
        keep = set()
        for line in manifest.read_text(encoding="utf-8").splitlines():
            tags = json.loads(line)
            if all(str(tags.get(k)).lower() == v.lower() for k, v in subset.items()):
                keep.add(str(tags.get("doc_id")))
        docs = [d for d in docs if d.name in keep]
    return docs


def predict(dataset: Path, out: Path, input_kind: str, config: PipelineConfig, limit: int | None = None,
            subset: dict[str, str] | None = None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(config)
    docs = documents(dataset, subset)[:limit]
    pages = 0
    t0 = time.perf_counter()
    for k, doc_dir in enumerate(docs, 1):
        result = pipeline.extract(doc_dir / INPUTS[input_kind], name=doc_dir.name)
        pages += result.pages
        (out / f"{doc_dir.name}.json").write_text(to_json(result), encoding="utf-8")
        if result.status.value == "failure":
            print(f"{doc_dir.name}: {result.errors}", file=sys.stderr)
        if k % 10 == 0:
            print(f"{k}/{len(docs)} documents, {pages} pages, {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    summary = {
        "documents": len(docs),
        "pages": pages,
        "seconds": round(time.perf_counter() - t0, 2),
        "stage_seconds": {k: round(v, 3) for k, v in pipeline.timings.items()},
    }
    (out / "timings.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--input", choices=sorted(INPUTS), default="scan")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--labeller")
    ap.add_argument("--ocr")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--subset", action="append", default=[], help="manifest tag KEY=VALUE")
    args = ap.parse_args(argv)
    config = PipelineConfig.load()
    if args.labeller:
        config = config.with_options("labelling", labeller=args.labeller)
    if args.ocr:
        config = config.with_options("ocr", backend=args.ocr)
    subset = dict(s.split("=", 1) for s in args.subset)
    summary = predict(args.dataset, args.out, args.input, config, args.limit, subset)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
