"""F3: 线路、台区频繁停电台账及治理情况清单 (Annex 2 §3, rules R5): the company's lines and 台区
(its own and those of the organisations under it) whose R3 status at the end of the month is
breach, with their counts, counted outages and governance status at that time."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import F

from getpower.core.models import Organisation
from getpower.core.scope import organisation_subtree_ids
from getpower.filings.producers import CHINA, Deliverable, Period
from getpower.grid.models import Asset

from . import services
from .models import GovernanceEvent, GovernanceItem

COLUMNS = [
    ("company", "供电单位"), ("county", "县区"), ("asset_type", "设备类型"), ("asset_id", "设备编号"),
    ("asset_name", "线路/台区名称"), ("year_count", "年内停电次数"), ("max_60d_count", "连续60天最多停电次数"),
    ("first_breach_date", "首次达到频繁停电日期"), ("outages", "计入的停电（开始时间）"),
    ("governance_status", "治理状态"), ("measures", "治理措施"), ("planned_completion", "计划完成日期"),
    ("closed_at", "销号时间"),
]
STATUS_LABELS = dict(GovernanceItem.Status.choices)


def governance_at(asset_pks: list[int], moment: dt.datetime) -> dict[int, dict]:
    """Each unit's governance status at ``moment`` (replayed from the event log), by the unit's key."""
    state: dict[int, dict] = {}
    events = GovernanceEvent.objects.filter(item__asset__in=asset_pks, at__lte=moment).select_related(
        "item").annotate(asset_pk=F("item__asset")).order_by("at", "id")
    for e in events:
        entry = state.setdefault(e.asset_pk, {"status": "", "measures": "", "planned": None, "closed": None})
        entry["status"] = e.to_status
        if e.transition == "file_plan":
            entry["measures"], entry["planned"] = e.item.measures, e.item.planned_completion
        if e.transition == "close":
            entry["closed"] = e.at
        if e.transition == "reopen":
            entry["closed"] = None
    return state


# a company with up to this many lines and 台区 (its own and those under it) is evaluated alone — its
# units and the lines feeding them, exactly as in the whole province (a county bureau: ~2 s instead
# of ~12 s at province scale); above it (two ids per unit go into the query), the whole province
SUBSET_LIMIT = 10_000


def produce(company, period: Period, evaluation: services.R3Evaluation | None = None) -> Deliverable:
    """``evaluation``: an R3 evaluation at the month's last day to reuse (filing many companies at once)."""
    orgs = organisation_subtree_ids(company.pk)
    if evaluation is None:
        units = list(Asset.objects.filter(company_id__in=orgs).values_list("pk", flat=True)[:SUBSET_LIMIT + 1])
        evaluation = services.evaluate(period.last_day, store=False,
                                       asset_pks=units if len(units) <= SUBSET_LIMIT else None)
    codes = pa.array(list(Organisation.objects.filter(pk__in=orgs).values_list("org_code", flat=True)), pa.string())
    table = evaluation.result.findings
    findings = table.filter(pc.and_(pc.equal(table["status"], "breach"), pc.is_in(table["company"], codes))).to_pylist()
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=[f["asset_pk"] for f in findings], company_id__in=orgs)
              .select_related("company", "county")}
    findings = [f for f in findings if f["asset_pk"] in assets]
    behind = services.counted_by_unit(evaluation.result, set(assets))
    gov = governance_at(list(assets), period.end)
    rows = []
    for f in sorted(findings, key=lambda f: (assets[f["asset_pk"]].company.org_code, f["asset_type"], f["asset_id"])):
        a = assets[f["asset_pk"]]
        g = gov.get(a.pk, {})
        rows.append({
            "company": a.company.name, "county": a.county.name, "asset_type": a.get_asset_type_display(),
            "asset_id": a.asset_id, "asset_name": a.name, "year_count": f["year_count"],
            "max_60d_count": f["max_60d_count"], "first_breach_date": f["first_breach_date"],
            "outages": [dt.datetime.fromtimestamp(o["start"], dt.UTC).astimezone(CHINA).strftime("%m-%d %H:%M")
                        for o in behind.get(a.pk, [])],
            "governance_status": STATUS_LABELS.get(g.get("status"), "待识别"),
            "measures": g.get("measures", ""), "planned_completion": g.get("planned"), "closed_at": g.get("closed"),
        })
    return Deliverable(
        code="F3", title="线路、台区频繁停电台账及治理情况清单", company_name=company.name,
        company_code=company.org_code, period=period, columns=COLUMNS, rows=rows,
        meta={"统计截止": period.end, "规则版本": f"v{evaluation.rulebook.version}",
              "标准": "一年内停电不超过5次、连续60天不超过3次"},
        notes=["统计口径：计入停电为超过3分钟的停电，剔除有县级及以上预警的自然灾害、外力破坏、30分钟内的保供电接入退出及方式调整；"
               "线路停电计入其所供全部（或所列）台区。"],
    )
