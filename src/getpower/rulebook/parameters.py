"""Every rulebook parameter, declared once: key, rule, label, type, default and source tag.

Defaults are those of ``shared/spec/rules.md``. Source tags: plan (the Yunnan action plan),
reg (national law or regulation), std (industry standard), practice (grid-company practice,
to be confirmed by the regulator).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SOURCE_LABELS = {
    "plan": "行动方案",
    "reg": "法规",
    "std": "行业标准",
    "practice": "企业惯例（待监管确认）",
}


@dataclass(frozen=True)
class Parameter:
    key: str
    rule: str
    label: str
    kind: str  # int | choice | json
    default: Any
    source_tag: str
    note: str = ""
    choices: tuple[str, ...] = ()

    def parse(self, raw: Any) -> Any:
        """Turn a submitted value into the stored one, or raise ValueError with a Chinese reason."""
        if self.kind == "int":
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ValueError(f"{self.label}：“{raw}”不是整数") from None
            if value < 0:
                raise ValueError(f"{self.label}：不能为负数")
            return value
        if self.kind == "choice":
            value = str(raw).strip()
            if value not in self.choices:
                raise ValueError(f"{self.label}：“{raw}”不在可选值 {', '.join(self.choices)} 中")
            return value
        if self.kind == "json":
            value = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(value, dict):
                raise ValueError(f"{self.label}：应为 JSON 对象")
            return value
        raise ValueError(self.kind)


CONNECTION_LIMITS = {
    "lv": {"accept": 1, "scheme": 3, "connect": 2, "total": 6},
    "hv_single": {"accept": 1, "scheme": 10, "design": 3, "midcheck": 2, "completion": 3, "connect": 3, "total": 22},
    "hv_dual": {"accept": 1, "scheme": 20, "design": 3, "midcheck": 2, "completion": 3, "connect": 3, "total": 32},
}

PARAMETERS: tuple[Parameter, ...] = (
    # R2 connection time limits
    Parameter("connection_limits", "R2", "各类用户各环节时限（工作日）", "json", CONNECTION_LIMITS, "plan",
              "附件1：低压非三零、高压单电源、高压双电源"),
    Parameter("zero_total_workdays", "R2", "三零低压用户全过程时限（无外线工程）", "int", 5, "plan"),
    Parameter("zero_total_with_works_workdays", "R2", "三零低压用户全过程时限（有外线工程）", "int", 15, "plan"),
    Parameter("zero_scope_max_kw", "R2", "民营经济组织三零（零投资）容量上限(kW)", "int", 160, "plan"),
    # R3 frequent outages
    Parameter("min_minutes", "R3", "计入停电的最短时长(分钟，超过才计)", "int", 3, "std", "DL/T 836：≤3分钟为短时停电"),
    Parameter("short_switching_max_minutes", "R3", "保供电接入退出/方式调整可剔除的最长时长(分钟，含)", "int", 30,
              "practice", "请监管机构确认"),
    Parameter("year_max_outages", "R3", "一年内停电次数上限", "int", 5, "plan"),
    Parameter("window_days", "R3", "连续天数窗口(天)", "int", 60, "plan"),
    Parameter("window_max_outages", "R3", "连续窗口内停电次数上限", "int", 3, "plan"),
    Parameter("year_basis", "R3", "统计年度口径", "choice", "calendar", "practice", "calendar=自然年；rolling_365=滚动365天",
              ("calendar", "rolling_365")),
    Parameter("merge_within_hours", "R3", "重复跳闸合并间隔(小时，0=不合并)", "int", 0, "practice",
              "南方电网惯例为6"),
    Parameter("warning_year_count", "R3", "预警：年内停电次数达到", "int", 4, "practice"),
    Parameter("warning_long_days", "R3", "预警：近N天（长窗口）", "int", 50, "practice"),
    Parameter("warning_long_count", "R3", "预警：长窗口内停电次数达到", "int", 3, "practice"),
    Parameter("warning_short_days", "R3", "预警：近N天（短窗口）", "int", 30, "practice"),
    Parameter("warning_short_count", "R3", "预警：短窗口内停电次数达到", "int", 2, "practice"),
    # R4 arrears disconnections
    Parameter("report_lead_days", "R4", "欠费停电提前报告最少天数(0=停电前任意时间)", "int", 0, "plan"),
    Parameter("arrears_overdue_days", "R4", "欠费停电须逾期超过(天)", "int", 30, "reg", "电力供应与使用条例第39条"),
    Parameter("notice_min_days", "R4", "停电通知最少提前(天)", "int", 3, "reg", "供电营业规则（1996）"),
    Parameter("notice_max_days", "R4", "停电通知最多提前(天)", "int", 7, "reg", "供电营业规则（1996）"),
    Parameter("final_notice_min_minutes", "R4", "停电前再次通知最少提前(分钟)", "int", 30, "reg"),
    Parameter("final_notice_window_hours", "R4", "停电前再次通知须在停电前(小时)内", "int", 24, "practice"),
    # cockpit composite score: weights of the KPIs (docs/cockpit.md), normalised by their sum
    Parameter("cockpit_weight_on_time_rate", "cockpit", "综合评分权重：报装按时办结率", "int", 30, "practice"),
    Parameter("cockpit_weight_outage_per_1000_tq", "cockpit", "综合评分权重：频繁停电及预警（每千台区）", "int", 30,
              "practice"),
    Parameter("cockpit_weight_open_governance", "cockpit", "综合评分权重：未销号治理事项", "int", 15, "practice"),
    Parameter("cockpit_weight_arrears_violations", "cockpit", "综合评分权重：欠费停电违规", "int", 15, "practice"),
    Parameter("cockpit_weight_filings_on_time", "cockpit", "综合评分权重：报备及时率", "int", 10, "practice"),
    # R5 filings
    Parameter("f1_due_day", "R5", "F1 报备截止日（次月几日）", "int", 10, "plan"),
    Parameter("due_day_roll", "R5", "截止日遇节假日", "choice", "next_workday", "practice",
              "next_workday=顺延至下一工作日；none=不顺延", ("next_workday", "none")),
)

BY_KEY = {p.key: p for p in PARAMETERS}


def defaults() -> dict[str, Any]:
    return {p.key: p.default for p in PARAMETERS}
