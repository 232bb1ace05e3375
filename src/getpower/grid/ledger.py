"""The `assets` ledger (data contract): 10 kV lines and 台区."""

from __future__ import annotations

from getpower.core.models import Organisation, Region, region_prefix
from getpower.ledgers.columns import Column, LedgerRow
from getpower.ledgers.registry import Ledger, register, stored_values, upsert

from .models import Asset


def company_lookup() -> dict[str, tuple[int, str, str, str]]:
    """org_code → (id, kind, region code, region prefix)."""
    return {
        code: (pk, kind, region, region_prefix(region, level))
        for code, pk, kind, region, level in Organisation.objects.values_list(
            "org_code", "id", "kind", "region_id", "level"
        )
    }


def check_company_and_county(row: LedgerRow, ctx, companies, counties) -> tuple[int | None, str | None]:
    """The consistency rules every ledger shares: a known supply company the user may submit for,
    and a county inside that company's region. Returns (company id, county code) when valid."""
    v = row.values
    code = v.get("company")
    info = companies.get(code)
    company_id = None
    if not row.ok("company"):
        pass
    elif info is None:
        ctx.error(row.number, "company", code, "未知的供电单位编码")
    elif info[1] != Organisation.Kind.SUPPLIER:
        ctx.error(row.number, "company", code, "该单位不是供电企业")
    elif not ctx.scope.can_submit_for(info[0]):
        ctx.error(row.number, "company", code, "无权提交该单位的数据（只能提交本单位及下属单位）")
    else:
        company_id = info[0]
    county = v.get("county_code")
    if county is None or not row.ok("county_code"):
        return company_id, None
    if county not in counties:
        ctx.error(row.number, "county_code", county, "未知的县级行政区划代码（须为云南省内县区）")
        return company_id, None
    if info is not None and not county.startswith(info[3]):
        ctx.error(row.number, "county_code", county, f"该县区不在供电单位“{code}”的供电区域内")
        return company_id, None
    return company_id, county


def county_codes() -> set[str]:
    return set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))


@register
class AssetsLedger(Ledger):
    name = "assets"
    label = "线路与台区"
    description = "10kV 中压线路和台区（一台配变的供电范围）。"
    key = ("company", "asset_id")
    object_type = "grid.asset"
    columns = (
        Column("asset_id", "设备编号", "text", required=True, key=True),
        Column("asset_type", "设备类型", "enum", required=True, choices=tuple(Asset.Type.choices)),
        Column("name", "设备名称", "text", required=True),
        Column("company", "供电单位编码", "text", required=True, note="平台已知的单位编码"),
        Column("county_code", "所属县区代码", "region6", required=True),
        Column("township_code", "所属乡镇代码", "region9"),
        Column("line_id", "所属线路编号", "text", required_note="台区必填", note="为台区供电的10kV线路"),
        Column("rated_kva", "额定容量(kVA)", "number", required_note="台区必填", min_value=0, exclusive_min=True),
        Column("users", "用户数", "int", required=True, min_value=0, note="台区为低压用户数；线路为线路用户数"),
        Column("area_type", "区域类型", "enum", choices=tuple(Asset.AreaType.choices)),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        companies = company_lookup()
        counties = county_codes()
        file_lines = {(r.values["company"], r.values["asset_id"]) for r in rows if r.values.get("asset_type") == "line"}
        file_line_ids = {asset_id for _, asset_id in file_lines}
        db_lines: dict[str, set[int]] = {}
        for asset_id, company_id in Asset.objects.filter(asset_type="line").values_list("asset_id", "company_id"):
            db_lines.setdefault(asset_id, set()).add(company_id)
        for row in rows:
            v = row.values
            company_id, county = check_company_and_county(row, ctx, companies, counties)
            v["_company_id"] = company_id
            township = v.get("township_code")
            if township and county and not township.startswith(county):
                ctx.error(row.number, "township_code", township, "乡镇代码不属于所填县区")
            if v.get("asset_type") == "tq":
                if not v.get("line_id"):
                    ctx.error(row.number, "line_id", "", "台区必须填写所属线路编号")
                elif v["line_id"] not in file_line_ids and v["line_id"] not in db_lines:
                    ctx.error(row.number, "line_id", v["line_id"], "所属线路不存在（须先导入该线路，或在同一文件中提供）")
                if v.get("rated_kva") is None and "rated_kva" not in row.bad:
                    ctx.error(row.number, "rated_kva", "", "台区必须填写额定容量")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        company_ids = {r.values["_company_id"] for r in rows}
        existing = {(a["company_id"], a["asset_id"]): a for a in stored_values(Asset, company_id__in=company_ids)}
        totals = [0, 0, 0]
        for asset_type in ("line", "tq"):
            group = [r for r in rows if r.values["asset_type"] == asset_type]
            if not group:
                continue
            lines = self._line_index() if asset_type == "tq" else {}
            items = []
            for row in group:
                v = row.values
                company_id = v["_company_id"]
                line_id = None
                if asset_type == "tq":
                    candidates = lines.get(v["line_id"], {})
                    line_id = candidates.get(company_id) or next(iter(candidates.values()))
                fields = {
                    "asset_id": v["asset_id"], "asset_type": asset_type, "name": v["name"],
                    "company_id": company_id, "county_id": v["county_code"],
                    "township_code": v.get("township_code") or "", "line_id": line_id,
                    "rated_kva": v.get("rated_kva"), "users": v["users"], "area_type": v.get("area_type") or "",
                }
                items.append(((company_id, v["asset_id"]), fields, company_id))
            counts = upsert(Asset, items, existing, ctx, object_type=self.object_type)
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
        return tuple(totals)

    @staticmethod
    def _line_index() -> dict[str, dict[int, int]]:
        index: dict[str, dict[int, int]] = {}
        for pk, asset_id, company_id in Asset.objects.filter(asset_type="line").values_list(
            "pk", "asset_id", "company_id"
        ):
            index.setdefault(asset_id, {})[company_id] = pk
        return index
