"""Fixed plans for ``--split samples``: together they show every variation the generator has."""

from __future__ import annotations

SAMPLE_PLANS: list[dict] = [
    {"n_forms": 1, "form_types": ["project"], "n_indicators": [24], "rubric": None,
     "style": {"table": "ruled", "orientation": "portrait", "column_order": "standard"}, "png": True},
]
