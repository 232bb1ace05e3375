"""The `applications` and `application_pauses` ledgers (data contract)."""

from __future__ import annotations

from getpower.ledgers.bulk import stored_values, upsert
from getpower.ledgers.checks import check_company_and_county, company_lookup, county_codes
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger

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
LABELS = {name: str(Application._meta.get_field(name).verbose_name) for name in TIME_FIELDS}  # for the messages


def fmt(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def connect_start(v: dict):
    """装表接电 starts at connect_ready_at, else completion_done_at (high voltage) or scheme_replied_at."""
    if v.get("connect_ready_at"):
        return v["connect_ready_at"]
    low = v.get("voltage_kv") is not None and v["voltage_kv"] <= 0.38
    return v.get("scheme_replied_at") if low else v.get("completion_done_at")


class ApplicationsLedger(Ledger):
    name = "applications"
    label = "用电报装"
    description = "每行一户用电报装申请，含各环节起止时间（供电企业环节时限见规则 R2）。"
    model = Application
    key = ("company", "app_id")
    object_type = "connections.application"
    columns = (
        Column("app_id", "text", required=True, key=True),
        Column("company", "text", label="供电单位编码", field="company__org_code", required=True),
        Column("county_code", "region6", label="所属县区代码", field="county", required=True),
        Column("customer_kind", "enum", required=True, choices=tuple(Application.CustomerKind.choices)),
        Column("voltage_kv", "number", required=True, allowed=VOLTAGES, note="≤0.38 为低压"),
        Column("supply", "enum", choices=tuple(Application.Supply.choices), required_note="高压必填"),
        Column("capacity_kw", "number", required=True, min_value=0, exclusive_min=True),
        Column("zero_service", "bool", required_note="低压必填"),
        Column("external_works", "bool", default=False, note="默认否"),
        Column("grid_upgrade", "bool", default=False, note="默认否"),
        Column("upgrade_due_date", "date", required_note="需电网改造时必填"),
        Column("applied_at", "time", required=True, note="业务受理及三零全过程的起点"),
        Column("accepted_at", "time"),
        Column("scheme_replied_at", "time"),
        Column("design_submitted_at", "time"),
        Column("design_reviewed_at", "time"),
        Column("midcheck_requested_at", "time"),
        Column("midcheck_done_at", "time"),
        Column("completion_requested_at", "time"),
        Column("completion_done_at", "time"),
        Column("connect_ready_at", "time",
               note="空则高压取竣工检验完成时间、低压取供电方案答复时间"),
        Column("energized_at", "time", note="空 = 尚未接电"),
        Column("contact_phone_last4", "text", note="供申请人查询进度时核对（平台扩展列）"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        for row in rows:
            v = row.values
            v["_company_pk"], _ = check_company_and_county(row, ctx, companies, counties)
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
        company_pks = {r.values["_company_pk"] for r in rows}
        existing = {(a["company_id"], a["app_id"]): a for a in stored_values(Application, company_id__in=company_pks)}
        items = []
        for row in rows:
            v = row.values
            fields = {**self.stored(v), "company": v["_company_pk"]}
            items.append(((v["_company_pk"], v["app_id"]), fields, v["_company_pk"]))
        return upsert(Application, items, existing, ctx, object_type=self.object_type)


class PausesLedger(Ledger):
    name = "application_pauses"
    label = "客户原因中止"
    description = "用电报装中因客户原因中止的时段，中止期间的工作日不计入供电企业时限。"
    model = ApplicationPause
    key = ("app_id", "pause_start")
    object_type = "connections.pause"
    columns = (
        Column("app_id", "text", field="application__app_id", required=True, key=True),
        Column("pause_start", "time", required=True, key=True),
        Column("pause_end", "time", note="空 = 仍在中止"),
        Column("reason", "text", required=True),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        app_ids = {r.values["app_id"] for r in rows if r.ok("app_id")}
        # business code → [(the application's key, its company's key, applied, energized)]
        apps: dict[str, list[tuple[int, int, object, object]]] = {}
        for app_pk, app_id, company_pk, applied, energized in Application.objects.filter(
                app_id__in=app_ids).values_list("pk", "app_id", "company", "applied_at", "energized_at"):
            apps.setdefault(app_id, []).append((app_pk, company_pk, applied, energized))
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
            app_pk, company_pk, applied, _ = candidates[0]
            v["_app_pk"], v["_company_pk"] = app_pk, company_pk
            start, end = v.get("pause_start"), v.get("pause_end")
            if start is not None and end is not None and end < start:
                ctx.error(row.number, "pause_end", fmt(end), f"早于中止开始时间（{fmt(start)}）")
            if start is not None and start < applied:
                ctx.error(row.number, "pause_start", fmt(start), f"早于申请时间（{fmt(applied)}）")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        app_pks = {r.values["_app_pk"] for r in rows}
        existing = {(p.application_id, p.pause_start): p for p in
                    ApplicationPause.objects.filter(application__in=app_pks)}
        items = [((r.values["_app_pk"], r.values["pause_start"]),
                  {**self.stored(r.values), "application": r.values["_app_pk"]}, r.values["_company_pk"])
                 for r in rows]
        return upsert(ApplicationPause, items, existing, ctx, object_type=self.object_type)
