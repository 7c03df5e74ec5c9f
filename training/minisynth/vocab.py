"""Vocabularies and value generators for synthetic 绩效自评表, modelled on published forms."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁晨阳然婷雪琳晶颖倩莉思远志立新海燕梅春雨振永庆德"
CITIES = ["北京市", "上海市", "天津市", "重庆市", "四川省", "安徽省", "河北省", "湖北省", "湖南省", "浙江省", "广东省", "江苏省"]
AGENCIES = [
    "政务服务管理局", "财政局", "教育委员会", "卫生健康委员会", "民政局", "生态环境局", "交通委员会", "文化和旅游局",
    "人力资源和社会保障局", "农业农村局", "市场监督管理局", "科学技术委员会", "住房和城乡建设委员会", "体育局",
    "外事办公室", "水务局", "园林绿化局", "应急管理局", "司法局", "统计局", "语言文字工作委员会",
]
UNITS = [
    "市民热线服务中心", "信息中心", "机关服务中心", "综合执法大队", "宣传中心", "培训中心", "档案馆", "研究院",
    "监测站", "事务中心", "服务保障中心", "技术中心", "指挥中心", "评审中心", "发展研究中心", "外语服务中心",
]
PROJECT_TOPICS = [
    "信息化支撑", "国际语言环境建设", "12345热线运行维护", "政务网站国际版运维", "办公用房维修改造", "专项业务培训",
    "网络安全等级保护测评", "数据中心云服务租赁", "公共服务平台建设", "档案数字化加工", "宣传品制作",
    "重点课题研究", "应急物资储备", "环境质量监测", "老旧小区综合整治", "社区养老服务补助", "农村饮水安全工程",
    "中小学校舍维修", "公共文化服务体系建设", "全民健身设施更新", "外语标识规范化", "执法装备购置",
    "智慧城市感知设备运维", "基层医疗卫生机构能力提升", "非物质文化遗产保护", "河湖水质监测", "园林养护",
]
PROJECT_SUFFIX = ["", "项目", "工作经费", "专项经费", "（二期）", "运维项目", "补助资金"]

GRADES = [(90, "优"), (80, "良"), (60, "中"), (0, "差")]

# level1 → level2 → (indicator name, value kind for make_value)
INDICATORS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "产出指标": {
        "数量指标": [
            ("IT硬件运维设备数量", "count_unit"), ("诉举报平台运维设备数量", "count_unit"), ("培训人次", "count_people"),
            ("翻译审校字数", "words"), ("网站栏目更新数量", "count_unit"), ("采购设备数量", "count_unit"),
            ("开展专项检查次数", "count_times"), ("监测点位覆盖数", "count_unit"), ("发放宣传材料份数", "count_copies"),
            ("完成课题研究报告数量", "count_copies"), ("维修改造面积", "area"), ("服务对象覆盖人数", "count_people"),
            ("新增标识牌数量", "count_unit"), ("云服务租赁期", "months"), ("运维支撑服务", "items"),
            ("指标2", "placeholder"), ("……", "placeholder"),
        ],
        "质量指标": [
            ("验收合格率", "percent_high"), ("系统可用率", "percent_high"), ("设备完好率", "percent_high"),
            ("运维支撑服务验收", "pass_check"), ("IT硬件运维验收", "pass_check"), ("诉举报平台运维验收", "pass_check"),
            ("云服务中断次数", "max_times"), ("数据准确率", "percent_high"), ("译文质量达标率", "percent_high"),
            ("问题整改率", "percent_high"), ("故障响应时间", "minutes"), ("培训考核通过率", "percent_high"),
        ],
        "时效指标": [
            ("云服务租赁首款支付", "deadline_month"), ("IT硬件运维尾款支付", "deadline_month"), ("项目完成时间", "deadline_date"),
            ("资金支付及时率", "percent_high"), ("运维支撑服务尾款支付", "deadline_month"), ("年度任务完成时限", "deadline_year"),
            ("问题处理时限", "minutes"), ("验收完成时间", "deadline_date"),
        ],
        "成本指标": [
            ("云服务租赁预算控制数", "budget"), ("IT硬件运维预算控制数", "budget"), ("运维支撑服务预算控制数", "budget"),
            ("诉举报平台运维预算控制数", "budget"), ("单位培训成本", "unit_cost"), ("项目总成本控制", "budget"),
            ("结余率（计算方法为：结余数/预算数）", "max_percent"),
        ],
    },
    "效益指标": {
        "经济效益指标": [("节约运行成本", "qualitative"), ("带动相关产业投资", "budget_min"), ("降低行政成本", "qualitative")],
        "社会效益指标": [
            ("保障投诉举报平台运维", "qualitative"), ("保障云服务正常运行", "qualitative"), ("提升政府办事效率", "qualitative"),
            ("提升城市国际化水平", "qualitative"), ("群众办事便利程度", "qualitative"), ("公众知晓率", "percent_mid"),
            ("保障IT硬件运维顺利进行", "qualitative"), ("社会影响力", "qualitative"),
        ],
        "生态效益指标": [("节能减排效果", "qualitative"), ("空气质量优良天数比例", "percent_mid"), ("绿化覆盖率", "percent_mid")],
        "可持续影响指标": [("长效管理机制建立情况", "qualitative"), ("系统持续运行年限", "years"), ("项目成果持续发挥作用", "qualitative")],
    },
    "满意度指标": {
        "服务对象满意度指标": [
            ("北京市人民群众满意度", "satisfaction"), ("服务对象满意度", "satisfaction"), ("参训人员满意度", "satisfaction"),
            ("使用单位满意度", "satisfaction"), ("外籍人士满意度", "satisfaction"),
        ],
    },
}

DEPARTMENT_INDICATORS = [
    ("预算执行率", "percent_high"), ("结转结余率", "max_percent"), ("政府采购执行率", "percent_high"), ("“三公经费”控制率", "max_percent"),
    ("重点工作任务完成率", "percent_high"), ("资产管理规范性", "qualitative"), ("财务管理制度健全性", "qualitative"),
    ("部门预算公开及时性", "deadline_month"), ("绩效目标覆盖率", "percent_high"), ("人员经费控制", "budget"),
    ("社会公众满意度", "satisfaction"), ("履职效能", "qualitative"), ("预决算信息公开", "pass_check"),
]

QUALITATIVE_TARGETS = ["达成预期指标", "效果明显", "有效保障", "明显提升", "保障正常", "符合要求", "好", "较好", "提高", "完成"]
QUALITATIVE_ACTUALS = ["达成预期指标", "效果明显", "基本实现", "已保障", "符合", "好", "较好", "完成", "已完成", "有效提升"]

DEVIATION_REASONS = [
    "受疫情影响，部分工作延期开展，已于次年一季度完成。",
    "项目未开展满意度调查，建议后续年度注重服务对象的满意度调查，以便体现项目实施效益。",
    "合同约定尾款于验收后支付，验收时间晚于预期。",
    "属于非紧急救助服务系统运行维护，按实际发生结算。",
    "采购程序耗时较长，导致实施进度滞后。",
    "设备老化，故障率偏高，下一年度将加强日常巡检并列入更新计划。",
    "部分指标设置不够细化，今后将进一步完善绩效目标编制。",
    "政府采购节约资金，实际支出低于预算。",
    "项目基本按照预期开展，但是实施效益有待进一步体现和发挥。",
    "因上级政策调整，部分内容暂缓实施。",
]

EXPECTED_GOALS = [
    "信息化设备的维保服务，备份应用系统、网络安全运维服务，会场（会议室）技术支持和保障服务。",
    "云服务租赁服务续租，保障业务系统稳定运行。",
    "完成年度培训任务，提升工作人员业务能力和服务水平。",
    "按期完成项目建设内容并通过验收，发挥项目效益。",
    "规范外语标识，营造良好的国际语言环境，提升城市国际化服务水平。",
    "加强资金管理，提高预算执行率，确保资金使用安全、规范、有效。",
]
ACTUAL_GOALS = [
    "完成年度信息化设备的维保服务，备份应用系统、网络安全运维服务，保障会场技术支持。",
    "完成签订云租赁合同，云服务全年运行正常，中断0次。",
    "全年完成培训{n}人次，参训人员满意度较高。",
    "项目按期完成建设内容，已通过验收并投入使用。",
    "完成外语标识规范化审校，国际语言环境进一步改善。",
    "资金使用规范，预算执行率达到{p}%。",
]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
    return rng.choice(["010-", "021-", "028-", "0551-", ""]) + "".join(rng.choice("0123456789") for _ in range(8))


def money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), rng.choice((2, 2, 2, 4, 6)))


def fmt_number(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def make_value(kind: str, rng: random.Random, year: int, met: bool) -> tuple[str, str]:
    """A (target, actual) pair of printed strings for an indicator kind; ``met`` says whether the actual meets it."""
    op = rng.choice(["≥", "≥", "=", ""])
    if kind == "count_unit":
        n = rng.randint(3, 500)
        unit = rng.choice(["台", "台/套", "个", "套", "处", "块"])
        a = n if met else max(0, n - rng.randint(1, max(1, n // 5)))
        return f"{op}{n}{unit}", f"{a}{unit}"
    if kind == "count_people":
        n = rng.choice([50, 100, 200, 300, 500, 1000, 1200, 3000])
        a = n + rng.randint(0, 50) if met else n - rng.randint(1, n // 4)
        return f"≥{n}人次", f"{a}人次"
    if kind == "count_times":
        n = rng.randint(2, 24)
        return f"{op}{n}次", f"{n if met else n - 1}次"
    if kind == "count_copies":
        n = rng.randint(2, 5000)
        return f"{op}{n}份", f"{n if met else n - 1}份"
    if kind == "words":
        n = rng.choice([560, 300, 120, 80])
        a = n * 10000 + rng.randint(0, 4_000_000) if met else n * 10000 - rng.randint(1000, 90000)
        if rng.random() < 0.5:
            return f"≥{n}万字（每种语言≥{n // 8}万字）", f"{a}字"
        return f"≥{n}万字", f"{round(a / 10000, 2)}万字"
    if kind == "area":
        n = rng.randint(200, 20000)
        return f"≥{n}平方米", f"{n if met else n - 100}平方米"
    if kind == "months":
        start = rng.randint(2, 8)
        months = 13 - start
        if met:
            return f"{months}个月（{year}年{start}-12月）", f"满足{months}个月（{year}年{start}月1日-{year + 1}年{start - 1}月31日）"
        return f"{months}个月", f"{months - 1}个月"
    if kind == "items":
        n = rng.randint(2, 6)
        detail = "（应用系统运维服务、信息化软硬件设备维保服务、安全运维服务、其他技术支持服务）"
        return f"{n}项", (f"{n}项" + (detail if rng.random() < 0.5 else "")) if met else f"{n - 1}项"
    if kind == "placeholder":
        return rng.choice(["", "——"]), rng.choice(["", "——"])
    if kind == "percent_high":
        t = rng.choice([90, 95, 98, 100])
        a = round(rng.uniform(t, 100), rng.choice((0, 2))) if met else round(rng.uniform(t - 15, t - 0.5), 2)
        target = f"{rng.choice(['≥', '=', '≥'])}{t}%" if t < 100 else rng.choice(["=100%", "100%"])
        return target, f"{fmt_number(a)}%"
    if kind == "percent_mid":
        t = rng.choice([60, 70, 75, 80, 85])
        a = round(rng.uniform(t, 99), 1) if met else round(rng.uniform(t - 20, t - 1), 1)
        return f"≥{t}%", f"{fmt_number(a)}%"
    if kind == "max_percent":
        t = rng.choice([3, 5, 10])
        a = round(rng.uniform(0, t), 2) if met else round(rng.uniform(t + 0.5, t + 10), 2)
        return f"≤{t}%", f"{fmt_number(a)}%"
    if kind == "pass_check":
        if rng.random() < 0.5:
            return "通过验收", f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日通过验收" if met else "未通过验收"
        return "合格", "合格" if met else "不合格"
    if kind == "max_times":
        t = rng.choice([0, 1, 2, 3])
        return (f"≤{t}次" if rng.random() < 0.7 else f"≤{t}"), f"{t if met else t + 2}" + ("次" if rng.random() < 0.5 else "")
    if kind == "minutes":
        t = rng.choice([5, 10, 15, 30, 60])
        return f"≤{t}分钟", f"{rng.randint(1, t) if met else t + rng.randint(1, 30)}分钟"
    if kind == "deadline_month":
        m = rng.randint(3, 11)
        label = rng.choice([f"{m}月前", f"{m}月底前", "年底前", f"{year}年{m}月底前"])
        dm = 12 if label == "年底前" else m
        am = rng.randint(1, dm - 1) if met else min(12, dm + 1)
        return label, f"{year}年{am}月{rng.randint(1, 28)}日"
    if kind == "deadline_date":
        m = rng.randint(6, 11)
        return f"{year}年{m}月底前", f"{year}年{m - 1 if met else m + 1}月{rng.randint(1, 28)}日"
    if kind == "deadline_year":
        return "年底前", f"{year}年12月{rng.randint(1, 31)}日" if met else f"{year + 1}年{rng.randint(1, 3)}月"
    if kind == "budget":
        b = money(rng, 1, 800)
        a = round(b * (rng.uniform(0.6, 1.0) if met else rng.uniform(1.01, 1.2)), 4)
        return f"≤{fmt_number(b)}万元", f"{fmt_number(a)}万元"
    if kind == "budget_min":
        b = money(rng, 10, 2000)
        return f"≥{fmt_number(b)}万元", f"{fmt_number(round(b * (1.1 if met else 0.8), 2))}万元"
    if kind == "unit_cost":
        c = rng.randint(100, 2000)
        return f"≤{c}元/人", f"{c - rng.randint(0, 99) if met else c + 50}元/人"
    if kind == "years":
        y = rng.randint(3, 10)
        return f"≥{y}年", f"{y if met else y - 1}年"
    if kind == "satisfaction":
        t = rng.choice([80, 85, 90, 95])
        if rng.random() < 0.15:
            return f"≥{t}%", "项目未开展满意度调查，未收到不满意投诉。"
        a = round(rng.uniform(t, 99.9), 1) if met else round(rng.uniform(t - 10, t - 1), 1)
        return f"≥{t}%", f"{fmt_number(a)}%"
    return rng.choice(QUALITATIVE_TARGETS), rng.choice(QUALITATIVE_ACTUALS) if met else rng.choice(["基本实现", "部分实现", "一般"])
