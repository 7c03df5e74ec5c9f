"""Normalisation: indicator targets and actuals as values users can compute with.

"≥560万字（每种语言≥70万字）" becomes operator ≥, number 560, unit 万字 (base unit 字,
factor 10000) with a sub-target 每种语言 ≥70万字; "2020年5月底前" a deadline ≤ 2020-05;
"基本实现" a qualitative grade whose attainment is "mostly". ``compare`` then says whether
an actual met its target, converting units (万字 vs 字, 万元 vs 元, 分钟 vs 小时) and
filling a deadline's missing year from the form's.

The grammar runs inside one spaCy component (``jixiao_value_grammar``) of a blank ``zh``
pipeline with the default char segmenter, so nothing is downloaded. Text is NFKC-normalised
first; the component writes ``Doc._.value`` (the :class:`ParsedValue`), one span per
clause in ``doc.spans["value_clauses"]`` with ``Span._.value``, and the recognised pieces
(OP, NUM, UNIT, DATE, GRADE, SCOPE …) in ``doc.spans["value_parts"]``. The grammar and
the expected parses of several hundred printed values are listed in docs/normalisation.md;
the table itself is tests/data/values.jsonl.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..document import Document
from ..framework import canonical_level
from ..registry import register

Kind = Literal["number", "percent", "date", "deadline", "boolean", "qualitative", "text", "empty"]
Operator = Literal["≥", "≤", "=", ">", "<", "≠"]
Attainment = Literal["full", "mostly", "partly", "none"]


class ParsedValue(BaseModel):
    """One printed target or actual value, parsed.

    ``number × factor`` is the value in ``base_unit`` (万字 → 字 × 10000, 小时 → 秒 × 3600).
    Dates are ISO 8601 strings at the precision printed: ``2020-05-07``, ``2020-05``,
    ``2020``, and ``--05`` / ``--05-07`` where the year is not printed (the form's year
    fills it when comparing). A deadline is a date with an operator: "6月前" is ``< --06``
    (before June), "6月底前" is ``≤ --06``.
    """

    raw: str | None = Field(default=None, description="The text as printed")
    kind: Kind
    operator: Operator | None = None
    number: float | None = None
    number_max: float | None = Field(default=None, description="Upper end of a range (90%-95%, 3~5天)")
    unit: str | None = None
    base_unit: str | None = None
    factor: float | None = None
    date: str | None = None
    date_end: str | None = Field(default=None, description="End of a date range (2020年8-12月)")
    boolean: bool | None = None
    grade: str | None = Field(default=None, description="Qualitative grade as printed: 基本实现, 达成, 较好 …")
    attainment: Attainment | None = Field(default=None, description="What the grade says: full | mostly | partly | none")
    scope: str | None = Field(default=None, description="What the value is about: 每种语言, 英文版, 共计完成 …")
    sub_targets: list["ParsedValue"] = Field(default_factory=list)

    @property
    def base_number(self) -> float | None:
        if self.number is None:
            return None
        return self.number * (self.factor if self.factor is not None else 1.0)

    def as_dict(self) -> dict[str, Any]:
        """The compact form kept beside the raw text in the contract (nulls dropped)."""
        out = self.model_dump(exclude_none=True, exclude={"sub_targets"})
        if self.sub_targets:
            out["sub_targets"] = [s.as_dict() for s in self.sub_targets]
        return out


# --------------------------------------------------------------------------- lexicon

# Units after an optional multiplier; value = (base unit, factor to the base).
UNITS: dict[str, tuple[str, float]] = {
    "%": ("%", 1.0),
    "‰": ("%", 0.1),
    "个百分点": ("个百分点", 1.0),
    "百分点": ("个百分点", 1.0),
    "元": ("元", 1.0),
    "字": ("字", 1.0),
    "秒": ("秒", 1.0),
    "秒钟": ("秒", 1.0),
    "分钟": ("秒", 60.0),
    "min": ("秒", 60.0),
    "小时": ("秒", 3600.0),
    "个小时": ("秒", 3600.0),
    "h": ("秒", 3600.0),
    "天": ("秒", 86400.0),
    "日": ("秒", 86400.0),
    "周": ("秒", 604800.0),
    "个工作日": ("工作日", 1.0),
    "工作日": ("工作日", 1.0),
    "个月": ("月", 1.0),
    "月": ("月", 1.0),
    "个季度": ("月", 3.0),
    "季度": ("月", 3.0),
    "年": ("月", 12.0),
    "米": ("米", 1.0),
    "公里": ("米", 1000.0),
    "km": ("米", 1000.0),
    "克": ("克", 1.0),
    "公斤": ("克", 1000.0),
    "kg": ("克", 1000.0),
    "吨": ("克", 1e6),
    "平方米": ("平方米", 1.0),
    "立方米": ("立方米", 1.0),
    "微克/立方米": ("微克/立方米", 1.0),
    "毫克/升": ("毫克/升", 1.0),
    "m2": ("平方米", 1.0),
    "m²": ("平方米", 1.0),
    "亩": ("平方米", 666.6666666666666),
    "公顷": ("平方米", 10000.0),
    "MB": ("GB", 1 / 1024),
    "GB": ("GB", 1.0),
    "TB": ("GB", 1024.0),
    "G": ("GB", 1.0),
    "T": ("GB", 1024.0),
    "Mbps": ("Mbps", 1.0),
    "M": ("Mbps", 1.0),
    "Gbps": ("Mbps", 1000.0),
}
# Counted things: each its own base unit.
COUNT_UNITS = (
    "台/套 台套 人次 户次 家次 场次 批次 车次 架次 人天 人日 课时 学时 语种 "
    "个 次 项 份 期 条 页 台 套 人 户 家 件 篇 场 批 本 册 张 部 种 名 所 座 辆 处 门 类 组 位 "
    "棵 株 单 笔 宗 起 例 床 间 栋 轮 届 节 幅 首 集 分 个点 点 根 块 把 双 只 头 盏 枚 卷 帧 人数"
).split()
for _u in COUNT_UNITS:
    UNITS.setdefault(_u, (_u, 1.0))
# The second half of a rate unit: 元/人, 小时/日, 次/年.
PER_UNITS = "人 人次 台 套 次 年 月 日 天 周 小时 件 户 家 个 项 平方米 吨 公里 km 期 场 批".split()
MULTIPLIERS: dict[str, float] = {"百万": 1e6, "千万": 1e7, "十万": 1e5, "万": 1e4, "亿": 1e8, "千": 1e3}

_OPERATOR_WORDS: dict[str, Operator | None] = {
    "≥": "≥", "大于或等于": "≥", "大于等于": "≥", "不低于": "≥", "不少于": "≥", "不小于": "≥",
    "至少": "≥", "最少": "≥", "最低": "≥", "达到": "≥", "达": "≥",
    "≤": "≤", "小于或等于": "≤", "小于等于": "≤", "不超过": "≤", "不高于": "≤", "不大于": "≤",
    "不多于": "≤", "最多": "≤", "最高": "≤",
    ">": ">", "高于": ">", "大于": ">", "超过": ">", "多于": ">",
    "<": "<", "低于": "<", "小于": "<", "少于": "<",
    "≠": "≠", "不等于": "≠", "=": "=", "等于": "=",
    # Neutral words that only frame the value; a suffix (以内) may still give the operator.
    "控制在": None, "保持在": None, "约": None,
}
_SUFFIX_WORDS: dict[str, Operator | None] = {
    "及以上": "≥", "或以上": "≥", "以上": "≥",
    "及以下": "≤", "或以下": "≤", "以下": "≤", "及以内": "≤", "以内": "≤", "之内": "≤", "内": "≤",
    "左右": None, "为宜": None,
}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

# Qualitative grades; the first alternative that matches at a position wins, so the
# negated and hedged forms come before the plain ones (不符合 before 符合, 基本实现 before 实现).
_GRADE_LEVELS: list[tuple[Attainment, str]] = [
    (
        "none",
        r"未能?(?:达成|达到|实现|完成|通过验收|通过|达标|开展|按时完成|按期完成)|"
        r"不(?:符合|合格|满意|达标|及格|好|明显|显著|理想|到位|及时|规范|完善|稳定|健全)|较差|差|无效|失败",
    ),
    ("partly", r"部分(?:达成|达到|实现|完成|符合)|有待(?:提高|提升|改善|加强)|一般|中等|及格"),
    (
        "mostly",
        r"基本(?:按时完成|达成|达到|实现|完成|符合|满意|合格|达标|正常|保障)|较好|较高|良好|比较满意|较满意|"
        r"效果较好|有所(?:提高|提升|改善|增强|增加|降低|减少|下降)|一定程度(?:提高|提升|改善)",
    ),
    (
        "full",
        r"(?:全部|已经|已|均|按时|按期|如期|顺利|圆满|全面)?(?:达成|达到|实现|完成|符合|通过验收|验收合格|验收通过|验收|通过|合格|达标)|"
        r"非常满意|满意|优秀|优良|优|很好|好|效果(?:明显|显著|良好)|"
        r"(?:有效|明显|显著|大幅|进一步|持续|不断|稳步|逐步|切实|大大)?(?:提高|提升|改善|增强|加强|优化|降低|减少|下降|增加|完善|保障|节约)|"
        r"合理|规范|健全|及时|按时|按期|准时|正常|稳定|有效|明显|显著|高",
    ),
]
GRADE_RE = re.compile("|".join(f"(?P<{level}>{pattern})" for level, pattern in _GRADE_LEVELS))
_ATTAINMENT_RANK: dict[str, int] = {"none": 0, "partly": 1, "mostly": 2, "full": 3}

_TOTAL_SCOPE = re.compile(r"^(?:共计|合计|总计|累计|总共|共|总数|总量|总)")
_DASHES = re.compile(r"^[—―－\-–_/／\\、.。…·]*$")
_BOOLEANS = {"是": True, "否": False, "有": True, "无": False, "yes": True, "no": False, "y": True, "n": False,
             "√": True, "✓": True, "×": False, "✗": False}


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_UNIT = f"(?:{_alternation(list(UNITS))})"
_UNIT_ALT = (
    f"(?:(?:{_alternation(list(MULTIPLIERS))})?{_UNIT}(?:/(?:{_alternation(PER_UNITS)}))?"
    f"|(?:{_alternation(list(MULTIPLIERS))}))"
)
_NUM = r"(?:\d+(?:\.\d+)?)"
_CN_NUM = r"(?:[零〇一二两三四五六七八九十百千]+(?=" + _UNIT_ALT + r"))"


def _numeric_re(num: str, scoped: bool) -> re.Pattern[str]:
    # Chinese numerals only stand alone (两次, ≥三次): inside words they are not numbers (统一, 一站式)
    return re.compile(
        (r"^(?P<scope>.*?)" if scoped else r"^(?P<scope>)")
        + rf"(?P<op>{_alternation(list(_OPERATOR_WORDS))})?"
        + rf"(?P<num>-?{num})(?P<unit1>{_UNIT_ALT})?"
        + rf"(?:(?P<sep>-|~|至|到)(?P<num2>{num}))?(?P<unit>{_UNIT_ALT})?"
        + rf"(?P<suffix>{_alternation(list(_SUFFIX_WORDS))})?"
        + (r"(?P<trail>[^\d≥≤<>=]{0,6})$" if scoped else r"(?P<trail>)$")
    )


NUMERIC_RE = _numeric_re(_NUM, scoped=True)
CN_NUMERIC_RE = _numeric_re(_CN_NUM, scoped=False)

_TIME_UNITS = ["年", "个月", "天", "日", "个小时", "小时", "分钟", "分", "秒"]
COMPOUND_RE = re.compile(
    rf"^(?P<op>{_alternation(list(_OPERATOR_WORDS))})?(?P<n1>\d+)(?P<big>{_alternation(_TIME_UNITS)})"
    rf"(?P<n2>\d+(?:\.\d+)?)(?P<small>{_alternation(_TIME_UNITS)})(?P<suffix>{_alternation(list(_SUFFIX_WORDS))})?$"
)

# Dates. Precision is whatever is printed; 底/末/下旬 keep month precision, 上旬/初 → day 10.
_YEAR = r"(?:19|20)\d{2}"
_DAY_PART = r"底|末|初|上旬|中旬|下旬"
DATE_CN = re.compile(
    rf"(?:(?P<y>{_YEAR})年度?)?(?:(?P<m>\d{{1,2}})月份?(?:(?P<d>\d{{1,2}})[日号]|(?P<part>{_DAY_PART}))?)?"
)
DATE_ISO = re.compile(rf"(?P<y>{_YEAR})[.\-/](?P<m>\d{{1,2}})(?:[.\-/](?P<d>\d{{1,2}})[日号]?)?")
MONTH_RANGE = re.compile(rf"(?:(?P<y>{_YEAR})年)?(?P<m1>\d{{1,2}})月?[-~至到](?P<m2>\d{{1,2}})月")
PERIOD_WORDS: dict[str, tuple[int | None, int]] = {
    # word → (first month or None for a point, last month)
    "上半年": (1, 6),
    "下半年": (7, 12),
    "年中": (None, 6),
    "年底": (None, 12),
    "年末": (None, 12),
    "年终": (None, 12),
    "年内": (None, 12),
    "年度内": (None, 12),
    "本年度内": (None, 12),
    "本年内": (None, 12),
    "当年内": (None, 12),
}
_QUARTER = re.compile(r"(?:第?(?P<q>[一二三四1234])季度|Q(?P<qq>[1-4]))")
DATE_PREFIX = re.compile(r"^(?:截至|截止到|截止于|截止|不晚于|最迟于|最迟|最晚|于|在|当年|本年度|本年|今年)")
_NEUTRAL_DATE_PREFIX = ("于", "在", "当年", "本年度", "本年", "今年")
DATE_SUFFIX = re.compile(r"^(?:之前|以前|前|以内|之内|内)")
_RANGE_SEP = re.compile(r"^(?:-|~|至|到)")


# --------------------------------------------------------------------------- text prep


def prepare(text: str) -> str:
    """NFKC, then the clean-ups printed values need: quotes and spaces dropped, symbol
    variants unified, thousands separators removed."""
    t = unicodedata.normalize("NFKC", text)
    for old, new in (
        ("≧", "≥"), ("⩾", "≥"), (">=", "≥"), ("=>", "≥"), ("≥=", "≥"),
        ("≦", "≤"), ("⩽", "≤"), ("<=", "≤"), ("=<", "≤"), ("≤=", "≤"),
        ("!=", "≠"), ("−", "-"), ("–", "-"), ("—", "-"), ("―", "-"), ("〜", "~"),
        ("﹪", "%"), ("。", ";"), ("；", ";"), ("，", ","), ("：", ":"),
    ):
        t = t.replace(old, new)
    t = re.sub(r"[\s‘’“”'\"`´¥￥]+", "", t)
    t = _arabic_dates(t)
    t = re.sub(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d])", lambda m: m.group(1).replace(",", ""), t)
    return t.strip(";,.、")


_CN_NUMERAL = "零〇一二两三四五六七八九十"
_CN_YEAR = re.compile(r"([零〇一二三四五六七八九]{4})年")
_CN_MONTH_DAY = re.compile(rf"(?:(?<=年)|(?<=^)|(?<=[,;:(]))([{_CN_NUMERAL}]{{1,3}})月(?:([{_CN_NUMERAL}]{{1,3}})[日号])?")


def _arabic_dates(t: str) -> str:
    """Dates written in Chinese numerals (二〇二〇年十二月三十一日) in Arabic digits."""
    t = _CN_YEAR.sub(lambda m: f"{int(cn_number(m.group(1)) or 0)}年", t)

    def month_day(m: re.Match[str]) -> str:
        month = cn_number(m.group(1))
        day = cn_number(m.group(2)) if m.group(2) else None
        if month is None or not 1 <= month <= 12 or (m.group(2) and (day is None or not 1 <= day <= 31)):
            return m.group(0)
        return f"{int(month)}月" + (f"{int(day)}日" if day else "")

    return _CN_MONTH_DAY.sub(month_day, t)


def cn_number(text: str) -> float | None:
    """Chinese numerals up to the thousands: 两 → 2, 十二 → 12, 一百零五 → 105."""
    if text and all(ch in _CN_DIGITS for ch in text):
        return float("".join(str(_CN_DIGITS[ch]) for ch in text))  # digit by digit: 二〇二〇
    total, current, seen = 0, 0, False
    for ch in text:
        if ch in _CN_DIGITS:
            current, seen = _CN_DIGITS[ch], True
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current, seen = 0, True
        else:
            return None
    return float(total + current) if seen else None


def unit_base(unit: str | None) -> tuple[str | None, float | None]:
    """(base unit, factor) for a printed unit, multiplier included: 万元 → (元, 10000)."""
    if not unit:
        return None, None
    factor = 1.0
    for mult in sorted(MULTIPLIERS, key=len, reverse=True):
        if unit.startswith(mult) and unit != mult and unit[len(mult):].split("/")[0] in UNITS:
            factor, unit = MULTIPLIERS[mult], unit[len(mult):]
            break
    else:
        if unit in MULTIPLIERS:
            return None, MULTIPLIERS[unit]
    if "/" in unit and unit not in UNITS:
        return unit, factor  # a rate (元/人): its own base
    base, f = UNITS.get(unit, (unit, 1.0))
    return base, factor * f


# --------------------------------------------------------------------------- grammar


@dataclass
class Piece:
    """A recognised part of the prepared text, as character offsets."""

    start: int
    end: int
    label: str


@dataclass
class Clause:
    start: int
    end: int
    value: ParsedValue
    pieces: list[Piece]


def _iso(y: int | None, m: int | None = None, d: int | None = None) -> str:
    if y is not None:
        return f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{d:02d}" if m and d else "")
    return f"--{m:02d}" + (f"-{d:02d}" if d else "")


@dataclass
class _DateMatch:
    end: int
    y: int | None
    m: int | None
    d: int | None
    part: str | None = None
    end_y: int | None = None
    end_m: int | None = None
    end_d: int | None = None


def _valid(m: int | None, d: int | None) -> bool:
    return (m is None or 1 <= m <= 12) and (d is None or 1 <= d <= 31)


def _day_of(part: str | None) -> int | None:
    return {"初": 10, "上旬": 10, "中旬": 20}.get(part or "")


def _scan_one_date(s: str, i: int) -> _DateMatch | None:
    rng = MONTH_RANGE.match(s, i)
    if rng:
        y = int(rng["y"]) if rng["y"] else None
        m1, m2 = int(rng["m1"]), int(rng["m2"])
        if _valid(m1, None) and _valid(m2, None) and m1 < m2:
            return _DateMatch(rng.end(), y, m1, None, end_y=y, end_m=m2)
    iso = DATE_ISO.match(s, i)
    if iso:
        m, d = int(iso["m"]), int(iso["d"]) if iso["d"] else None
        # 2000.5万元 is an amount, not May 2000
        if _valid(m, d) and not re.match(rf"[\d%]|{_UNIT_ALT}", s[iso.end() :]):
            return _DateMatch(iso.end(), int(iso["y"]), m, d)
    cn = DATE_CN.match(s, i)
    if cn and (cn["y"] or cn["m"]):
        y = int(cn["y"]) if cn["y"] else None
        m = int(cn["m"]) if cn["m"] else None
        d = int(cn["d"]) if cn["d"] else _day_of(cn["part"])
        if _valid(m, d):
            end = cn.end()
            # a year alone may still carry a period word: 2020年底, 2020年上半年
            if m is None:
                # 2020年底: the period word shares the year's 年
                period = _scan_period(s, end) or _scan_period(s, i + 4)
                if period:
                    period.y = y
                    if period.end_m is not None:
                        period.end_y = y
                    return period
            return _DateMatch(end, y, m, d, part=cn["part"])
    return _scan_period(s, i)


def _scan_period(s: str, i: int) -> _DateMatch | None:
    for word in sorted(PERIOD_WORDS, key=len, reverse=True):
        if s.startswith(word, i):
            first, last = PERIOD_WORDS[word]
            if first is None:
                return _DateMatch(i + len(word), None, last, None, part=word)
            return _DateMatch(i + len(word), None, first, None, part=word, end_m=last)
    q = _QUARTER.match(s, i)
    if q:
        n = int(q["qq"]) if q["qq"] else int(cn_number(q["q"]) or q["q"])
        return _DateMatch(q.end(), None, 3 * n - 2, None, part="季度", end_m=3 * n)
    return None


def _scan_date(s: str) -> tuple[_DateMatch, str | None, int, int] | None:
    """A date or deadline at the start of a clause: (match, prefix, date start, date end)."""
    prefix = DATE_PREFIX.match(s)
    i = prefix.end() if prefix else 0
    first = _scan_one_date(s, i)
    if first is None:
        return None
    start = i
    sep = _RANGE_SEP.match(s[first.end :])
    if sep and first.end_m is None:
        second = _scan_one_date(s, first.end + sep.end())
        if second is not None and second.end_m is None and (second.y is not None or second.m is not None):
            # a missing year or month in the second half comes from the first
            first.end_y = second.y if second.y is not None else first.y
            first.end_m, first.end_d = second.m, second.d
            first.end = second.end
    return first, (prefix.group(0) if prefix else None), start, first.end


def _date_clause(s: str, offset: int) -> Clause | None:
    found = _scan_date(s)
    if found is None:
        return None
    dm, prefix, start, end = found
    pieces = [Piece(offset + start, offset + end, "DATE")]
    rest = s[end:]
    suffix = DATE_SUFFIX.match(rest)
    op: Operator | None = None
    if suffix:
        pieces.append(Piece(offset + end, offset + end + suffix.end(), "OP"))
        rest = rest[suffix.end() :]
        word = suffix.group(0)
        # "6月前" is before June; "6月底前", "6月30日前", "年内" include the named period.
        strict = word in ("前", "之前", "以前") and dm.d is None and dm.part in (None, "季度")
        op = "<" if strict else "≤"
    elif prefix and prefix not in _NEUTRAL_DATE_PREFIX:
        op = "≤"
        pieces.append(Piece(offset, offset + len(prefix), "OP"))
    if dm.part in ("年内", "年度内", "本年度内", "本年内", "当年内") and op is None:
        op = "≤"
    if dm.end_m is not None and op is not None:
        # a period with a deadline word (上半年前, 第三季度内): the bound is the period's end
        if op == "<":
            dm.end_m = None
        else:
            dm.m, dm.d, dm.end_m, dm.end_y, dm.end_d = dm.end_m, dm.end_d, None, None, None
    date = _iso(dm.y, dm.m, dm.d) if (dm.y or dm.m) else None
    if date is None:
        return None
    date_end = None
    if dm.end_m is not None:
        date_end = _iso(dm.end_y, dm.end_m, dm.end_d)
    value = ParsedValue(kind="deadline" if op else "date", operator=op, date=date, date_end=date_end)
    if rest:
        grade = _grade_match(rest, whole=True)
        if grade is not None and op is not None and len(grade[0]) < len(rest):
            grade = None  # after a deadline the rest says what is due: 完成制作视频2期
        if grade is not None:
            value.grade, value.attainment = grade[0], grade[1]
            pieces.append(Piece(offset + len(s) - len(rest), offset + len(s) - len(rest) + len(grade[0]), "GRADE"))
        elif op is not None or (len(rest) <= 10 and not re.search(r"\d", rest) and dm.m is not None):
            value.scope = rest
            pieces.append(Piece(offset + len(s) - len(rest), offset + len(s), "SCOPE"))
        else:
            return None  # "2020年度未出现故障的情况" is a sentence, not a date
    elif dm.m is None and dm.y is None:
        return None
    return Clause(offset, offset + len(s), value, pieces)


def _number(text: str) -> float | None:
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return float(text)
    negative = text.startswith("-")
    n = cn_number(text.lstrip("-"))
    return -n if (n is not None and negative) else n


def _compound_duration(s: str, offset: int) -> Clause | None:
    """1小时30分钟 → 90 分钟; 1年6个月 → 18 个月: the value in the smaller unit."""
    m = COMPOUND_RE.match(s)
    if m is None:
        return None
    small = "分钟" if m["small"] == "分" else m["small"]  # after 小时, 分 is minutes
    big_base, big_factor = UNITS[m["big"]]
    small_base, small_factor = UNITS[small]
    if big_base != small_base or big_factor <= small_factor:
        return None
    number = float(m["n1"]) * big_factor / small_factor + float(m["n2"])
    op = _OPERATOR_WORDS.get(m["op"]) if m["op"] else (_SUFFIX_WORDS[m["suffix"]] if m["suffix"] else None)
    value = ParsedValue(kind="number", operator=op, number=number, unit=small, base_unit=small_base, factor=small_factor)
    return Clause(offset, offset + len(s), value, [Piece(offset, offset + len(s), "NUM")])


def _numeric_clause(s: str, offset: int) -> Clause | None:
    compound = _compound_duration(s, offset)
    if compound is not None:
        return compound
    m = NUMERIC_RE.match(s) or CN_NUMERIC_RE.match(s)
    if m is None:
        return None
    scope = m["scope"]
    if scope and (scope[-1].isdigit() or scope[-1] in ".-") or len(scope) > 30:
        return None
    unit1, unit = m["unit1"], m["unit"]
    if m["num2"] is None:
        unit, unit1 = unit1 or unit, None
    elif unit1 and unit and unit1 != unit and not (unit1 in MULTIPLIERS and unit.startswith(unit1)):
        return None  # 1万-2万元 is one unit; 3个-5天 is not
    unit = unit or unit1
    number = _number(m["num"])
    number_max = _number(m["num2"]) if m["num2"] else None
    if number is None or (m["num2"] and number_max is None):
        return None
    op = _OPERATOR_WORDS.get(m["op"]) if m["op"] else None
    if op is None and m["suffix"]:
        op = _SUFFIX_WORDS[m["suffix"]]
    if m["suffix"] == "内" and not unit:
        return None  # "内" needs a duration before it (3个工作日内)
    base, factor = unit_base(unit)
    kind: Kind = "percent" if base == "%" else "number"
    scope = re.sub(r"(?:为|是|:)$", "", scope) or None
    value = ParsedValue(
        kind=kind, operator=op, number=number, number_max=number_max, unit=unit, base_unit=base, factor=factor, scope=scope
    )
    pieces = []
    for group, label in (("scope", "SCOPE"), ("op", "OP"), ("num", "NUM"), ("num2", "NUM"), ("unit1", "UNIT"),
                         ("unit", "UNIT"), ("suffix", "OP")):
        if m[group]:
            pieces.append(Piece(offset + m.start(group), offset + m.end(group), label))
    return Clause(offset, offset + len(s), value, pieces)


def _grade_match(s: str, whole: bool = False) -> tuple[str, Attainment, int] | None:
    """A grade at the start (with at most 8 trailing characters: 达成预期指标) or at the end
    (after at most 10 characters of scope: 服务水平有效提升); whole=True: at the start only."""
    for m in GRADE_RE.finditer(s):
        level = m.lastgroup
        tail = len(s) - m.end()
        if m.start() == 0 and tail <= 8 or (not whole and tail == 0 and m.start() <= 10):
            return m.group(0), level, m.start()  # type: ignore[return-value]
        if whole:
            return None
    return None


def _qualitative_clause(s: str, offset: int) -> Clause | None:
    found = _grade_match(s)
    if found is None:
        return None
    grade, level, start = found
    value = ParsedValue(kind="qualitative", grade=grade, attainment=level, scope=s[:start] or None)
    pieces = [Piece(offset + start, offset + start + len(grade), "GRADE")]
    if start:
        pieces.insert(0, Piece(offset, offset + start, "SCOPE"))
    return Clause(offset, offset + len(s), value, pieces)


def parse_clause(s: str, offset: int = 0) -> Clause:
    """One clause (no top-level commas): boolean, date/deadline, number, grade or text."""
    if s.lower() in _BOOLEANS:
        return Clause(offset, offset + len(s), ParsedValue(kind="boolean", boolean=_BOOLEANS[s.lower()]),
                      [Piece(offset, offset + len(s), "BOOL")])
    for rule in (_date_clause, _numeric_clause, _qualitative_clause):
        clause = rule(s, offset)
        if clause is not None:
            return clause
    return Clause(offset, offset + len(s), ParsedValue(kind="text"), [])


def _split_top(s: str, offset: int) -> list[tuple[str, int]]:
    """Split at commas and semicolons outside brackets, keeping offsets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([【":
            depth += 1
        elif ch in ")]】":
            depth = max(0, depth - 1)
        elif ch in ",;" and depth == 0:
            parts.append((s[start:i], offset + start))
            start = i + 1
    parts.append((s[start:], offset + len(s) if start > len(s) else offset + start))
    return [(p, o) for p, o in parts if p]


def _trailing_groups(s: str) -> tuple[str, list[tuple[str, int]]]:
    """Peel bracketed groups off the end: "≥560万字(每种语言≥70万字)" → main + inner."""
    groups: list[tuple[str, int]] = []
    while s.endswith(")") or s.endswith("]") or s.endswith("】"):
        close = s[-1]
        opener = {")": "(", "]": "[", "】": "【"}[close]
        depth = 0
        for i in range(len(s) - 1, -1, -1):
            if s[i] == close:
                depth += 1
            elif s[i] == opener:
                depth -= 1
                if depth == 0:
                    break
        else:
            break
        groups.insert(0, (s[i + 1 : -1], i + 1))
        s = s[:i]
    return s, groups


def _is_total(value: ParsedValue) -> bool:
    return value.kind in ("number", "percent") and bool(value.scope) and _TOTAL_SCOPE.match(value.scope or "") is not None


def _parse_group(s: str, offset: int) -> tuple[ParsedValue, list[Clause]]:
    """Clauses of a text (top level or a bracket's inside), assembled into one value."""
    top: list[ParsedValue] = []
    clauses: list[Clause] = []
    for part, part_offset in _split_top(s, offset):
        main, groups = _trailing_groups(part)
        main_offset = part_offset
        if not main and groups:  # a clause that is all bracket: parse its inside
            main, main_offset = groups[0][0], part_offset + groups[0][1]
            groups = groups[1:]
        clause = parse_clause(main, main_offset)
        for inner, inner_start in groups:
            sub, sub_clauses = _parse_group(inner, part_offset + inner_start)
            if sub.kind == "text":
                # a bracket of several parts (英文≥100万字,其他语种≥65万字) gives each part
                clause.value.sub_targets.extend(sub.sub_targets)
            elif sub.kind != "empty":
                clause.value.sub_targets.append(sub)
            clauses.extend(sub_clauses)
        clauses.append(clause)
        top.append((clause.value, main))
    clauses.sort(key=lambda c: c.start)
    return _assemble(top), clauses


def _is_verdict(value: ParsedValue, text: str) -> bool:
    """A clause that is a grade (with at most a 4-character subject: 效果不明显) or 是/否:
    the verdict closing a description."""
    if value.kind == "boolean":
        return True
    grade = value.grade or ""
    return value.kind == "qualitative" and bool(grade) and text.endswith(grade) and len(text) - len(grade) <= 4


def _assemble(clauses: list[tuple[ParsedValue, str]]) -> ParsedValue:
    values = [v for v, _ in clauses]
    if not values:
        return ParsedValue(kind="text")
    if len(values) == 1:
        return values[0]
    last, last_text = clauses[-1]
    if _is_verdict(last, last_text) and all(v.kind in ("text", "qualitative") for v in values[:-1]):
        return last  # "保障了学生安全，基本实现": the description, then the verdict
    totals = [v for v in values if _is_total(v)]
    valued = [v for v in values if v.kind != "text"]
    if len(totals) == 1:
        main = totals[0].model_copy(deep=True)
        main.sub_targets = [v for v in valued if v is not totals[0]] + main.sub_targets
        return main
    kinds = {v.kind for v in values}
    if kinds <= {"number", "percent"}:
        return ParsedValue(kind="text", sub_targets=values)  # parts without a printed total
    if kinds <= {"qualitative", "boolean"}:
        return values[0]
    first = values[0]
    if first.kind in ("date", "deadline"):
        return first  # "7月底前完成制作视频2期，完成一次线下纠错": the deadline governs the sentence
    if first.kind in ("number", "percent") and all(
        v.kind in ("text", "qualitative") for v in values[1:]
    ):
        return first
    return ParsedValue(kind="text")


def parse_prepared(s: str) -> tuple[ParsedValue, list[Clause]]:
    """The grammar over prepared (NFKC, cleaned) text."""
    if not s or _DASHES.match(s):
        return ParsedValue(kind="empty"), []
    return _parse_group(s, 0)


# --------------------------------------------------------------------------- spaCy


COMPONENT = "jixiao_value_grammar"


def _grammar_component(doc: Any) -> Any:
    """The registered component: the grammar's value and spans written onto the Doc."""
    value, clauses = parse_prepared(doc.text)
    doc._.value = value
    clause_spans, part_spans = [], []
    for clause in clauses:
        span = doc.char_span(clause.start, clause.end, label=clause.value.kind, alignment_mode="expand")
        if span is not None:
            span._.value = clause.value
            clause_spans.append(span)
        for piece in clause.pieces:
            part = doc.char_span(piece.start, piece.end, label=piece.label, alignment_mode="expand")
            if part is not None:
                part_spans.append(part)
    doc.spans["value_clauses"] = clause_spans
    doc.spans["value_parts"] = part_spans
    return doc


@lru_cache(maxsize=1)
def value_pipeline() -> Any:
    """The blank zh pipeline with the grammar component; built once per process."""
    import spacy
    from spacy.language import Language
    from spacy.tokens import Doc, Span

    if not Doc.has_extension("value"):
        Doc.set_extension("value", default=None)
    if not Span.has_extension("value"):
        Span.set_extension("value", default=None)
    if not Language.has_factory(COMPONENT):
        Language.component(COMPONENT, func=_grammar_component)
    nlp = spacy.blank("zh")  # default char segmenter: no model download
    nlp.add_pipe(COMPONENT)
    return nlp


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> ParsedValue:
    doc = value_pipeline()(prepare(text))
    return doc._.value


def parse_value(text: str | None) -> ParsedValue | None:
    """Parse one printed target or actual; None for None."""
    if text is None:
        return None
    value = _parse_cached(text).model_copy(deep=True)
    value.raw = text
    return value


# --------------------------------------------------------------------------- compare

_EPS = 1e-9


def _date_parts(iso: str | None, year: int | None) -> tuple[int, ...] | None:
    if not iso:
        return None
    if iso.startswith("--"):
        if year is None:
            return None
        return (year, *(int(p) for p in iso[2:].split("-")))
    return tuple(int(p) for p in iso.split("-"))


def _period(parts: tuple[int, ...]) -> tuple[dt.date, dt.date]:
    """First and last day of a date printed at year, month or day precision."""
    y = parts[0]
    if len(parts) == 1:
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    m = parts[1]
    if len(parts) == 2:
        return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
    day = dt.date(y, m, min(parts[2], calendar.monthrange(y, m)[1]))
    return day, day


def _year_of(v: ParsedValue) -> int | None:
    d = v.date_end or v.date
    if d and not d.startswith("--"):
        return int(d[:4])
    return None


def _span(v: ParsedValue, year: int | None) -> tuple[dt.date, dt.date] | None:
    """The days a value can stand for: a date or range, or everything up to a deadline."""
    first = _date_parts(v.date, year)
    if first is None:
        return None
    last = _date_parts(v.date_end, year) if v.date_end else first
    if last is None:
        return None
    start, end = _period(first)[0], _period(last)[1]
    if v.operator in ("≤", "<"):
        bound = _period(first)[0] - dt.timedelta(days=1) if v.operator == "<" else end
        return dt.date.min, bound
    if v.operator in ("≥", ">"):
        return (end + dt.timedelta(days=1) if v.operator == ">" else start), dt.date.max
    return start, end


def _compare_dates(target: ParsedValue, actual: ParsedValue, year: int | None) -> bool | None:
    y = year if year is not None else (_year_of(target) or _year_of(actual))
    t = _span(target.model_copy(update={"operator": None}), y)
    a = _span(actual, y)
    if t is None or a is None:
        return None
    op = target.operator or "≤"  # a bare date as a target means "by then"
    (t_first, t_last), (a_first, a_last) = t, a
    if op == "≤":
        return True if a_last <= t_last else False if a_first > t_last else None
    if op == "<":
        # "6月前": before June for some forms, by the end of June for others; a date
        # inside June is not decided, one after June is late either way
        return True if a_last < t_first else False if a_first > t_last else None
    if op in ("≥", ">"):
        bound = t_first if op == "≥" else t_last + dt.timedelta(days=1)
        return True if a_first >= bound else False if a_last < bound else None
    if op == "=":
        inside = t_first <= a_first and a_last <= t_last
        return True if inside else False if (a_last < t_first or a_first > t_last) else None
    return None


def _numeric_pair(target: ParsedValue, actual: ParsedValue) -> tuple[float, float, float | None] | None:
    """Target, actual (and target max) in one base unit, or None if the units differ."""
    t_base, a_base = target.base_unit, actual.base_unit
    t_factor = target.factor if target.factor is not None else 1.0
    a_factor = actual.factor if actual.factor is not None else 1.0
    if target.unit is None and actual.unit is not None:
        t_base, t_factor = a_base, a_factor  # a bare number takes the other side's unit
    elif actual.unit is None and target.unit is not None:
        a_base, a_factor = t_base, t_factor
    if t_base != a_base:
        return None
    if actual.number is None or target.number is None:
        return None
    t_max = target.number_max * t_factor if target.number_max is not None else None
    return target.number * t_factor, actual.number * a_factor, t_max


def _sum_parts(actual: ParsedValue) -> ParsedValue | None:
    """Parts printed without a total (服务器设备27，网络设备5 …) summed, when they add up."""
    parts = actual.sub_targets
    if not parts or any(p.kind not in ("number", "percent") or p.operator not in (None, "=") for p in parts):
        return None
    if any(p.scope and re.search(r"各|每|均", p.scope) for p in parts):
        return None
    bases = {p.base_unit for p in parts}
    if len(bases) != 1 or "%" in bases:
        return None
    total = sum(p.base_number or 0.0 for p in parts)
    first = parts[0]
    return ParsedValue(kind=first.kind, number=total, unit=first.base_unit, base_unit=first.base_unit, factor=1.0)


def _compare_numbers(target: ParsedValue, actual: ParsedValue) -> bool | None:
    if actual.kind == "text":
        summed = _sum_parts(actual)
        if summed is None:
            return None
        actual = summed
    if actual.number_max is not None:
        return None
    pair = _numeric_pair(target, actual)
    if pair is None:
        return None
    t, a, t_max = pair
    eps = _EPS * max(1.0, abs(t))
    if t_max is not None:
        return t - eps <= a <= t_max + eps
    op = target.operator
    if actual.operator in ("≥", ">", "≤", "<"):
        # the actual is printed as a bound: met when the bound alone satisfies the target,
        # otherwise the form does not say
        lower = actual.operator in ("≥", ">")
        if op not in (("≥", ">") if lower else ("≤", "<")):
            return None
        strict_target, strict_actual = op in (">", "<"), actual.operator in (">", "<")
        beyond = (a - t) if lower else (t - a)
        ok = beyond > eps or (abs(beyond) <= eps and (not strict_target or strict_actual))
        return True if ok else None
    if op is None:
        # a bare number: met when equal; otherwise the form does not say which way is good
        return True if abs(a - t) <= eps else None
    if op == "=":
        return abs(a - t) <= eps
    if op == "≠":
        return abs(a - t) > eps
    if op in ("≥", "≤"):
        return a >= t - eps if op == "≥" else a <= t + eps
    return a > t if op == ">" else a < t


def _attainment_of(v: ParsedValue) -> str | None:
    if v.attainment:
        return v.attainment
    if v.kind == "boolean":
        return "full" if v.boolean else "none"
    return None


def compare(target: ParsedValue | None, actual: ParsedValue | None, year: int | None = None) -> bool | None:
    """Whether the actual met the target; None when they cannot be compared.

    Numbers are compared in their base unit (a bare number takes the other side's unit);
    a bare target number is met only when equal (which way is good is not printed).
    Dates are compared at the precision printed, missing years filled from ``year``
    (the form's), then from the other side. Grades compare by attainment.
    """
    if target is None or actual is None:
        return None
    if target.kind in ("number", "percent"):
        if actual.kind in ("number", "percent", "text"):
            return _compare_numbers(target, actual)
        if actual.kind == "boolean" and target.number == 0 and target.operator in (None, "=", "≤"):
            return actual.boolean is False  # "无" for a target of 0
        return None
    if target.kind in ("date", "deadline"):
        if actual.kind in ("date", "deadline"):
            return _compare_dates(target, actual, year)
        level = _attainment_of(actual)
        if level is not None and actual.kind in ("qualitative", "boolean") and target.kind == "deadline":
            return level == "full" if level in ("full", "none") else None
        return None
    if target.kind == "boolean":
        if actual.kind == "boolean":
            return actual.boolean == target.boolean
        level = _attainment_of(actual)
        if level is not None and target.boolean:
            return None if level == "mostly" else level == "full"  # 基本实现 for 是: either way
        if target.boolean is False and actual.kind in ("number", "percent") and actual.operator in (None, "="):
            return actual.number == 0
        return None
    if target.kind == "qualitative":
        level = _attainment_of(actual)
        if level is None or target.attainment is None:
            return None
        gap = _ATTAINMENT_RANK[target.attainment] - _ATTAINMENT_RANK[level]
        if gap == 1 and level == "mostly":
            return None  # 基本实现 against 实现: forms score it either way
        return gap <= 0
    return None


# --------------------------------------------------------------------------- stage


class Normaliser:
    """Sets ``target_value``, ``actual_value`` (ParsedValue dicts) and ``met`` on every
    indicator, and puts an OCR slip of one glyph in a framework category right (see
    ``service.framework``), so rows group by their printed category."""

    def __init__(self) -> None:
        value_pipeline()  # load spaCy once, in the constructor

    def __call__(self, doc: Document) -> Document:
        for form in doc.forms:
            for indicator in form.indicators:
                indicator.level1 = canonical_level(indicator.level1)
                indicator.level2 = canonical_level(indicator.level2)
                target = parse_value(indicator.target)
                actual = parse_value(indicator.actual)
                indicator.target_value = target.as_dict() if target else None  # type: ignore[attr-defined]
                indicator.actual_value = actual.as_dict() if actual else None  # type: ignore[attr-defined]
                indicator.met = compare(target, actual, form.year)  # type: ignore[attr-defined]
        return doc


@register("stages", "normalise")
def make_normalise() -> Normaliser:
    return Normaliser()
