"""The cockpit's KPIs: those the domains offer (``getpower.domains.kpi``: each rule domain's
declaration, and the filing centre's), in that order, and the cockpit's own composite score.

A KPI's value is never computed on a page view; ``services.recompute`` stores it as a
``KpiSnapshot`` after each evaluation run. ``docs/cockpit.md`` gives the formulas.
"""

from __future__ import annotations

from collections import defaultdict

from getpower.domains.kpi import (  # noqa: F401  (the cockpit's modules read these from here)
    EMPTY,
    REGION_LEVELS,
    Area,
    AreaKey,
    Context,
    Geography,
    Kpi,
    Measure,
    offered,
)
from getpower.rulebook.parameters import BY_KEY

COMPOSITE = Kpi("composite", "综合评分", "分", True, 1, "各指标得分按规则参数权重加权平均（见 docs/cockpit.md）", None, None)


def all_kpis() -> tuple[Kpi, ...]:
    """Every KPI shown: the offered ones, then the composite."""
    return (*offered(), COMPOSITE)


def by_code() -> dict[str, Kpi]:
    return {k.code: k for k in all_kpis()}


def scored() -> tuple[Kpi, ...]:
    return tuple(k for k in offered() if k.score_basis is not None)


def composite(measures: dict[str, dict[AreaKey, Measure]], weights: dict[str, float],
              geo: Geography) -> dict[AreaKey, Measure]:
    """The composite score (0–100, higher is better) of every area from the other KPIs.

    Each KPI scores 0–100: a percentage as it is (on-time rates; arrears: the share of checked
    cases without a violation); a per-1,000-台区 figure as 100 × (1 − x ÷ the worst x among the
    areas of the same level). The score is the weighted mean over the KPIs the area has a value
    for (weights: the rulebook's ``cockpit_weight_*``). The province: the mean of its prefectures.
    """
    bases: dict[str, dict[AreaKey, float]] = {}
    worst: dict[tuple[str, str], float] = defaultdict(float)  # (kpi, level) → the largest basis
    for kpi in scored():
        bases[kpi.code] = {}
        for key, m in measures.get(kpi.code, {}).items():
            basis = kpi.score_basis(m)
            if basis is not None:
                bases[kpi.code][key] = basis
                worst[(kpi.code, key[0])] = max(worst[(kpi.code, key[0])], basis)
    out: dict[AreaKey, Measure] = {}
    for area in geo.areas():
        if area.level == "province":
            continue
        key = (area.level, area.code)
        scores, total_weight, total = {}, 0.0, 0.0
        for kpi in scored():
            basis, weight = bases[kpi.code].get(key), float(weights.get(kpi.code, 0))
            if basis is None or weight <= 0:
                continue
            if kpi.relative:
                top = worst[(kpi.code, area.level)]
                score = 100.0 * (1 - basis / top) if top > 0 else 100.0
            else:
                score = basis
            score = min(100.0, max(0.0, score))
            scores[kpi.code] = round(score, 2)
            total_weight += weight
            total += weight * score
        if total_weight:
            out[key] = Measure(total / total_weight, parts={"scores": scores})
    prefecture_scores = [m.value for (level, _), m in out.items() if level == "prefecture" and m.value is not None]
    if prefecture_scores:
        out[("province", geo.province.code)] = Measure(sum(prefecture_scores) / len(prefecture_scores),
                                                        parts={"prefectures": len(prefecture_scores)})
    return out


def weights_from(values: dict) -> dict[str, float]:
    """The composite weights of a rulebook version's values (missing keys: their defaults)."""
    return {k.code: float(values.get(k.weight_key, BY_KEY[k.weight_key].default if k.weight_key in BY_KEY else 0))
            for k in scored()}
