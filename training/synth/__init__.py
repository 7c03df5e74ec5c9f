"""Synthetic 绩效自评表 with ground truth: the measuring stick and the training data.

content  — consistent forms (``random_form``, ``random_spec``) from realistic vocabularies (vocab)
style    — how a province's software prints them (columns, ruling, fonts, pagination habits)
compose  — a form in a style as layout sections, each cell carrying its field label
layout   — table layout and pagination: split rows, merged cells per page, markers, headers
render   — the digital PDF (fpdf2, fonts subset once by ``fonts``)
scan     — the degraded scan and the points → pixels matrix per page
document — one document end to end: truth, tokens, manifest tags
build    — the CLI (``python -m training.synth.build``); samples — the bundled sample plans
"""
