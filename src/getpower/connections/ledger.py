"""The `applications` and `application_pauses` ledgers (data contract)."""

from __future__ import annotations

from getpower.grid.ledger import check_company_and_county, company_lookup, county_codes
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger, register, stored_values, upsert

from .models import TIME_FIELDS, Application, ApplicationPause

VOLTAGES = (0.22, 0.38, 6, 10, 20, 35, 110, 220)
# (stage end, its start) — a stage end given without its start is an error (装表接电 aside)
STAGE_PAIRS = (
    ("accepted_at", "applied_at"),
    ("scheme_replied_at", "accepted_at"),
    ("design_reviewed_at", "design_submitted_at"),
    ("midcheck_done_at", "midcheck_requested_at"),
    ("completion_done_at", "completion_requested_at"),
)
LABELS = {
    "applied_at": "申请时间", "accepted_at": "受理完成时间", "scheme_replied_at": "供电方案答复时间",
    "design_submitted_at": "设计文件送审时间", "design_reviewed_at": "设计审查完成时间",
    "midcheck_requested_at": "中间检查报验时间", "midcheck_done_at": "中间检查完成时间",
    "completion_requested_at": "竣工报验时间", "completion_done_at": "竣工检验完成时间",
    "connect_ready_at": "具备装表接电条件时间", "energized_at": "装表接电时间",
}


def fmt(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def connect_start(v: dict):
    """装表接电 starts at connect_ready_at, else completion_done_at (high voltage) or scheme_replied_at."""
    if v.get("connect_ready_at"):
        return v["connect_ready_at"]
    low = v.get("voltage_kv") is not None and v["voltage_kv"] <= 0.38
    return v.get("scheme_replied_at") if low else v.get("completion_done_at")


@register
class ApplicationsLedger(Ledger):
    name = "applications"
    label = "用电报装"
    description = "每行一户用电报装申请，含各环节起止时间（供电企业环节时限见规则 R2）。"
    key = ("company", "app_id")
    object_type = "connections.application"
    columns = (
        Column("app_id", "申请编号", "text", required=True, key=True),
        Column("company", "供电单位编码", "text", required=True),
        Column("county_code", "所属县区代码", "region6", required=True),
        Column("customer_kind", "用户类别", "enum", required=True, choices=tuple(Application.CustomerKind.choices)),
        Column("voltage_kv", "供电电压(kV)", "number", required=True, allowed=VOLTAGES, note="≤0.38 为低压"),
        Column("supply", "电源类型", "enum", choices=tuple(Application.Supply.choices), required_note="高压必填"),
        Column("capacity_kw", "报装容量(kW)", "number", required=True, min_value=0, exclusive_min=True),
        Column("zero_service", "三零服务", "bool", required_note="低压必填"),
        Column("external_works", "有电力外线工程", "bool", default=False, note="默认否"),
        Column("grid_upgrade", "需10kV及以上电网改造", "bool", default=False, note="默认否"),
        Column("upgrade_due_date", "改造计划完成日期", "date", required_note="需电网改造时必填"),
        Column("applied_at", "申请时间", "time", required=True, note="业务受理及三零全过程的起点"),
        Column("accepted_at", "受理完成时间", "time"),
        Column("scheme_replied_at", "供电方案答复时间", "time"),
        Column("design_submitted_at", "设计文件送审时间", "time"),
        Column("design_reviewed_at", "设计审查完成时间", "time"),
        Column("midcheck_requested_at", "中间检查报验时间", "time"),
        Column("midcheck_done_at", "中间检查完成时间", "time"),
        Column("completion_requested_at", "竣工报验时间", "time"),
        Column("completion_done_at", "竣工检验完成时间", "time"),
        Column("connect_ready_at", "具备装表接电条件时间", "time",
               note="空则高压取竣工检验完成时间、低压取供电方案答复时间"),
        Column("energized_at", "装表接电时间", "time", note="空 = 尚未接电"),
        Column("contact_phone_last4", "联系电话后四位", "text", note="供申请人查询进度时核对（平台扩展列）"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        for row in rows:
            v = row.values
            v["_company_id"], _ = check_company_and_county(row, ctx, companies, counties)
            if row.ok("voltage_kv"):
                low = v["voltage_kv"] <= 0.38
                if not low and not v.get("supply") and "supply" not in row.bad:
                    ctx.error(row.number, "supply", "", "高压用户必须填写电源类型（单电源/双电源）")
                if low and v.get("zero_service") is None and "zero_service" not in row.bad:
                    ctx.error(row.number, "zero_service", "", "低压用户必须填写是否三零服务")
            if v.get("grid_upgrade") and not v.get("upgrade_due_date") and "upgrade_due_date" not in row.bad:
                ctx.error(row.number, "upgrade_due_date", "", "需电网改造的申请必须填写改造计划完成日期")
            phone = v.get("contact_phone_last4")
            if phone and not (len(phone) == 4 and phone.isdigit()):
                ctx.error(row.number, "contact_phone_last4", phone, "应为4位数字")
            self.check_times(row, ctx)

    @staticmethod
    def check_times(row: LedgerRow, ctx) -> None:
        v = row.values
        if any(f in row.bad for f in TIME_FIELDS):
            return
        for end, start in STAGE_PAIRS:
            if v.get(end) is None:
                continue
            if v.get(start) is None:
                ctx.error(row.number, end, fmt(v[end]), f"填写了{LABELS[end]}，但缺少该环节的开始时间（{LABELS[start]}）")
            elif v[end] < v[start]:
                ctx.error(row.number, end, fmt(v[end]), f"早于{LABELS[start]}（{fmt(v[start])}）")
        energized = v.get("energized_at")
        if energized is not None:
            if v.get("accepted_at") is None:
                ctx.error(row.number, "energized_at", fmt(energized), "已装表接电但缺少受理完成时间")
            elif energized < v["accepted_at"]:
                ctx.error(row.number, "energized_at", fmt(energized), f"早于受理完成时间（{fmt(v['accepted_at'])}）")
            start = connect_start(v)
            if start is not None and energized < start:
                ctx.error(row.number, "energized_at", fmt(energized), f"早于装表接电环节开始时间（{fmt(start)}）")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_ids = {r.values["_company_id"] for r in rows}
        existing = {(a["company_id"], a["app_id"]): a for a in stored_values(Application, company_id__in=company_ids)}
        items = []
        for row in rows:
            v = row.values
            fields = {
                "app_id": v["app_id"], "company_id": v["_company_id"], "county_id": v["county_code"],
                "customer_kind": v["customer_kind"], "voltage_kv": v["voltage_kv"], "supply": v.get("supply") or "",
                "capacity_kw": v["capacity_kw"], "zero_service": v.get("zero_service"),
                "external_works": bool(v.get("external_works")), "grid_upgrade": bool(v.get("grid_upgrade")),
                "upgrade_due_date": v.get("upgrade_due_date"),
                "contact_phone_last4": v.get("contact_phone_last4") or "",
                **{f: v.get(f) for f in TIME_FIELDS},
            }
            items.append(((v["_company_id"], v["app_id"]), fields, v["_company_id"]))
        return upsert(Application, items, existing, ctx, object_type=self.object_type)


@register
class PausesLedger(Ledger):
    name = "application_pauses"
    label = "客户原因中止"
    description = "用电报装中因客户原因中止的时段，中止期间的工作日不计入供电企业时限。"
    key = ("app_id", "pause_start")
    object_type = "connections.pause"
    columns = (
        Column("app_id", "申请编号", "text", required=True, key=True),
        Column("pause_start", "中止开始时间", "time", required=True, key=True),
        Column("pause_end", "中止结束时间", "time", note="空 = 仍在中止"),
        Column("reason", "中止原因", "text", required=True),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        app_ids = {r.values["app_id"] for r in rows if r.ok("app_id")}
        apps: dict[str, list[tuple[int, int, object, object]]] = {}
        for pk, app_id, company_id, applied, energized in Application.objects.filter(app_id__in=app_ids).values_list(
                "pk", "app_id", "company_id", "applied_at", "energized_at"):
            apps.setdefault(app_id, []).append((pk, company_id, applied, energized))
        for row in rows:
            v = row.values
            if not row.ok("app_id"):
                continue
            candidates = [a for a in apps.get(v["app_id"], []) if ctx.scope.can_submit_for(a[1])]
            if not candidates:
                ctx.error(row.number, "app_id", v["app_id"], "未知的申请编号（或无权提交该申请的数据）")
                continue
            if len(candidates) > 1:
                ctx.error(row.number, "app_id", v["app_id"], "该申请编号在多个供电单位下存在，无法确定所属申请")
                continue
            pk, company_id, applied, _ = candidates[0]
            v["_app_pk"], v["_company_id"] = pk, company_id
            start, end = v.get("pause_start"), v.get("pause_end")
            if start is not None and end is not None and end < start:
                ctx.error(row.number, "pause_end", fmt(end), f"早于中止开始时间（{fmt(start)}）")
            if start is not None and start < applied:
                ctx.error(row.number, "pause_start", fmt(start), f"早于申请时间（{fmt(applied)}）")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        app_pks = {r.values["_app_pk"] for r in rows}
        existing = {(p.application_id, p.pause_start): p for p in
                    ApplicationPause.objects.filter(application_id__in=app_pks)}
        items = [((r.values["_app_pk"], r.values["pause_start"]),
                  {"application_id": r.values["_app_pk"], "pause_start": r.values["pause_start"],
                   "pause_end": r.values.get("pause_end"), "reason": r.values["reason"]}, r.values["_company_id"])
                 for r in rows]
        return upsert(ApplicationPause, items, existing, ctx, object_type=self.object_type)
