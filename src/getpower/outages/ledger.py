"""The `outages` ledger (data contract): one row per outage of one unit (a 10 kV line or a 台区)."""

from __future__ import annotations

from getpower.grid.models import Asset
from getpower.ledgers.bulk import stored_values, upsert
from getpower.ledgers.checks import check_company_and_county, company_lookup
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger

from .exclusions import EXCLUSION_CHOICES, evidence_problem
from .models import Outage, OutageAffected

WARNING_LEVELS = (("township", "乡镇级"), ("county", "县级"), ("prefecture", "州市级"), ("province", "省级"),
                  ("national", "国家级"))


class OutagesLedger(Ledger):
    name = "outages"
    label = "停电事件"
    description = "每行一次停电（一条10kV线路或一个台区）。剔除申请缺少证据时照常导入，标记为不予认可，该次停电照常计入。"
    model = Outage
    key = ("company", "event_id")
    object_type = "outages.outage"
    columns = (
        Column("event_id", "text", required=True, key=True),
        Column("company", "text", label="供电单位编码", field="company__org_code", required=True),
        Column("asset_type", "enum", required=True, choices=tuple(Asset.Type.choices)),
        Column("asset_id", "text", field="asset__asset_id", required=True, note="须为已知设备"),
        Column("start_time", "time", required=True),
        Column("end_time", "time", note="空 = 仍在停电；不得早于开始时间"),
        Column("kind", "enum", required=True, choices=tuple(Outage.Kind.choices),
               note="计划检修、临时检修为预安排停电"),
        Column("cause", "text"),
        Column("exclusion", "enum", choices=EXCLUSION_CHOICES, default="none", note="空 = 无"),
        Column("warning_ref", "text", required_note="证据"),
        Column("warning_issuer", "text", required_note="证据"),
        Column("warning_level", "enum", choices=WARNING_LEVELS, required_note="证据"),
        Column("warning_time", "time"),
        Column("affected_tq", "list", note="线路停电影响的台区；空 = 该线路全部台区"),
        Column("users_affected", "int", min_value=0, note="空 = 该设备的用户数"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        company_pks = {companies[r.values["company"]][0] for r in rows if r.values["company"] in companies}
        # (company key, business code) → (the asset's key, its type, its county's code, its line's key)
        assets = {
            (company_pk, asset_id): (asset_pk, asset_type, county, line_pk)
            for asset_pk, company_pk, asset_id, asset_type, county, line_pk in Asset.objects.filter(
                company__in=company_pks
            ).values_list("pk", "company", "asset_id", "asset_type", "county", "line")
        }
        for row in rows:
            v = row.values
            company_pk, _ = check_company_and_county(row, ctx, companies, set())
            v["_company_pk"] = company_pk
            if company_pk is None or not row.ok("asset_id"):
                continue
            asset = assets.get((company_pk, v["asset_id"]))
            if asset is None:
                ctx.error(row.number, "asset_id", v["asset_id"], "该供电单位下没有此设备编号（须先导入线路与台区）")
                continue
            asset_pk, asset_type, county, _ = asset
            if row.ok("asset_type") and asset_type != v["asset_type"]:
                ctx.error(row.number, "asset_type", v["asset_type"], f"与设备台账不一致（该设备为 {asset_type}）")
            v["_asset_pk"], v["_county"] = asset_pk, county
            end, start = v.get("end_time"), v.get("start_time")
            if end is not None and start is not None and end < start:
                ctx.error(row.number, "end_time", end.strftime("%Y-%m-%d %H:%M:%S"), "复电时间早于停电开始时间")
            listed = v.get("affected_tq") or ()
            if listed and v.get("asset_type") != "line":
                ctx.error(row.number, "affected_tq", ";".join(listed), "只有线路停电可以列出影响台区")
            resolved = []
            for tq_id in listed:
                tq = assets.get((company_pk, tq_id))
                if tq is None or tq[1] != "tq":
                    ctx.error(row.number, "affected_tq", tq_id, "未知的台区编号")
                elif tq[3] != asset_pk:
                    ctx.error(row.number, "affected_tq", tq_id, "该台区不由此线路供电")
                else:
                    resolved.append(tq[0])
            v["_affected_pks"] = resolved
            v["_evidence_problem"] = evidence_problem(
                v.get("exclusion"), cause=v.get("cause"), warning_ref=v.get("warning_ref"),
                warning_issuer=v.get("warning_issuer"), warning_level=v.get("warning_level"),
            ) or ""

    def notes(self, rows: list[LedgerRow], ctx) -> list[str]:
        return [
            f"第 {r.number} 行（{r.values['event_id']}）剔除申请不予认可：{r.values['_evidence_problem']}，该次停电照常计入"
            for r in rows
            if r.values.get("_evidence_problem")
        ]

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_pks = {r.values["_company_pk"] for r in rows}
        existing = {(o["company_id"], o["event_id"]): o for o in stored_values(Outage, company_id__in=company_pks)}
        items = []
        for row in rows:
            v = row.values
            fields = {**self.stored(v), "company": v["_company_pk"], "county": v["_county"], "asset": v["_asset_pk"],
                      "evidence_problem": v["_evidence_problem"]}
            items.append(((v["_company_pk"], v["event_id"]), fields, v["_company_pk"]))
        counts = upsert(Outage, items, existing, ctx, object_type=self.object_type)
        listed = {(r.values["_company_pk"], r.values["event_id"]): r.values["_affected_pks"] for r in rows
                  if r.values["asset_type"] == "line"}
        if listed:
            pk_of = {(company_pk, event_id): outage_pk for outage_pk, company_pk, event_id in Outage.objects.filter(
                company__in=company_pks, asset_type="line").values_list("pk", "company", "event_id")}
            outage_pks = [pk_of[k] for k in listed]
            for chunk_start in range(0, len(outage_pks), 5000):
                OutageAffected.objects.filter(outage_id__in=outage_pks[chunk_start:chunk_start + 5000]).delete()
            OutageAffected.objects.bulk_create(
                [OutageAffected(outage_id=pk_of[k], tq_id=tq) for k, tqs in listed.items() for tq in tqs],
                batch_size=5000,
            )
        return counts
