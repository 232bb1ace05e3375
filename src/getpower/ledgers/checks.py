"""The consistency checks every ledger shares: the reporting company is a known supply company the
user may submit for, and the county lies in that company's region."""

from __future__ import annotations

from getpower.core.models import Organisation, Region, region_prefix

from .columns import LedgerRow


def company_lookup() -> dict[str, tuple[int, str, str, str]]:
    """org_code (the business code) → (the organisation's key, kind, region code, region prefix)."""
    return {
        code: (pk, kind, region, region_prefix(region, level))
        for code, pk, kind, region, level in Organisation.objects.values_list(
            "org_code", "id", "kind", "region_id", "level"
        )
    }


def check_company_and_county(row: LedgerRow, ctx, companies, counties) -> tuple[int | None, str | None]:
    """The consistency rules every ledger shares: a known supply company the user may submit for,
    and a county inside that company's region. Returns (the company's key, county code) when valid."""
    v = row.values
    code = v.get("company")
    info = companies.get(code)
    company_pk = None
    if not row.ok("company"):
        pass
    elif info is None:
        ctx.error(row.number, "company", code, "未知的供电单位编码")
    elif info[1] != Organisation.Kind.SUPPLIER:
        ctx.error(row.number, "company", code, "该单位不是供电企业")
    elif not ctx.scope.can_submit_for(info[0]):
        ctx.error(row.number, "company", code, "无权提交该单位的数据（只能提交本单位及下属单位）")
    else:
        company_pk = info[0]
    county = v.get("county_code")
    if county is None or not row.ok("county_code"):
        return company_pk, None
    if county not in counties:
        ctx.error(row.number, "county_code", county, "未知的县级行政区划代码（须为云南省内县区）")
        return company_pk, None
    if info is not None and not county.startswith(info[3]):
        ctx.error(row.number, "county_code", county, f"该县区不在供电单位“{code}”的供电区域内")
        return company_pk, None
    return company_pk, county


def county_codes() -> set[str]:
    return set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
