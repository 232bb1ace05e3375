"""The `assets` ledger (data contract): 10 kV lines and 台区."""

from __future__ import annotations

from getpower.ledgers.bulk import stored_values, upsert
from getpower.ledgers.checks import check_company_and_county, company_lookup, county_codes
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger

from .models import Asset


class AssetsLedger(Ledger):
    name = "assets"
    label = "线路与台区"
    description = "10kV 中压线路和台区（一台配变的供电范围）。"
    model = Asset
    key = ("company", "asset_id")
    object_type = "grid.asset"
    columns = (
        Column("asset_id", "text", required=True, key=True),
        Column("asset_type", "enum", required=True, choices=tuple(Asset.Type.choices)),
        Column("name", "text", required=True),
        Column("company", "text", label="供电单位编码", field="company__org_code", required=True, note="平台已知的单位编码"),
        Column("county_code", "region6", label="所属县区代码", field="county", required=True),
        Column("township_code", "region9"),
        Column("line_id", "text", label="所属线路编号", field="line__asset_id", required_note="台区必填",
               note="为台区供电的10kV线路"),
        Column("rated_kva", "number", required_note="台区必填", min_value=0, exclusive_min=True),
        Column("users", "int", required=True, min_value=0, note="台区为低压用户数；线路为线路用户数"),
        Column("area_type", "enum", choices=tuple(Asset.AreaType.choices)),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        file_line_ids = {r.values["asset_id"] for r in rows if r.values.get("asset_type") == "line"}
        db_line_ids = set(Asset.objects.filter(asset_type="line").values_list("asset_id", flat=True))
        for row in rows:
            v = row.values
            company_pk, county = check_company_and_county(row, ctx, companies, counties)
            v["_company_pk"] = company_pk
            township = v.get("township_code")
            if township and county and not township.startswith(county):
                ctx.error(row.number, "township_code", township, "乡镇代码不属于所填县区")
            if v.get("asset_type") == "tq":
                if not v.get("line_id"):
                    ctx.error(row.number, "line_id", "", "台区必须填写所属线路编号")
                elif v["line_id"] not in file_line_ids and v["line_id"] not in db_line_ids:
                    ctx.error(row.number, "line_id", v["line_id"], "所属线路不存在（须先导入该线路，或在同一文件中提供）")
                if v.get("rated_kva") is None and "rated_kva" not in row.bad:
                    ctx.error(row.number, "rated_kva", "", "台区必须填写额定容量")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_pks = {r.values["_company_pk"] for r in rows}
        existing = {(a["company_id"], a["asset_id"]): a for a in stored_values(Asset, company_id__in=company_pks)}
        totals = [0, 0, 0]
        for asset_type in ("line", "tq"):  # the lines first: a 台区 refers to its line's key
            group = [r for r in rows if r.values["asset_type"] == asset_type]
            if not group:
                continue
            lines = self._line_index() if asset_type == "tq" else {}
            items = []
            for row in group:
                v = row.values
                company_pk = v["_company_pk"]
                line_pk = None
                if asset_type == "tq":
                    candidates = lines.get(v["line_id"], {})
                    line_pk = candidates.get(company_pk) or next(iter(candidates.values()))
                fields = {**self.stored(v), "company": company_pk, "line": line_pk}
                items.append(((company_pk, v["asset_id"]), fields, company_pk))
            counts = upsert(Asset, items, existing, ctx, object_type=self.object_type)
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
        return tuple(totals)

    @staticmethod
    def _line_index() -> dict[str, dict[int, int]]:
        """A line's business code → {company key: the line's key}."""
        index: dict[str, dict[int, int]] = {}
        for line_pk, asset_id, company_pk in Asset.objects.filter(asset_type="line").values_list(
            "pk", "asset_id", "company"
        ):
            index.setdefault(asset_id, {})[company_pk] = line_pk
        return index
