"""`make bench`: speed and memory of the pipeline, written to docs/benchmarks.md.

    python -m training.bench --out docs/benchmarks.md [--docs samples] [--max-pages 40]

Each configuration runs in its own worker process (so peak RSS is that worker's alone):
digital PDFs (text layer) and scans (OCR), with the time of every stage. The OCR
backends are then compared side by side on the same scanned pages, with Tesseract as
an outside baseline, for speed and character accuracy against the ground truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def _worker(args: argparse.Namespace) -> int:
    """Run the pipeline on every document of one input kind; print timings as JSON."""
    from service.config import PipelineConfig
    from service.pipeline import Pipeline

    config = PipelineConfig.load()
    if args.labeller:
        config = config.with_options("labelling", labeller=args.labeller)
    t_load = time.perf_counter()
    pipeline = Pipeline(config)
    name = {"digital": "digital.pdf", "scan": "scan.pdf"}[args.input]
    docs = sorted(p for p in Path(args.docs).iterdir() if (p / name).exists())
    # Warm-up: the first document loads models lazily; it is not timed.
    pipeline.extract(docs[0] / name)
    load_seconds = time.perf_counter() - t_load
    pipeline.timings.clear()
    per_page: list[float] = []
    pages = 0
    for doc in docs:
        if pages >= args.max_pages:
            break
        t0 = time.perf_counter()
        result = pipeline.extract(doc / name)
        dt = time.perf_counter() - t0
        if result.pages:
            per_page += [dt / result.pages] * result.pages
            pages += result.pages
    stages = {k: v / max(pages, 1) for k, v in pipeline.timings.items()}
    print(
        json.dumps(
            {
                "input": args.input,
                "pages": pages,
                "median_s_per_page": statistics.median(per_page) if per_page else None,
                "mean_s_per_page": statistics.fmean(per_page) if per_page else None,
                "stage_s_per_page": stages,
                "startup_s": load_seconds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    return 0


def _other_labellers() -> list[str]:
    """The labellers the config does not use, where they can run (the classifier needs models/)."""
    from service.config import PipelineConfig
    from service.stages.labelling.classifier import MODEL_DIR, SETTINGS_FILE

    default = PipelineConfig.load().options.get("labelling", {}).get("labeller")
    usable = ["keywords"] + (["classifier"] if (MODEL_DIR / SETTINGS_FILE).exists() else [])
    return [name for name in usable if name != default]


def run_worker(input_kind: str, docs: Path, max_pages: int, labeller: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "training.bench", "--worker", "--input", input_kind, "--docs", str(docs),
           "--max-pages", str(max_pages)]
    if labeller:
        cmd += ["--labeller", labeller]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    if labeller:
        row["input"] += f" ({labeller})"
    return row


def pipeline_table(rows: list[dict]) -> list[str]:
    lines = [
        "| input | pages | median s/page | pages/s | peak RSS (MB) | start-up s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        med = r["median_s_per_page"]
        lines.append(
            f"| {r['input']} | {r['pages']} | {med:.3f} | {1 / med:.2f} | {r['peak_rss_mb']:.0f} | {r['startup_s']:.1f} |"
        )
    stages = sorted({s for r in rows for s in r["stage_s_per_page"]}, key=lambda s: -max(r["stage_s_per_page"].get(s, 0) for r in rows))
    lines += ["", "Time per stage (seconds per page):", "", "| stage | " + " | ".join(r["input"] for r in rows) + " |",
              "| --- |" + " ---: |" * len(rows)]
    for s in stages:
        lines.append(f"| {s} | " + " | ".join(f"{r['stage_s_per_page'].get(s, 0):.3f}" for r in rows) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--docs", type=Path, default=ROOT / "samples")
    ap.add_argument("--max-pages", type=int, default=40)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--input", choices=["digital", "scan"], help=argparse.SUPPRESS)
    ap.add_argument("--labeller", help="labeller for the pipeline runs (default: the config's)")
    args = ap.parse_args(argv)
    if args.worker:
        return _worker(args)

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = [run_worker(kind, args.docs, args.max_pages, args.labeller) for kind in ("digital", "scan")]
    if not args.labeller:
        rows += [run_worker("scan", args.docs, args.max_pages, other) for other in _other_labellers()]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {started}.",
        f"Machine: {machine()}.",
        f"Documents: `{args.docs.relative_to(ROOT) if args.docs.is_relative_to(ROOT) else args.docs}`, up to {args.max_pages} pages per input kind; "
        "each input kind runs in its own worker process after one untimed warm-up document.",
        "",
        "## End to end",
        "",
        *pipeline_table(rows),
    ]
    from training.bench_ocr import compare_backends_markdown

    lines += ["", "## OCR backends side by side", "", *compare_backends_markdown(args.docs)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
