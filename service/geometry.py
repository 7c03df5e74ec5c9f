"""Small geometry helpers shared by the stages: boxes, reading order, text lines."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

from .contract import Box
from .document import Token


def union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def center(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def contains(outer: Box, x: float, y: float, slack: float = 0.0) -> bool:
    return outer[0] - slack <= x <= outer[2] + slack and outer[1] - slack <= y <= outer[3] + slack


def char_height(tokens: Sequence[Token], ids: Sequence[int] | None = None) -> float:
    ids = range(len(tokens)) if ids is None else ids
    heights = [tokens[i].box[3] - tokens[i].box[1] for i in ids]
    return median(heights) if heights else 10.0


def group_lines(tokens: Sequence[Token], ids: Sequence[int]) -> list[list[int]]:
    """Group token indices into text lines (top to bottom), each sorted left to right.

    A token joins a line when its vertical centre lies within the line's band; vertical
    text written one character per line becomes one line per character, which joins
    back in the right order.
    """
    order = sorted(ids, key=lambda i: (center(tokens[i].box)[1], tokens[i].box[0]))
    lines: list[list[int]] = []
    bands: list[tuple[float, float]] = []
    for i in order:
        b = tokens[i].box
        h = max(b[3] - b[1], 0.1)
        # Same line when the boxes overlap by half the smaller height: a quote mark or
        # a comma sits high or low in its line but still overlaps it. A mark that small may
        # overlap two lines printed at different heights (cells centred beside a wrapped
        # one): it sits on the top or the baseline of its own.
        candidates = [
            k for k in range(len(lines) - 1, max(-1, len(lines) - 3), -1)
            if min(bands[k][1], b[3]) - max(bands[k][0], b[1]) >= 0.5 * min(h, bands[k][1] - bands[k][0])
        ]
        if candidates:
            k = min(candidates, key=lambda k: min(abs(b[1] - bands[k][0]), abs(b[3] - bands[k][1])))
            lines[k].append(i)
            bands[k] = (min(bands[k][0], b[1]), max(bands[k][1], b[3]))
        else:
            lines.append([i])
            bands.append((b[1], b[3]))
    for line in lines:
        line.sort(key=lambda i: tokens[i].box[0])
    lines.sort(key=lambda line: min(tokens[i].box[1] for i in line))
    return lines


def line_text(tokens: Sequence[Token], line: Sequence[int]) -> str:
    return "".join(tokens[i].text for i in line)


def text_of(tokens: Sequence[Token], ids: Sequence[int]) -> str:
    """A cell's text as printed: lines top to bottom, joined without separators."""
    return "".join(line_text(tokens, line) for line in group_lines(tokens, ids))
