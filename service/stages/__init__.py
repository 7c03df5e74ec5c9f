"""The pipeline stages, one module each; importing them registers their factories."""

from . import ingest, labelling, layout, reconstruct, ruling  # noqa: F401
from . import checks, normalise  # noqa: F401
from . import ocr  # noqa: F401
