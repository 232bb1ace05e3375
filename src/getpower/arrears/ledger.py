"""The `arrears_cases` ledger (data contract)."""

from __future__ import annotations

from getpower.grid.ledger import check_company_and_county, company_lookup, county_codes
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger, register, stored_values, upsert

from .models import TIME_FIELDS, ArrearsCase
from .routing import route


@register
class ArrearsLedger(Ledger):
    name = "arrears_cases"
    label = "居民小区欠费停电"
    description = "对整个居民住宅小区欠费停电的案件，须在停电前向县级及以上能源主管部门报告。"
    key = ("company", "case_id")
    object_type = "arrears.case"
    columns = (
        Column("case_id", "案件编号", "text", required=True, key=True),
        Column("company", "供电单位编码", "text", required=True),
        Column("county_code", "所属县区代码", "region6", required=True),
        Column("community", "小区名称", "text", required=True),
        Column("households", "涉及户数", "int", required=True, min_value=0, exclusive_min=True),
        Column("arrears_yuan", "欠费金额(元)", "number", required=True, min_value=0),
        Column("bill_due_date", "电费缴费期限", "date", required=True, note="逾期天数自该日起算"),
        Column("demand_at", "催交时间", "time", required=True),
        Column("approved_by", "停电批准人", "text", note="空则“批准”检查不通过"),
        Column("notice_served_at", "停电通知书送达时间", "time", required=True),
        Column("final_notice_at", "停电前再次通知时间", "time"),
        Column("reported_at", "向能源主管部门报告时间", "time", note="空 = 未报告"),
        Column("authority", "报告的主管部门", "text", required_note="已报告时必填"),
        Column("authority_level", "主管部门层级", "enum", choices=tuple(ArrearsCase.AuthorityLevel.choices),
               required_note="已报告时必填"),
        Column("planned_cut_at", "计划停电时间", "time", required=True),
        Column("cut_at", "实际停电时间", "time"),
        Column("restored_at", "恢复供电时间", "time"),
        Column("cancelled_at", "取消停电时间", "time", note="已取消的案件不评估"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        for row in rows:
            v = row.values
            v["_company_id"], _ = check_company_and_county(row, ctx, companies, counties)
            if v.get("reported_at") is not None:
                if not v.get("authority"):
                    ctx.error(row.number, "authority", "", "已填写报告时间，须填写报告的主管部门")
                if not v.get("authority_level") and "authority_level" not in row.bad:
                    ctx.error(row.number, "authority_level", "", "已填写报告时间，须填写主管部门层级")
            if v.get("restored_at") and v.get("cut_at") and v["restored_at"] < v["cut_at"]:
                ctx.error(row.number, "restored_at", v["restored_at"].strftime("%Y-%m-%d %H:%M:%S"),
                          "恢复供电时间早于实际停电时间")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_ids = {r.values["_company_id"] for r in rows}
        existing = {(c["company_id"], c["case_id"]): c for c in stored_values(ArrearsCase, company_id__in=company_ids)}
        items = []
        for row in rows:
            v = row.values
            fields = {
                "case_id": v["case_id"], "company_id": v["_company_id"], "county_id": v["county_code"],
                "community": v["community"], "households": v["households"], "arrears_yuan": v["arrears_yuan"],
                "bill_due_date": v["bill_due_date"], "approved_by": v.get("approved_by") or "",
                "authority": v.get("authority") or "", "authority_level": v.get("authority_level") or "",
                **{f: v.get(f) for f in TIME_FIELDS},
            }
            fields["routed_to_id"] = route(v["county_code"], fields["authority_level"] or "county")
            items.append(((v["_company_id"], v["case_id"]), fields, v["_company_id"]))
        return upsert(ArrearsCase, items, existing, ctx, object_type=self.object_type)
