"""The document model every pipeline stage enriches.

ingest fills ``pages`` (size, image, text-layer tokens), ruling finds ruled ``tables``,
ocr adds ``tokens`` to image pages, layout puts tokens into cells (and builds tables
from text geometry where no ruling exists), labelling sets ``Token.label``,
reconstruct fills ``forms``. Nothing else passes between stages.

Boxes are (x0, y0, x1, y1) in PDF points from the top-left of the upright page.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .contract import Box, Form


class Token(BaseModel):
    """One character (or an unsplittable run) with its box."""

    text: str
    box: Box
    confidence: float = 1.0
    label: str | None = None  # a service.labels.FieldLabel value, set by labelling
    label_confidence: float | None = None


class Cell(BaseModel):
    """A table cell: grid position, span, and the tokens inside it (indices into Page.tokens)."""

    box: Box
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    tokens: list[int] = Field(default_factory=list)


class Table(BaseModel):
    box: Box
    ruled: bool = True  # False: cells were inferred from text geometry
    row_edges: list[float] = Field(default_factory=list)
    col_edges: list[float] = Field(default_factory=list)
    cells: list[Cell] = Field(default_factory=list)


class Page(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    number: int  # 1-based
    width: float  # points
    height: float
    text_source: Literal["text_layer", "ocr"] = "ocr"
    rotation: int = 0  # degrees the page was turned to make it upright
    skew: float = 0.0  # degrees of skew removed
    scale: float = 1.0  # image pixels per point
    image: Any = Field(default=None, exclude=True, repr=False)  # upright grey/RGB np.ndarray
    tokens: list[Token] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    lines: list[list[int]] = Field(default_factory=list)  # text lines of tokens in no table cell
    warnings: list[str] = Field(default_factory=list)

    def pixel_box(self, box: Box) -> tuple[int, int, int, int]:
        s = self.scale
        return (int(box[0] * s), int(box[1] * s), int(round(box[2] * s)), int(round(box[3] * s)))

    @property
    def gray(self) -> np.ndarray | None:
        if self.image is None:
            return None
        img = self.image
        if img.ndim == 3:
            import cv2

            return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        return img


class Document(BaseModel):
    source: str
    pages: list[Page] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
