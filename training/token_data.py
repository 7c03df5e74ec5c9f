"""Labelled pages for the token classifier: loading, OCR-like augmentation, BIO tags, windows.

Input is the generator's layout: DIR/<doc_id>/tokens.jsonl, one JSON line per page
{"page", "width", "height", "tokens": [{"text", "box" (points, top-left origin), "label"}]},
and DIR/manifest.jsonl with each document's style tags.

Augmentation makes true text-layer tokens look like what the OCR stage gives on scans:
boxes shifted, scaled and skewed with the page, jittered and tightened to the ink per
character; characters dropped, doubled or misread; runs of characters read as one token
(whose box the classifier divides evenly, as for any multi-character token).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from service.document import Token
from service.labels import BIO_TAGS, LABELS, FieldLabel
from service.stages.labelling.classifier import (
    EncodedPage,
    WindowInput,
    WindowSettings,
    build_window,
    encode_tokens,
    window_spans,
)

KEY = FieldLabel.key.value
TAG_INDEX = {tag: k for k, tag in enumerate(BIO_TAGS)}
IGNORE = -100  # positions the loss skips ([CLS], context, [SEP], padding)


@dataclass
class PageSample:
    width: float
    height: float
    texts: list[str]
    boxes: np.ndarray  # float [n, 4], points
    labels: list[str]  # FieldLabel values

    def tokens(self) -> list[Token]:
        return [
            Token.model_construct(text=t, box=tuple(b), confidence=1.0, label=None, label_confidence=None)
            for t, b in zip(self.texts, self.boxes.tolist())
        ]


@dataclass
class DocSample:
    doc_id: str
    pages: list[PageSample]
    tags: dict = field(default_factory=dict)


def load_docs(root: Path) -> list[DocSample]:
    """Every document under root that has a tokens.jsonl, with its manifest tags."""
    root = Path(root)
    tags: dict[str, dict] = {}
    manifest = root / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                tags[str(entry.get("doc_id"))] = entry
    docs = []
    for path in sorted(root.glob("*/tokens.jsonl")):
        pages = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            toks = raw["tokens"]
            valid = set(LABELS)
            pages.append(
                PageSample(
                    width=float(raw["width"]),
                    height=float(raw["height"]),
                    texts=[t["text"] for t in toks],
                    boxes=np.array([t["box"] for t in toks], dtype=np.float64).reshape(-1, 4),
                    labels=[t["label"] if t.get("label") in valid else FieldLabel.other.value for t in toks],
                )
            )
        docs.append(DocSample(doc_id=path.parent.name, pages=pages, tags=tags.get(path.parent.name, {})))
    return docs


# ---------------------------------------------------------------- augmentation


@dataclass(frozen=True)
class Augment:
    """Probabilities and sizes of the OCR-like corruptions (all 0: the page as generated)."""

    page_shift: float = 6.0  # points
    page_scale: float = 0.02
    skew_degrees: float = 0.6
    box_jitter: float = 0.12  # of a character's height
    ink_tighten: float = 0.35  # up to this share of a box's height cut away
    drop_char: float = 0.01
    double_char: float = 0.004
    misread_char: float = 0.015
    unknown_char: float = 0.004
    merge_page: float = 0.4  # share of pages whose lines are read as multi-character tokens
    merge_run: float = 0.5  # on such a page, share of same-label runs read as one token
    drop_line: float = 0.004


CONFUSABLE = {
    "0": "O8", "1": "l7I", "2": "Z", "5": "S6", "6": "5b8", "8": "3B0", "9": "g",
    ".": ",·", ",": ".，", "：": ":", "（": "(", "）": ")", "%": "％", "—": "-一", "一": "—-",
}


def augment_page(page: PageSample, rng: random.Random, aug: Augment, alphabet: list[str]) -> PageSample:
    n = len(page.texts)
    if n == 0:
        return page
    boxes = page.boxes.copy()
    heights = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    # page geometry: a small rotation about the centre, scale and shift
    theta = math.radians(rng.uniform(-aug.skew_degrees, aug.skew_degrees))
    s = 1.0 + rng.uniform(-aug.page_scale, aug.page_scale)
    dx, dy = rng.uniform(-aug.page_shift, aug.page_shift), rng.uniform(-aug.page_shift, aug.page_shift)
    cx, cy = page.width / 2, page.height / 2
    xs, ys = boxes[:, [0, 2, 0, 2]] - cx, boxes[:, [1, 1, 3, 3]] - cy
    rx = s * (xs * math.cos(theta) - ys * math.sin(theta)) + cx + dx
    ry = s * (xs * math.sin(theta) + ys * math.cos(theta)) + cy + dy
    boxes = np.stack([rx.min(1), ry.min(1), rx.max(1), ry.max(1)], axis=1)
    # per character: jitter, and tighten to the ink (OCR boxes hug the strokes)
    nrng = np.random.default_rng(rng.getrandbits(32))
    boxes += nrng.normal(0.0, aug.box_jitter, size=(n, 4)) * heights[:, None]
    cut = nrng.uniform(0.0, aug.ink_tighten, size=n) * heights
    share = nrng.uniform(0.0, 1.0, size=n)
    boxes[:, 1] += cut * share
    boxes[:, 3] -= cut * (1 - share)
    boxes[:, 2] = np.maximum(boxes[:, 2], boxes[:, 0] + 0.5)
    boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1] + 0.5)

    texts, labels, out_boxes = [], [], []
    dropped_lines = _lines_to_drop(page, rng, aug.drop_line)
    for i in range(n):
        if i in dropped_lines or rng.random() < aug.drop_char:
            continue
        text = page.texts[i]
        r = rng.random()
        if r < aug.misread_char and text:
            options = CONFUSABLE.get(text[0])
            text = rng.choice(options) if options and rng.random() < 0.6 else rng.choice(alphabet)
        elif r < aug.misread_char + aug.unknown_char:
            text = "\ue000"  # a private-use character: never in the vocabulary, reads as [UNK]
        texts.append(text)
        labels.append(page.labels[i])
        out_boxes.append(boxes[i])
        if rng.random() < aug.double_char:
            w = boxes[i][2] - boxes[i][0]
            texts.append(text)
            labels.append(page.labels[i])
            out_boxes.append(boxes[i] + np.array([w * 0.5, 0, w * 0.5, 0]))
    result = PageSample(page.width, page.height, texts, np.array(out_boxes).reshape(-1, 4), labels)
    if rng.random() < aug.merge_page:
        result = merge_runs(result, rng, aug.merge_run)
    return result


def _lines_to_drop(page: PageSample, rng: random.Random, p: float) -> set[int]:
    if p <= 0:
        return set()
    from service.geometry import group_lines

    tokens = page.tokens()
    drop: set[int] = set()
    for line in group_lines(tokens, range(len(tokens))):
        if rng.random() < p:
            drop.update(line)
    return drop


def merge_runs(page: PageSample, rng: random.Random, p: float) -> PageSample:
    """Read some runs of touching same-label characters on a line as one token (box = their union)."""
    from service.geometry import group_lines

    tokens = page.tokens()
    texts, boxes, labels = [], [], []
    for line in group_lines(tokens, range(len(tokens))):
        run: list[int] = []
        for i in line + [-1]:
            if run and i >= 0:
                prev = run[-1]
                h = page.boxes[prev][3] - page.boxes[prev][1]
                touching = page.boxes[i][0] - page.boxes[prev][2] < 0.6 * h
                if touching and page.labels[i] == page.labels[prev] and len(run) < 24:
                    run.append(i)
                    continue
            if run:
                if len(run) > 1 and rng.random() < p:
                    texts.append("".join(page.texts[k] for k in run))
                    b = page.boxes[run]
                    boxes.append([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])
                    labels.append(page.labels[run[0]])
                else:
                    for k in run:
                        texts.append(page.texts[k])
                        boxes.append(list(page.boxes[k]))
                        labels.append(page.labels[k])
            run = [i] if i >= 0 else []
    return PageSample(page.width, page.height, texts, np.array(boxes, dtype=np.float64).reshape(-1, 4), labels)


# ---------------------------------------------------------------- tags and windows


def bio_tags(page: PageSample, enc: EncodedPage) -> np.ndarray:
    """Tag index per character: an entity is a run of one label along a text line, broken by gaps."""
    tags = np.zeros(len(enc), dtype=np.int64)
    prev_owner, prev_line, prev_label = -1, -1, None
    for k in range(len(enc)):
        o, line = int(enc.owner[k]), int(enc.line[k])
        label = page.labels[o]
        if label == FieldLabel.other.value:
            tags[k] = TAG_INDEX["O"]
        else:
            begins = prev_label != label or prev_line != line
            if not begins and o != prev_owner:
                h = max(page.boxes[o][3] - page.boxes[o][1], 1.0)
                begins = page.boxes[o][0] - page.boxes[prev_owner][2] > 1.0 * h
            tags[k] = TAG_INDEX[("B-" if begins else "I-") + label]
        prev_owner, prev_line, prev_label = o, line, label
    return tags


def labels_to_bio(labels: list[str], boxes: np.ndarray, order: list[list[int]]) -> list[str]:
    """BIO tags for tokens (reading order given as text lines), with bio_tags' entity rule."""
    out = ["O"] * len(labels)
    for line in order:
        prev = None
        for i in line:
            label = labels[i]
            if label == FieldLabel.other.value:
                out[i] = "O"
            else:
                begins = prev is None or labels[prev] != label
                if not begins:
                    h = max(boxes[i][3] - boxes[i][1], 1.0)
                    begins = boxes[i][0] - boxes[prev][2] > 1.0 * h
                out[i] = ("B-" if begins else "I-") + label
            prev = i
    return out


@dataclass
class TrainingWindow:
    window: WindowInput
    tags: list[int]  # one per model position, IGNORE outside the page characters


def doc_windows(
    doc: DocSample,
    settings: WindowSettings,
    vocab: dict[str, int],
    rng: random.Random | None = None,
    aug: Augment | None = None,
    alphabet: list[str] | None = None,
    context_dropout: float = 0.1,
) -> list[TrainingWindow]:
    """The training windows of one document; with rng, augmented and at random offsets.

    Context is the true KEY characters before each window, carried across pages, as the
    labeller carries its predicted ones.
    """
    key_index = {TAG_INDEX["B-" + KEY], TAG_INDEX["I-" + KEY]}
    ctx_ids: list[int] = []
    ctx_boxes: list[list[int]] = []
    out: list[TrainingWindow] = []
    for page in doc.pages:
        if rng is not None and aug is not None:
            page = augment_page(page, rng, aug, alphabet or ["0"])
        enc = encode_tokens(page.tokens(), page.width, page.height, vocab)
        if len(enc) == 0:
            continue
        tags = bio_tags(page, enc)
        is_key = np.isin(tags, list(key_index))
        spans = window_spans(len(enc), settings)
        if rng is not None and len(spans) > 1:
            spans = _shifted_spans(len(enc), settings, rng)
        for start, end in spans:
            keys = np.flatnonzero(is_key[:start])
            c_ids = (ctx_ids + enc.ids[keys].tolist())[-settings.context :] if settings.context else []
            c_boxes = (ctx_boxes + enc.boxes[keys].tolist())[-settings.context :] if settings.context else []
            if rng is not None and rng.random() < context_dropout:
                cut = rng.randrange(len(c_ids) + 1)
                c_ids, c_boxes = c_ids[cut:], c_boxes[cut:]
            window = build_window(enc, (start, end), c_ids, c_boxes, vocab)
            window_tags = [IGNORE] * window.body_start + tags[start:end].tolist() + [IGNORE]
            out.append(TrainingWindow(window=window, tags=window_tags))
        if settings.context:
            keys = np.flatnonzero(is_key)
            ctx_ids = (ctx_ids + enc.ids[keys].tolist())[-settings.context :]
            ctx_boxes = (ctx_boxes + enc.boxes[keys].tolist())[-settings.context :]
    return out


def _shifted_spans(n: int, settings: WindowSettings, rng: random.Random) -> list[tuple[int, int]]:
    """Inference-like spans at a random phase, so every offset of a page gets trained on."""
    body = settings.body
    stride = min(settings.stride, body)
    starts = {0, n - body}
    start = rng.randrange(stride)
    while start < n - body:
        starts.add(start)
        start += stride
    return [(s, s + body) for s in sorted(starts)]


def with_labels(page: PageSample, labels: list[str]) -> PageSample:
    return replace(page, labels=labels)
