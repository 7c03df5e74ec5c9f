"""A side-by-side picture of a generated scan page next to its digital page.

    python -m training.synth.preview DOC_DIR --page 1 --out docs/scan-vs-digital.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def side_by_side(doc_dir: Path, page: int = 1, height: int = 1400) -> np.ndarray:
    import cv2
    import pypdfium2 as pdfium

    images = []
    for name in ("digital.pdf", "scan.pdf"):
        doc = pdfium.PdfDocument(str(doc_dir / name))
        p = doc[page - 1]
        scale = height / p.get_size()[1]
        img = p.render(scale=scale).to_numpy()[..., :3][..., ::-1]  # BGR(x) → RGB
        images.append(np.ascontiguousarray(img))
        doc.close()
    gap = np.full((height, 24, 3), 255, np.uint8)
    h = min(i.shape[0] for i in images)
    row = np.hstack([images[0][:h], gap[:h], images[1][:h]])
    return cv2.cvtColor(row, cv2.COLOR_RGB2BGR)


def main() -> None:
    import cv2

    ap = argparse.ArgumentParser()
    ap.add_argument("doc_dir", type=Path)
    ap.add_argument("--page", type=int, default=1)
    ap.add_argument("--height", type=int, default=1400)
    ap.add_argument("--out", type=Path, default=Path("docs/scan-vs-digital.png"))
    args = ap.parse_args()
    cv2.imwrite(str(args.out), side_by_side(args.doc_dir, args.page, args.height), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(args.out)


if __name__ == "__main__":
    main()
