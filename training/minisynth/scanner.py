"""Scans of the digital PDF: what a government office's copier makes of a form.

Each page is rendered at 150–300 dpi, then skewed (±2°), blurred, lit unevenly, given
noise and JPEG artefacts, now and then stamped (a red seal) or marked by hand, and the odd
page is fed in turned 90° or 180°. The 2x3 matrix from digital-page points to scan pixels
is kept for every page, so character labels carry over to the scan.
"""

from __future__ import annotations

import io
import math
import random

import numpy as np


def _matrix(scale: float, angle_deg: float, w: int, h: int) -> np.ndarray:
    """points → pixels: scale, then rotate by angle about the image centre (OpenCV convention)."""
    import cv2

    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    s = np.array([[scale, 0, 0], [0, scale, 0], [0, 0, 1]], dtype=np.float64)
    return np.vstack([rot, [0, 0, 1]]) @ s


def scan_page(gray: np.ndarray, scale: float, rng: random.Random, allow_turn: bool = True) -> tuple[np.ndarray, np.ndarray, dict]:
    """Degrade one rendered page (grey uint8 at ``scale`` px/pt). Returns RGB image, 2x3 matrix, what was done."""
    import cv2

    nrng = np.random.default_rng(rng.randrange(2**32))
    h, w = gray.shape
    img = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB).astype(np.float32)
    done: dict[str, object] = {}
    # Stamps and handwriting go on the paper before it is scanned.
    if rng.random() < 0.25:
        cx, cy = rng.uniform(0.55, 0.85) * w, rng.uniform(0.15, 0.85) * h
        r = int(rng.uniform(0.07, 0.1) * w)
        overlay = img.copy()
        cv2.circle(overlay, (int(cx), int(cy)), r, (200, 40, 40), max(2, r // 14))
        cv2.circle(overlay, (int(cx), int(cy)), r // 5, (200, 40, 40), -1)
        img = cv2.addWeighted(overlay, 0.45, img, 0.55, 0)
        done["stamp"] = True
    if rng.random() < 0.2:
        pts = np.array([[rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h]], dtype=np.float32)
        for _ in range(rng.randint(6, 14)):
            pts = np.vstack([pts, pts[-1] + nrng.normal(0, 0.015 * w, 2).astype(np.float32)])
        cv2.polylines(img, [pts.astype(np.int32)], False, (40, 40, 150), max(1, int(w / 800)), cv2.LINE_AA)
        done["handwriting"] = True
    angle = rng.uniform(-2.0, 2.0)
    m = _matrix(1.0, angle, w, h)[:2]
    img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    matrix = _matrix(scale, angle, w, h)
    done["skew"] = round(angle, 3)
    # Uneven light, blur, noise.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - rng.uniform(0, 0.18) * ((xx / w - rng.random()) ** 2 + (yy / h - rng.random()) ** 2)
    img = img * light[..., None] + rng.uniform(-10, 5)
    sigma = rng.uniform(0.3, 1.1)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img + nrng.normal(0, rng.uniform(2, 10), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if allow_turn and rng.random() < 0.05:
        k = rng.choice([1, 2])  # 90° counter-clockwise or 180°
        img = np.ascontiguousarray(np.rot90(img, k))
        nh, nw = img.shape[:2]
        turn = np.array([[0, 1, 0], [-1, 0, nh - 1], [0, 0, 1]], dtype=np.float64) if k == 1 else np.array(
            [[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=np.float64
        )
        matrix = turn @ matrix
        done["turned"] = 90 * k
    # JPEG round trip for its artefacts.
    quality = rng.randint(45, 88)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    img = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    done["jpeg_quality"] = quality
    return img, matrix[:2], done


def scan_pdf(digital_pdf: str, rng: random.Random, allow_turn: bool = True):
    """Render and degrade every page. Yields (rgb image, dpi, 2x3 matrix, what was done)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(digital_pdf)
    dpi = rng.choice([150, 200, 200, 240, 300])  # one scanner setting for the whole file
    try:
        for k in range(len(pdf)):
            page = pdf[k]
            bitmap = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            gray = bitmap if bitmap.ndim == 2 else bitmap[:, :, 0]
            img, matrix, done = scan_page(np.ascontiguousarray(gray), dpi / 72, rng, allow_turn)
            yield img, dpi, matrix, done
    finally:
        pdf.close()


def images_to_pdf(images: list[np.ndarray], dpis: list[int], path) -> None:
    """An image-only PDF, one JPEG page per scan (as a scanner's PDF export)."""
    from PIL import Image

    pils = [Image.fromarray(im) for im in images]
    pils[0].save(path, "PDF", save_all=True, append_images=pils[1:], resolution=float(dpis[0]), quality=80)
