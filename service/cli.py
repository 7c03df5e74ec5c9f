"""`jixiao extract | eval | serve | schema` — the command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _extract(args: argparse.Namespace) -> int:
    from .config import PipelineConfig
    from .export import to_csv, to_json, write_xlsx
    from .pipeline import Pipeline

    config = PipelineConfig.load(args.config)
    if args.ocr:
        config = config.with_options("ocr", backend=args.ocr)
    if args.labeller:
        config = config.with_options("labelling", labeller=args.labeller)
    pipeline = Pipeline(config)
    results = []
    failed = 0
    for path in args.files:
        result = pipeline.extract(Path(path), name=path)
        if result.status.value == "failure":
            failed += 1
            print(f"jixiao: {path}: {'; '.join(result.errors)}", file=sys.stderr)
        results.append(result)
    ok = [r for r in results if r.status.value != "failure"]
    out = Path(args.output) if args.output else None
    if args.format == "json":
        if out and out.suffix != ".json" and len(results) > 1:
            out.mkdir(parents=True, exist_ok=True)
            for r in results:
                (out / (Path(r.source).stem + ".json")).write_text(to_json(r), encoding="utf-8")
        else:
            text = to_json(results[0] if len(results) == 1 else results)
            out.write_text(text, encoding="utf-8") if out else print(text)
    elif args.format == "csv":
        text = to_csv(ok)
        out.write_text(text, encoding="utf-8") if out else sys.stdout.write(text)
    else:
        if not out:
            print("jixiao: --format xlsx needs -o FILE.xlsx", file=sys.stderr)
            return 2
        write_xlsx(ok, out)
    return 1 if failed else 0


def _eval(args: argparse.Namespace) -> int:
    from training.evaluate import main as eval_main

    argv = [args.pred, args.gt] + (["--json", args.json] if args.json else [])
    for subset in args.subset or []:
        argv += ["--subset", subset]
    return eval_main(argv) or 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("service.api.main:app", host=args.host, port=args.port, workers=1)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .contract import write_schema

    print(write_schema())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jixiao", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extract", help="extract forms from PDFs or images")
    p.add_argument("files", nargs="+")
    p.add_argument("-o", "--output", help="output file (or directory for several JSON results)")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--config", help="pipeline config (TOML); default service/pipeline.toml")
    p.add_argument("--ocr", help="OCR backend: rapidocr (default) | paddleocr")
    p.add_argument("--labeller", help="field labeller: classifier | keywords")
    p.set_defaults(func=_extract)

    p = sub.add_parser("eval", help="score predictions against ground truth")
    p.add_argument("pred")
    p.add_argument("gt")
    p.add_argument("--json", help="write the scores as JSON here")
    p.add_argument("--subset", action="append", help="only documents whose manifest tag KEY=VALUE")
    p.set_defaults(func=_eval)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_serve)

    p = sub.add_parser("schema", help="write docs/schema/extraction.schema.json")
    p.set_defaults(func=_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
