"""Train the layout-aware token classifier and write models/ (weights, vocabulary, card).

    python -m training.train --out models            # `make model`: the shipped model
    python -m training.train --out /tmp/m --tiny     # CI: a tiny model on a few pages

Steps: generate labelled pages with training.synth (a training set without the withheld
styles, a held-out set with exactly those styles, and a same-style dev set), build the
character vocabulary, fine-tune a small LayoutLMForTokenClassification from scratch on
augmented pages, evaluate token-level F1 per label, and write the model directory and
its card (models/README.md). ``--data`` and ``--heldout`` use existing datasets instead
of generating them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from service.labels import BIO_TAGS, LABELS, FieldLabel
from service.stages.labelling.classifier import (
    PAD,
    SETTINGS_FILE,
    SPECIAL_TOKENS,
    ClassifierLabeller,
    KeyContext,
    WindowSettings,
    collate,
    normalise_char_text,
)

from .export import export_onnx
from .token_data import IGNORE, Augment, DocSample, doc_windows, load_docs

ROOT = Path(__file__).resolve().parent.parent

# Styles never seen in training; the held-out set has exactly these (the generator's tags).
WITHHELD = {"column_order": "score_first", "font": "uming", "table": "borderless"}


@dataclass
class ModelSize:
    layers: int = 4
    hidden: int = 128
    heads: int = 4

    def config(self, vocab_size: int, settings: WindowSettings):
        from transformers import LayoutLMConfig

        return LayoutLMConfig(
            vocab_size=vocab_size,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=4 * self.hidden,
            max_position_embeddings=settings.window,
            max_2d_position_embeddings=1024,
            type_vocab_size=2,
            pad_token_id=0,
            num_labels=len(BIO_TAGS),
            id2label=dict(enumerate(BIO_TAGS)),
            label2id={t: k for k, t in enumerate(BIO_TAGS)},
        )


@dataclass
class Recipe:
    size: ModelSize
    settings: WindowSettings
    train_docs: int = 700
    heldout_docs: int = 60
    dev_docs: int = 30
    # share of training documents printed with their indicator columns in a random order: column
    # positions then say nothing, so the model learns to read a column's header (WITHHELD stays unseen)
    shuffled_columns: float = 0.5
    # more documents holding a department form (a quarter of forms are): their headers (部门名称 is
    # the form's name, 财政处室 a key the contract does not keep) were the model's weakest fields
    department_docs: int = 220
    # share of those documents whose forms meet fewer targets: drawn as usual, more than nine forms in
    # ten grade 优 or 良, and the model never learnt 中 and 差 (it read 中 as a deviation reason)
    low_scores: float = 0.3
    steps: int = 6000  # at most; see minutes
    minutes: float | None = 50.0  # training time budget (the schedule decays over whichever ends first)
    batch: int = 8
    lr: float = 1e-3
    warmup: float = 0.05
    seed: int = 20261123


FULL = Recipe(size=ModelSize(), settings=WindowSettings())
TINY = Recipe(
    size=ModelSize(layers=1, hidden=64, heads=2),
    settings=WindowSettings(window=256, stride=160, context=48),
    train_docs=6,
    department_docs=0,
    heldout_docs=2,
    dev_docs=0,
    steps=60,
    minutes=None,
    batch=4,
    lr=2e-3,
)


# ---------------------------------------------------------------- data


def generate(out: Path, n: int, seed: int, exclude: dict[str, str] | None = None,
             force: dict[str, str] | None = None, shuffled_columns: float = 0.0, low_scores: float = 0.0) -> Path:
    """Run training.synth (tokens only, no scans) unless the same dataset is already there."""
    request = {"n": n, "seed": seed, "exclude": exclude or {}, "force": force or {}, "shuffled_columns": shuffled_columns,
               "low_scores": low_scores}
    stamp = out / "request.json"
    if stamp.exists() and json.loads(stamp.read_text()) == request and len(list(out.glob("*/tokens.jsonl"))) >= n:
        return out
    cmd = [sys.executable, "-m", "training.synth.build", "--out", str(out), "--n", str(n), "--seed", str(seed),
           "--split", "train", "--no-scan", "--shuffled-columns", str(shuffled_columns), "--low-scores", str(low_scores)]
    cmd += [arg for k, v in (exclude or {}).items() for arg in ("--exclude-style", f"{k}={v}")]
    cmd += [arg for k, v in (force or {}).items() for arg in ("--style", f"{k}={v}")]
    log(" ".join(cmd))
    if out.exists():
        import shutil

        shutil.rmtree(out)
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    stamp.write_text(json.dumps(request))
    return out


def has_styles(doc: DocSample, styles: dict[str, str]) -> bool:
    return all(str(doc.tags.get(k)).lower() == v.lower() for k, v in styles.items())


def build_vocab(docs: list[DocSample], min_count: int = 1) -> dict[str, int]:
    """Specials, printable ASCII, then every character of the training text (NFKC)."""
    counts: Counter[str] = Counter()
    for doc in docs:
        for page in doc.pages:
            for text in page.texts:
                counts.update(normalise_char_text(text))
    chars = [chr(c) for c in range(33, 127)]
    chars += sorted(ch for ch, n in counts.items() if n >= min_count and ch not in chars)
    # Confusable misreads in augmentation must have an id too (full-width forms are NFKC'd away).
    vocab = {tok: k for k, tok in enumerate(SPECIAL_TOKENS)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    return vocab


def save_tokenizer(vocab: dict[str, int], out: Path) -> None:
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(r"."), behavior="isolated")]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=10**6,
    )
    fast.save_pretrained(str(out))


# ---------------------------------------------------------------- training


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def train_model(recipe: Recipe, docs: list[DocSample], vocab: dict[str, int], max_minutes: float | None = None,
                init: Path | None = None):
    """Fine-tune from scratch; the learning rate decays with steps or time, whichever runs out first.

    On a shared CPU a step can take 1 s or 8 s, so a time budget keeps `make model` bounded:
    the schedule always completes its decay, with as many steps as the machine allowed.
    """
    import torch
    from transformers import LayoutLMForTokenClassification

    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    if init:  # go on from a trained model (same vocabulary): more steps without starting over
        model = LayoutLMForTokenClassification.from_pretrained(str(init))
    else:
        model = LayoutLMForTokenClassification(recipe.size.config(len(vocab), recipe.settings))
    optimiser = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    warmup = max(1, min(100, int(recipe.warmup * recipe.steps)))
    budget = 60 * max_minutes if max_minutes else None
    aug = Augment()
    alphabet = [ch for ch in vocab if ch not in SPECIAL_TOKENS]
    pad = vocab[PAD]
    # bf16 matmuls where the CPU has them (AVX512-BF16/AMX), fp32 weights; JIXIAO_TRAIN_FP32=1 turns it off.
    bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and os.environ.get("JIXIAO_TRAIN_FP32") != "1"
    model.train()
    step, epoch, t0, running = 0, 0, time.perf_counter(), []

    def progress() -> float:
        done = step / recipe.steps
        return max(done, (time.perf_counter() - t0) / budget) if budget else done

    while progress() < 1.0:
        epoch += 1
        order = list(range(len(docs)))
        rng.shuffle(order)
        pool = []
        for k in order:
            pool += doc_windows(docs[k], recipe.settings, vocab, rng, aug, alphabet)
        rng.shuffle(pool)
        for b in range(0, len(pool) - recipe.batch + 1, recipe.batch):
            frac = progress()
            if frac >= 1.0:
                break
            factor = (step + 1) / warmup if step < warmup else max(0.02, 1.0 - frac)
            for group in optimiser.param_groups:
                group["lr"] = recipe.lr * factor
            chunk = pool[b : b + recipe.batch]
            inputs = {k: torch.from_numpy(v) for k, v in collate([w.window for w in chunk], pad).items()}
            t = inputs["input_ids"].shape[1]
            labels = torch.full((len(chunk), t), IGNORE, dtype=torch.long)
            for i, w in enumerate(chunk):
                labels[i, : len(w.tags)] = torch.tensor(w.tags)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(**inputs, labels=labels).loss
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            running.append(loss.item())
            step += 1
            if step % 50 == 0:
                elapsed = time.perf_counter() - t0
                log(f"step {step} epoch {epoch} loss {np.mean(running):.4f} lr {recipe.lr * factor:.2e} "
                    f"{elapsed / step:.2f}s/step {elapsed / 60:.1f} min, {100 * frac:.0f}% of the schedule")
                running = []
    minutes = round((time.perf_counter() - t0) / 60, 1)
    log(f"trained {step} steps, {epoch} epochs, {minutes} min")
    return model.eval(), {"steps": step, "epochs": epoch, "minutes": minutes, "bf16": bf16}


# ---------------------------------------------------------------- evaluation


def predict_docs(labeller: ClassifierLabeller, docs: list[DocSample]) -> tuple[list[list[str]], list[list[str]], dict]:
    """Predicted and true labels per page, and the time the labeller took per character."""
    preds, truth = [], []
    chars, seconds, page_times = 0, 0.0, []
    for doc in docs:
        context = KeyContext(labeller.settings.context)
        for page in doc.pages:
            t0 = time.perf_counter()
            probs = labeller.token_probs(page.tokens(), page.width, page.height, context)
            dt = time.perf_counter() - t0
            n = sum(len(normalise_char_text(t)) for t in page.texts)
            chars, seconds = chars + n, seconds + dt
            page_times.append((n, dt))
            preds.append([LABELS[int(p.argmax())] if p is not None else "O" for p in probs])
            truth.append(list(page.labels))
    dense = [dt for n, dt in page_times if n >= 1500]
    timing = {
        "pages": len(page_times),
        "chars": chars,
        "ms_per_1000_chars": round(1000 * seconds / max(chars, 1) * 1000, 1),
        "dense_pages": len(dense),
        "ms_per_dense_page_median": round(1000 * float(np.median(dense)), 1) if dense else None,
    }
    return preds, truth, timing


def token_scores(preds: list[list[str]], truth: list[list[str]]) -> dict:
    """Token-level precision/recall/F1 per label; macro over the labels present in the truth."""
    tp, fp, fn, support = Counter(), Counter(), Counter(), Counter()
    for p_page, t_page in zip(preds, truth):
        for p, t in zip(p_page, t_page):
            support[t] += 1
            if p == t:
                tp[t] += 1
            else:
                fp[p] += 1
                fn[t] += 1
    per_label = {}
    for label in LABELS:
        if not support[label] and not fp[label]:
            continue
        prec = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        rec = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_label[label] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": support[label]}
    present = [label for label in per_label if per_label[label]["support"]]
    fields = [label for label in present if label != FieldLabel.other.value]
    total = sum(support.values())
    return {
        "per_label": per_label,
        "macro_f1": round(float(np.mean([per_label[k]["f1"] for k in present])), 4) if present else 0.0,
        "macro_f1_fields": round(float(np.mean([per_label[k]["f1"] for k in fields])), 4) if fields else 0.0,
        "accuracy": round(sum(tp.values()) / max(total, 1), 4),
        "tokens": total,
    }


def entity_scores(docs: list[DocSample], preds: list[list[str]]) -> dict:
    """seqeval entity F1: an entity is a run of one label along a text line (token_data.labels_to_bio)."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    from service.geometry import group_lines

    from .token_data import labels_to_bio

    y_true, y_pred = [], []
    pages = [page for doc in docs for page in doc.pages]
    for page, pred in zip(pages, preds):
        lines = group_lines(page.tokens(), range(len(page.texts)))
        order = [i for line in lines for i in line]
        t = labels_to_bio(page.labels, page.boxes, lines)
        p = labels_to_bio(pred, page.boxes, lines)
        y_true.append([t[i] for i in order])
        y_pred.append([p[i] for i in order])
    return {
        "precision": round(precision_score(y_true, y_pred), 4),
        "recall": round(recall_score(y_true, y_pred), 4),
        "f1": round(f1_score(y_true, y_pred), 4),
    }


def evaluate(labeller: ClassifierLabeller, docs: list[DocSample]) -> dict:
    preds, truth, timing = predict_docs(labeller, docs)
    scores = token_scores(preds, truth)
    scores["entities"] = entity_scores(docs, preds)
    scores["timing"] = timing
    scores["documents"] = len(docs)
    return scores


# ---------------------------------------------------------------- output


def write_model(out: Path, model, vocab: dict[str, int], recipe: Recipe) -> None:
    """The weights, their ONNX export, the vocabulary and the window settings."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    export_onnx(model, out)
    save_tokenizer(vocab, out)
    meta = {
        "windows": asdict(recipe.settings),
        "bio_tags": BIO_TAGS,
        "labels": LABELS,
        "size": asdict(recipe.size),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    (out / SETTINGS_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="models", help="model directory to write")
    parser.add_argument("--tiny", action="store_true", help="a tiny model on a handful of pages (CI)")
    parser.add_argument("--work", default="data/classifier", help="where generated datasets go")
    parser.add_argument("--data", help="training dataset (DIR/<doc>/tokens.jsonl) instead of generating one")
    parser.add_argument("--heldout", help="held-out dataset instead of generating one")
    parser.add_argument("--steps", type=int, help="training steps (default: the recipe's)")
    parser.add_argument("--train-docs", type=int, help="generated training documents (default: the recipe's)")
    parser.add_argument("--max-minutes", type=float, help="training time budget (default: the recipe's)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--init", help="continue training the model in this directory (its vocabulary is kept)")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.threads)
    recipe = TINY if args.tiny else FULL
    if args.steps:
        recipe = Recipe(**{**recipe.__dict__, "steps": args.steps})
    if args.train_docs:
        recipe = Recipe(**{**recipe.__dict__, "train_docs": args.train_docs})
    if args.seed is not None:
        recipe = Recipe(**{**recipe.__dict__, "seed": args.seed})
    t_start = time.perf_counter()
    work = Path(args.work) / ("tiny" if args.tiny else "full")
    department_dir: Path | None = None
    if args.data:
        train_dir = Path(args.data)
    else:
        train_dir = generate(work / "train", recipe.train_docs, recipe.seed, exclude=WITHHELD,
                             shuffled_columns=recipe.shuffled_columns, low_scores=recipe.low_scores)
        if recipe.department_docs:
            department_dir = generate(work / "department", recipe.department_docs, recipe.seed + 2, exclude=WITHHELD,
                                      force={"form_types": "department"}, shuffled_columns=recipe.shuffled_columns,
                                      low_scores=recipe.low_scores)
    if args.heldout:
        heldout_dir: Path | None = Path(args.heldout)
    elif args.data:
        heldout_dir = None
    else:
        # a few more than needed, in case a form type cannot take a withheld style (filtered below)
        n = recipe.heldout_docs + recipe.heldout_docs // 5 + 1
        heldout_dir = generate(work / "heldout", n, recipe.seed + 1, force=WITHHELD)
    docs = load_docs(train_dir)
    if department_dir is not None:
        docs = load_docs(department_dir) + docs  # first: the dev split stays the last of the main set
    if not args.data:
        leaked = [d.doc_id for d in docs if any(str(d.tags.get(k)).lower() == v for k, v in WITHHELD.items())]
        assert not leaked, f"withheld styles in the training set: {leaked[:5]}"
    dev_docs: list[DocSample] = []
    if recipe.dev_docs and len(docs) > recipe.dev_docs * 4:
        docs, dev_docs = docs[: -recipe.dev_docs], docs[-recipe.dev_docs :]
    heldout = load_docs(heldout_dir) if heldout_dir else []
    if heldout_dir and not args.heldout:
        heldout = [d for d in heldout if has_styles(d, WITHHELD)][: recipe.heldout_docs]
    log(f"{len(docs)} training documents ({sum(len(d.pages) for d in docs)} pages), {len(dev_docs)} dev, "
        f"{len(heldout)} held-out; data ready after {(time.perf_counter() - t_start) / 60:.1f} min")

    if args.init:
        from service.stages.labelling.classifier import load_vocab

        vocab = load_vocab(Path(args.init))
    else:
        vocab = build_vocab(docs)
    init = Path(args.init) if args.init else None
    model, train_summary = train_model(recipe, docs, vocab, args.max_minutes or recipe.minutes, init)
    out = Path(args.out)
    write_model(out, model, vocab, recipe)
    labeller = ClassifierLabeller(out, threads=args.threads)  # evaluate what ships: the ONNX export
    summary: dict = {
        "recipe": {k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in recipe.__dict__.items()},
        "withheld_styles": WITHHELD,
        "training": {**train_summary, **({"continued_from": args.init} if args.init else {})},
        "vocab_size": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_documents": len(docs),
        "train_pages": sum(len(d.pages) for d in docs),
    }
    evaluation_sets = {"heldout": heldout, "dev": dev_docs} if heldout else {"train_sample": docs[:4]}
    for name, eval_docs in evaluation_sets.items():
        if eval_docs:
            summary[name] = evaluate(labeller, eval_docs)
            log(f"{name}: macro F1 {summary[name]['macro_f1']} (fields {summary[name]['macro_f1_fields']}), "
                f"accuracy {summary[name]['accuracy']}")
    summary["total_minutes"] = round((time.perf_counter() - t_start) / 60, 1)
    (out / "metrics.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    from .model_card import write_card

    write_card(out, summary, " ".join(["python -m training.train"] + (argv if argv is not None else sys.argv[1:])))
    log(f"wrote {out} in {summary['total_minutes']} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
