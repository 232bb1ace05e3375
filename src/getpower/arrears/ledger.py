"""The `arrears_cases` ledger (data contract)."""

from __future__ import annotations

from getpower.ledgers.bulk import stored_values, upsert
from getpower.ledgers.checks import check_company_and_county, company_lookup, county_codes
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger

from .models import ArrearsCase
from .routing import route


class ArrearsLedger(Ledger):
    name = "arrears_cases"
    label = "居民小区欠费停电"
    description = "对整个居民住宅小区欠费停电的案件，须在停电前向县级及以上能源主管部门报告。"
    model = ArrearsCase
    key = ("company", "case_id")
    object_type = "arrears.case"
    columns = (
        Column("case_id", "text", required=True, key=True),
        Column("company", "text", label="供电单位编码", field="company__org_code", required=True),
        Column("county_code", "region6", label="所属县区代码", field="county", required=True),
        Column("community", "text", required=True),
        Column("households", "int", required=True, min_value=0, exclusive_min=True),
        Column("arrears_yuan", "number", required=True, min_value=0),
        Column("bill_due_date", "date", required=True, note="逾期天数自该日起算"),
        Column("demand_at", "time", required=True),
        Column("approved_by", "text", note="空则“批准”检查不通过"),
        Column("notice_served_at", "time", required=True),
        Column("final_notice_at", "time"),
        Column("reported_at", "time", note="空 = 未报告"),
        Column("authority", "text", required_note="已报告时必填"),
        Column("authority_level", "enum", choices=tuple(ArrearsCase.AuthorityLevel.choices),
               required_note="已报告时必填"),
        Column("planned_cut_at", "time", required=True),
        Column("cut_at", "time"),
        Column("restored_at", "time"),
        Column("cancelled_at", "time", note="已取消的案件不评估"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        for row in rows:
            v = row.values
            v["_company_pk"], _ = check_company_and_county(row, ctx, companies, counties)
            if v.get("reported_at") is not None:
                if not v.get("authority"):
                    ctx.error(row.number, "authority", "", "已填写报告时间，须填写报告的主管部门")
                if not v.get("authority_level") and "authority_level" not in row.bad:
                    ctx.error(row.number, "authority_level", "", "已填写报告时间，须填写主管部门层级")
            if v.get("restored_at") and v.get("cut_at") and v["restored_at"] < v["cut_at"]:
                ctx.error(row.number, "restored_at", v["restored_at"].strftime("%Y-%m-%d %H:%M:%S"),
                          "恢复供电时间早于实际停电时间")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_pks = {r.values["_company_pk"] for r in rows}
        existing = {(c["company_id"], c["case_id"]): c for c in stored_values(ArrearsCase, company_id__in=company_pks)}
        items = []
        for row in rows:
            v = row.values
            fields = {**self.stored(v), "company": v["_company_pk"]}
            fields["routed_to"] = route(v["county_code"], fields["authority_level"] or "county")
            items.append(((v["_company_pk"], v["case_id"]), fields, v["_company_pk"]))
        return upsert(ArrearsCase, items, existing, ctx, object_type=self.object_type)
