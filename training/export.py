"""Export a trained classifier to ONNX, the form the service runs it in.

    python -m training.export models

The service labels with onnxruntime (already loaded for PP-OCR), so a worker needs neither
torch nor transformers in memory: that is what keeps it inside its memory budget. The
graph takes the four LayoutLM inputs (batch and length dynamic) and returns BIO
probabilities, softmax included. The export is checked against the transformers model on
a random window before it is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from service.stages.labelling.classifier import MODEL_INPUTS, ONNX_FILE, OnnxModel

TOLERANCE = 1e-4  # largest probability difference accepted between the export and the model


def export_onnx(model, out: Path) -> Path:
    """Write ``out/model.onnx`` for a LayoutLMForTokenClassification and check it agrees."""
    import torch

    class Probabilities(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, bbox, token_type_ids, attention_mask):
            logits = self.inner(input_ids=input_ids, bbox=bbox, token_type_ids=token_type_ids,
                                attention_mask=attention_mask).logits
            return torch.softmax(logits.float(), dim=-1)

    wrapped = Probabilities(model).eval()
    example = _example_batch(model.config.vocab_size, length=48)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings)
    path = Path(out) / ONNX_FILE
    with torch.no_grad():
        program = torch.onnx.export(
            wrapped, tuple(torch.from_numpy(example[k]) for k in MODEL_INPUTS),
            input_names=list(MODEL_INPUTS), output_names=["probs"],
            dynamic_shapes={k: {0: batch, 1: length} for k in MODEL_INPUTS}, dynamo=True, verbose=False,
        )
        program.save(str(path), external_data=False)
        # a longer, padded batch than the one traced: dynamic shapes and the mask must hold
        check = _example_batch(model.config.vocab_size, length=200, padded=True)
        expected = wrapped(**{k: torch.from_numpy(v) for k, v in check.items()}).numpy()
    got = OnnxModel(path)(check)
    diff = float(np.abs(got - expected).max())
    if diff > TOLERANCE:
        path.unlink()
        raise RuntimeError(f"{path}: the ONNX export differs from the model by {diff:.2e} (> {TOLERANCE})")
    return path


def _example_batch(vocab_size: int, length: int, padded: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    ids = rng.integers(5, vocab_size, (2, length))
    corner = rng.integers(0, 800, (2, length, 2))
    boxes = np.concatenate([corner, corner + rng.integers(1, 150, (2, length, 2))], axis=-1)
    types = np.zeros((2, length), dtype=np.int64)
    types[:, 1:9] = 1
    mask = np.ones((2, length), dtype=np.int64)
    if padded:
        mask[1, length // 2 :] = 0
    return {"input_ids": ids.astype(np.int64), "bbox": boxes.astype(np.int64),
            "token_type_ids": types, "attention_mask": mask}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", nargs="?", default="models", help="a directory training.train wrote")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import LayoutLMForTokenClassification

    model = LayoutLMForTokenClassification.from_pretrained(args.model_dir)
    print(export_onnx(model, Path(args.model_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
