"""The Ministry of Finance's common indicator framework (共性指标框架, 财预〔2020〕10号; 成本指标
and its level-2 split since the 2021 templates): the category names nearly every form prints
in its 一级指标 and 二级指标 columns.

Reconstruction uses them to tell a level cut by a page break from a new one; normalisation
puts right an OCR slip of one glyph in one of them ("质量指", "社会收益指标").
"""

from __future__ import annotations

import re

FRAMEWORK_LEVELS = frozenset(
    "产出指标 效益指标 满意度指标 成本指标 数量指标 质量指标 时效指标 经济成本指标 社会成本指标 "
    "生态环境成本指标 经济效益指标 社会效益指标 生态效益指标 可持续影响指标 服务对象满意度指标".split()
)

# A level's text: the category, perhaps a speck read after it, then its points ("(44分)").
_LEVEL_TEXT = re.compile(r"(?P<name>[^\d(（]*?)[\s.。,，、·:：]*(?P<rest>[(（]?\s*\d.*)?")
_POINTS = re.compile(r"[(（]?\s*(?P<n>\d+(?:\.\d+)?)\s*分?\s*[)）]?")


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one substitution, insertion or deletion."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def canonical_level(text: str | None) -> str | None:
    """A level-1/level-2 category with an OCR slip of one glyph put right and its points kept,
    a lost bracket or 分 restored ("满意度指标11分" -> "满意度指标（11分）"), a category read
    twice from two rows' cells merged by a lost rule once ("效益指标效益指标"). A name one glyph
    from two categories (X量指标: 数量 or 质量?), from none (a department's own 履职效益), or
    with anything else after it is kept as printed."""
    if not text:
        return text
    m = _LEVEL_TEXT.fullmatch(text.strip())
    if m is None:
        return text
    name, rest = m["name"], m["rest"] or ""
    once = next((c for c in FRAMEWORK_LEVELS if len(name) > len(c) and name == c * (len(name) // len(c))), None)
    if once:
        name = once  # one cell per row, the rule between them lost: the category read once a row
    elif name not in FRAMEWORK_LEVELS:
        near = [c for c in FRAMEWORK_LEVELS if len(name) >= 3 and _one_edit(name, c)]
        if len(near) != 1:
            return text
        name = near[0]
    if not rest:
        return name
    points = _POINTS.fullmatch(rest)
    if points is None:
        return text
    if "(" in rest or ")" in rest:
        return f"{name}({points['n']}分)"
    return f"{name}（{points['n']}分）"
