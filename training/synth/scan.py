"""Scan simulation: render the digital PDF, then degrade it like a office scanner would.

Per page: paper tone and uneven light, faint red stamps or pen strokes over cells, skew up
to ±2°, blur, noise and specks, JPEG compression, and now and then a page fed in turned by
90° or 180°. Every page records the 2x3 matrix taking digital-page points to pixels of the
final image, so character boxes carry over to the scan.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np


@dataclass
class ScanPage:
    jpeg: bytes
    width: int  # pixels of the final (possibly turned) image
    height: int
    dpi: int
    matrix: list[list[float]]  # 2x3: [x_px, y_px] = M @ [x_pt, y_pt, 1]
    rotation: int  # degrees the page was turned (counter-clockwise) on the glass
    skew: float
    stamp: bool = False
    strokes: bool = False
    bitonal: bool = False

    def image(self) -> np.ndarray:
        import cv2

        return cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_UNCHANGED)


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ∘ b for 2x3 affine matrices (b applied first)."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return (a3 @ b3)[:2]


def _light(h: int, w: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    import cv2

    coarse = rng.uniform(1 - strength, 1.0, size=(4, 3)).astype(np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(field, 1 - strength * 1.2, 1.0)


def _stamp(img: np.ndarray, rng: np.random.Generator, scale: float) -> None:
    """A faint red seal: double ring, star and an arc of text-like ticks, blended in place."""
    import cv2

    h, w = img.shape[:2]
    r = int(rng.uniform(55, 80) * scale)
    cx = int(rng.uniform(0.45, 0.85) * w)
    cy = int(rng.uniform(0.25, 0.92) * h)
    layer = np.zeros((h, w), np.uint8)
    thick = max(2, int(3 * scale))
    cv2.circle(layer, (cx, cy), r, 255, thick, cv2.LINE_AA)
    cv2.circle(layer, (cx, cy), int(r * 0.88), 255, max(1, thick // 2), cv2.LINE_AA)
    star = [(cx + int(r * 0.25 * math.cos(a)), cy + int(r * 0.25 * math.sin(a))) for a in np.linspace(-math.pi / 2, 1.5 * math.pi, 6)[:-1]]
    order = [star[i] for i in (0, 2, 4, 1, 3)]
    cv2.fillPoly(layer, [np.array(order, np.int32)], 255)
    for a in np.linspace(math.pi * 1.15, math.pi * 1.85 + math.pi, 16):
        x0, y0 = cx + int(r * 0.62 * math.cos(a)), cy + int(r * 0.62 * math.sin(a))
        cv2.rectangle(layer, (x0 - int(5 * scale), y0 - int(5 * scale)), (x0 + int(5 * scale), y0 + int(5 * scale)), 255, max(1, thick // 2))
    alpha = (layer.astype(np.float32) / 255.0) * rng.uniform(0.35, 0.7)
    red = np.array([205, 40, 45], np.float32)
    for c in range(3):
        img[..., c] = (img[..., c] * (1 - alpha) + np.minimum(img[..., c], red[c]) * alpha).astype(np.uint8)


def _strokes(img: np.ndarray, rng: np.random.Generator, scale: float, boxes: list[tuple[float, float, float, float]]) -> None:
    """Pen ticks, circles and underlines over a few cells (handwriting-like marks)."""
    import cv2

    colour = (30, 40, 150) if img.ndim == 3 and rng.random() < 0.6 else (40, 40, 40)
    for _ in range(int(rng.integers(1, 4))):
        if boxes:
            x0, y0, x1, y1 = boxes[int(rng.integers(0, len(boxes)))]
        else:
            x0, y0, x1, y1 = 100, 100, 300, 130
        x0, y0, x1, y1 = x0 * scale, y0 * scale, x1 * scale, y1 * scale
        kind = rng.random()
        pts = []
        if kind < 0.4:  # a tick
            pts = [(x1 - 20 * scale, (y0 + y1) / 2), (x1 - 14 * scale, y1 - 2 * scale), (x1 + 2 * scale, y0 - 6 * scale)]
        elif kind < 0.7:  # an underline
            pts = [(x0 + t * (x1 - x0), y1 + 1.5 * scale + math.sin(t * 9) * 1.2 * scale) for t in np.linspace(0, 1, 12)]
        else:  # a loose ellipse round the cell text
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 + 4 * scale, (y1 - y0) / 2 + 3 * scale
            pts = [(cx + rx * math.cos(a), cy + ry * math.sin(a) * (1 + 0.05 * math.sin(3 * a))) for a in np.linspace(0.2, 2 * math.pi + 0.5, 40)]
        arr = np.array(pts, np.int32).reshape(-1, 1, 2)
        cv2.polylines(img, [arr], False, colour if img.ndim == 3 else 40, max(1, int(1.3 * scale)), cv2.LINE_AA)


def scan_document(pdf: bytes, rng: random.Random, glyph_boxes: list[list[tuple[float, float, float, float]]] | None = None,
                  dpi: int | None = None, rotate_rate: float = 0.05, extras: random.Random | None = None) -> list[ScanPage]:
    """Scan every page of a PDF. ``glyph_boxes`` (points, per page) place pen marks over text;
    ``extras`` (a separate stream) switches on rarer scanner habits such as bitonal output."""
    import cv2
    import pypdfium2 as pdfium

    dpi = dpi or rng.choice([150, 200, 200, 240, 300])
    colour_doc = rng.random() < 0.35
    quality = rng.randint(30, 85)
    np_rng = np.random.default_rng(rng.getrandbits(32))
    bitonal = extras is not None and extras.random() < 0.12  # fax-like black/white scans
    bitonal_bias = extras.uniform(-12, 12) if extras is not None else 0.0
    out: list[ScanPage] = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for p in range(len(doc)):
            page = doc[p]
            scale = dpi / 72.0
            bitmap = page.render(scale=scale, grayscale=not colour_doc)
            img = bitmap.to_numpy().copy()
            if img.ndim == 3:
                img = img[..., :3][..., ::-1].copy() if img.shape[2] >= 3 else img[..., 0].copy()  # BGR(x) → RGB
            h, w = img.shape[:2]
            boxes = (glyph_boxes or [[]] * len(doc))[p]
            has_stamp = rng.random() < 0.2
            has_strokes = rng.random() < 0.15
            if img.ndim == 2 and has_stamp:
                img = np.repeat(img[..., None], 3, axis=2)
            if has_stamp:
                _stamp(img, np_rng, scale / 2.0)
            if has_strokes:
                _strokes(img, np_rng, scale, _cell_boxes(boxes, rng))
            # paper, ink and light
            f = img.astype(np.float32)
            paper = rng.uniform(225, 250)
            ink = rng.uniform(10, 60)
            f = ink + (paper - ink) * (f / 255.0) ** rng.uniform(0.8, 1.4)
            light = _light(h, w, np_rng, rng.uniform(0.0, 0.18))
            f *= light[..., None] if f.ndim == 3 else light
            # skew about the centre
            angle = rng.uniform(-2.0, 2.0) if rng.random() < 0.85 else 0.0
            skew = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            border = float(paper * 0.97)
            f = cv2.warpAffine(f, skew, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(border, border, border))
            sigma = rng.uniform(0.2, 1.1) * scale / 2.8
            if sigma > 0.3:
                f = cv2.GaussianBlur(f, (0, 0), sigma)
            noise = np_rng.normal(0, rng.uniform(2, 9), size=(h, w)).astype(np.float32)
            f += noise[..., None] if f.ndim == 3 else noise
            specks = np_rng.random((h, w)) < rng.uniform(0, 0.0004)
            f[specks] = ink
            img = np.clip(f, 0, 255).astype(np.uint8)
            if bitonal:
                gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
                level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
                img = np.where(gray > level + bitonal_bias, 255, 0).astype(np.uint8)
            matrix = _compose(skew, np.array([[scale, 0, 0], [0, scale, 0]], float))
            rotation = 0
            if rng.random() < rotate_rate:
                rotation = rng.choice([90, 180, 270])
                k = rotation // 90
                img = np.ascontiguousarray(np.rot90(img, k))
                if k == 1:
                    turn = np.array([[0, 1, 0], [-1, 0, w]], float)
                elif k == 2:
                    turn = np.array([[-1, 0, w], [0, -1, h]], float)
                else:
                    turn = np.array([[0, -1, h], [1, 0, 0]], float)
                matrix = _compose(turn, matrix)
            bgr = img[..., ::-1] if img.ndim == 3 else img
            ok, enc = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            out.append(ScanPage(jpeg=enc.tobytes(), width=img.shape[1], height=img.shape[0], dpi=dpi,
                                matrix=[[round(v, 6) for v in row] for row in matrix.tolist()], rotation=rotation, skew=round(angle, 4),
                                stamp=has_stamp, strokes=has_strokes, bitonal=bitonal))
    finally:
        doc.close()
    return out


def _cell_boxes(boxes: list[tuple[float, float, float, float]], rng: random.Random) -> list[tuple[float, float, float, float]]:
    """A few runs of characters (a word's worth) to mark."""
    if not boxes:
        return []
    picks = []
    for _ in range(4):
        i = rng.randrange(len(boxes))
        run = boxes[i : i + rng.randint(2, 6)]
        picks.append((min(b[0] for b in run), min(b[1] for b in run), max(b[2] for b in run), max(b[3] for b in run)))
    return picks


def scan_pdf(pages: list[ScanPage]) -> bytes:
    """An image-only PDF: each page one JPEG at its scan resolution."""
    from fpdf import FPDF

    from .render import FIXED_DATE

    pdf = FPDF(unit="pt")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    for page in pages:
        w, h = page.width * 72.0 / page.dpi, page.height * 72.0 / page.dpi
        pdf.add_page(format=(w, h))
        pdf.image(io.BytesIO(page.jpeg), x=0, y=0, w=w, h=h)
    return bytes(pdf.output())
