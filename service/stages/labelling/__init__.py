"""Field labelling: every token gets a service.labels.FieldLabel.

Labellers are registered under "labellers": `classifier` (the learned layout-aware
token classifier shipped in models/, the default) and `keywords` (header-keyword
rules, the fallback). Reconstruction reads only the labels and the geometry.
"""

from __future__ import annotations

from ...document import Document
from ...registry import create, register
from . import classifier, keywords  # noqa: F401  (registers the labellers)


@register("stages", "labelling")
def make_labelling(labeller: str = "classifier", **options) -> "LabellingStage":
    return LabellingStage(create("labellers", labeller, **options))


class LabellingStage:
    def __init__(self, labeller):
        self.labeller = labeller

    def __call__(self, doc: Document) -> Document:
        return self.labeller(doc)
